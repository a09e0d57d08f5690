// clustertwin: a digital twin of AI supercomputers. Exit codes: 0 success (an infeasible layout
// is a result), 2 bad input, 1 internal error.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"

int main(int argc, char** argv) {
  CLI::App app{"clustertwin: simulate AI supercomputers (training, planning, serving, fleets, validation against measured runs)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "clustertwin 0.1");
  std::string data;
  std::vector<std::string> overlays;
  app.add_option("--data", data,
                 "Built-in data directory (default: $CLUSTERTWIN_DATA, else share/clustertwin/data or data/ beside the "
                 "executable, else the source tree's data/)");
  app.add_option("--overlay", overlays,
                 "User data folder laid out like the data directory (hardware/*.yaml, calibration/profiles.yaml, "
                 "models/*.json): its GPUs, fabrics, systems, profiles and models replace or add to the built-in ones "
                 "by id; repeatable, later wins (default: $CLUSTERTWIN_OVERLAY, ':'-separated)");
  app.fallthrough();
  ct::cli::Runner train = ct::cli::add_train_command(app);
  ct::cli::Runner validate = ct::cli::add_validate_command(app);
  ct::cli::Runner compare = ct::cli::add_compare_command(app);
  ct::cli::Runner plan = ct::cli::add_plan_command(app);
  ct::cli::Runner serve = ct::cli::add_serve_command(app);
  ct::cli::Runner serve_plan = ct::cli::add_serve_plan_command(app);
  ct::cli::Runner cluster = ct::cli::add_cluster_command(app);
  ct::cli::Runner calibrate = ct::cli::add_calibrate_command(app);
  ct::cli::Runner list = ct::cli::add_list_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "clustertwin: error: " << e.what() << "\n";
    return 2;
  }
  ct::set_data_dir(data);
  if (!overlays.empty()) ct::set_overlay_dirs(overlays);
  try {
    for (CLI::App* sub : app.get_subcommands()) {
      if (sub->get_name() == "train") return train();
      if (sub->get_name() == "validate") return validate();
      if (sub->get_name() == "compare") return compare();
      if (sub->get_name() == "plan") return plan();
      if (sub->get_name() == "serve") return serve();
      if (sub->get_name() == "serve-plan") return serve_plan();
      if (sub->get_name() == "cluster") return cluster();
      if (sub->get_name() == "calibrate") return calibrate();
      if (sub->get_name() == "list") return list();
    }
  } catch (const ct::InputError& e) {
    std::cerr << "clustertwin: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "clustertwin: internal error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
