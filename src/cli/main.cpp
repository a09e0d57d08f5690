// clustertwin: a digital twin of AI supercomputers. Exit codes: 0 success (an infeasible layout
// is a result), 2 bad input, 1 internal error.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "clustertwin/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"clustertwin: simulate AI supercomputers (training, planning, serving, fleets, validation against measured runs)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "clustertwin 0.1");
  ct::cli::Runner train = ct::cli::add_train_command(app);
  ct::cli::Runner validate = ct::cli::add_validate_command(app);
  ct::cli::Runner compare = ct::cli::add_compare_command(app);
  ct::cli::Runner plan = ct::cli::add_plan_command(app);
  ct::cli::Runner serve = ct::cli::add_serve_command(app);
  ct::cli::Runner serve_plan = ct::cli::add_serve_plan_command(app);
  ct::cli::Runner cluster = ct::cli::add_cluster_command(app);
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
  try {
    for (CLI::App* sub : app.get_subcommands()) {
      if (sub->get_name() == "train") return train();
      if (sub->get_name() == "validate") return validate();
      if (sub->get_name() == "compare") return compare();
      if (sub->get_name() == "plan") return plan();
      if (sub->get_name() == "serve") return serve();
      if (sub->get_name() == "serve-plan") return serve_plan();
      if (sub->get_name() == "cluster") return cluster();
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
