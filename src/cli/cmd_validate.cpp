// `clustertwin validate training|inference|energy --cases FILE --out FILE`
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace ct::cli {

Runner add_validate_command(CLI::App& app) {
  struct Options {
    std::string cases, out, inference_cases, inference_out, energy_cases, energy_out;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* validate = app.add_subcommand("validate", "Predict published measurements and write the errors");
  validate->require_subcommand(1);
  CLI::App* training = validate->add_subcommand("training", "Training-step rows (columns of measured_training.csv)");
  training->add_option("--cases", opt->cases, "CSV of measured runs")->required();
  training->add_option("--out", opt->out, "CSV to write: the input columns + predicted_value, status, reason")->required();
  CLI::App* inference = validate->add_subcommand("inference", "Inference rows (columns of measured_inference.csv)");
  inference->add_option("--cases", opt->inference_cases, "CSV of measured inference runs")->required();
  inference->add_option("--out", opt->inference_out, "CSV to write: the input columns + predicted_value, status, reason")
      ->required();
  CLI::App* energy = validate->add_subcommand("energy", "Metered power and energy rows (columns of measured_energy.csv)");
  energy->add_option("--cases", opt->energy_cases, "CSV of metered runs")->required();
  energy->add_option("--out", opt->energy_out, "CSV to write: the input columns + predicted_value, status, reason")
      ->required();
  return [opt, inference, energy] {
    if (inference->parsed()) return run_validate_inference(opt->inference_cases, opt->inference_out);
    if (energy->parsed()) return run_validate_energy(opt->energy_cases, opt->energy_out);
    check_output_is_not_an_input(opt->out, {opt->cases}, "--out");
    const Catalogs cat = Catalogs::load(data_dir());
    const TrainingValidator v(cat);
    const auto s = v.run(opt->cases, opt->out, progress_bar(true, "rows"));
    std::cerr << fmt::format("validate training: {} ok, {} infeasible, {} unsupported -> {}\n", s.ok, s.infeasible,
                             s.unsupported, opt->out);
    return 0;
  };
}

}  // namespace ct::cli
