// `clustertwin compare`: one workload on several systems, side by side.
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/workload_options.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/compare_report.hpp"
#include "clustertwin/report/train_report.hpp"

namespace ct::cli {

Runner add_compare_command(CLI::App& app) {
  struct Options {
    std::string file, systems, format = "text", site, plot;
    TrainRequest flags;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("compare", "Run one training workload on several systems and compare");
  c->add_option("file", o->file, "Comparison YAML (shared fields + a `systems:` list of per-system overrides)");
  c->add_option("--systems", o->systems, "Comma-separated system ids (with the flags below, same layout on each)");
  add_workload_options(c, o->flags);
  c->add_option("--site", o->site, "Site file (data/sites/*.yaml): energy per token at the facility (x PUE)");
  c->add_option("--plot", o->plot, "Write an SVG: where each system's time goes, per million tokens");
  c->add_option("--format", o->format, "text, json or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  return [o] {
    check_output_is_not_an_input(o->plot, {o->file, o->site, o->flags.model}, "--plot");
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
    const HeldOutErrors errors = HeldOutErrors::load(cat.data_dir);
    for (const TrainRequest& req : requests) {
      std::vector<std::string> assumed;
      const TrainScenario s = make_scenario(req, cat, source, &assumed);
      print_assumptions(assumed);
      runs.push_back({req.label.empty() ? req.system : req.label,
                      simulate_training_step(s, cat.calibration, {.keep_timeline = false}), training_range(errors, s)});
    }
    EnergySite site;
    if (!o->site.empty()) {
      const Site loaded = load_site(o->site);
      site = {loaded.name.empty() ? loaded.id : loaded.name, loaded.pue};
    }
    if (!o->plot.empty()) write_file_atomically(o->plot, compare_svg(runs));
    if (o->format == "json")
      std::cout << json_text(compare_to_json(runs, site)) << "\n";
    else if (o->format == "csv")
      std::cout << compare_to_csv(runs, site);
    else
      std::cout << format_compare_text(runs, site);
    return 0;
  };
}

}  // namespace ct::cli
