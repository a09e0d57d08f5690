// `clustertwin compare`: one workload on several systems, side by side.
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/compare_report.hpp"

namespace ct::cli {

Runner add_compare_command(CLI::App& app) {
  struct Options {
    std::string file, systems, format = "text";
    TrainRequest flags;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("compare", "Run one training workload on several systems and compare");
  c->add_option("file", o->file, "Comparison YAML (shared fields + a `systems:` list of per-system overrides)");
  c->add_option("--systems", o->systems, "Comma-separated system ids (with the flags below, same layout on each)");
  c->add_option("--model", o->flags.model, "Catalog model id or config.json path");
  c->add_option("--gpus", o->flags.gpus, "GPUs");
  c->add_option("--tp", o->flags.tp, "Tensor parallelism");
  c->add_option("--pp", o->flags.pp, "Pipeline parallelism");
  c->add_option("--vp", o->flags.vp, "Virtual pipeline stages");
  c->add_option("--cp", o->flags.cp, "Context parallelism");
  c->add_option("--ep", o->flags.ep, "Expert parallelism");
  c->add_option("--micro-batch", o->flags.micro_batch, "Sequences per micro-batch");
  c->add_option("--global-batch", o->flags.global_batch, "Sequences per step");
  c->add_option("--seq-len", o->flags.seq_len, "Sequence length");
  c->add_option("--precision", o->flags.precision, "bf16, fp16, fp8, fp8-block, mxfp8, nvfp4");
  c->add_option("--recompute", o->flags.recompute, "none, selective, full");
  c->add_option("--zero", o->flags.zero, "ddp, zero1, zero2, zero3");
  c->add_option("--format", o->format, "text, json or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  return [o] {
    const Catalogs cat = Catalogs::load(data_dir());
    std::vector<TrainRequest> requests;
    std::string source = o->file;
    if (!o->file.empty()) {
      requests = load_compare_requests(o->file);
    } else {
      if (o->systems.empty()) throw InputError("command line", "systems", "give a comparison file or --systems");
      std::stringstream ss(o->systems);
      for (std::string id; std::getline(ss, id, ',');) {
        TrainRequest r = o->flags;
        r.system = id;
        requests.push_back(r);
      }
      source = "command line";
    }
    std::vector<ComparedRun> runs;
    for (const TrainRequest& req : requests) {
      const TrainScenario s = make_scenario(req, cat, source);
      runs.push_back({req.label.empty() ? req.system : req.label,
                      simulate_training_step(s, cat.calibration, {.keep_timeline = false})});
    }
    if (o->format == "json")
      std::cout << compare_to_json(runs).dump(2) << "\n";
    else if (o->format == "csv")
      std::cout << compare_to_csv(runs);
    else
      std::cout << format_compare_text(runs);
    return 0;
  };
}

}  // namespace ct::cli
