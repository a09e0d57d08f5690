#pragma once
// Subcommands of the clustertwin CLI; each registers its options on the app and returns the
// function that runs it (exit code).
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace ct::cli {

using Runner = std::function<int()>;

// How free-text names were read (config/name_resolver), on stderr so that stdout stays the result.
inline void print_assumptions(const std::vector<std::string>& assumptions) {
  for (const std::string& a : assumptions) std::cerr << "clustertwin: assumed: " << a << "\n";
}

Runner add_train_command(CLI::App& app);
Runner add_validate_command(CLI::App& app);
Runner add_compare_command(CLI::App& app);
Runner add_plan_command(CLI::App& app);
Runner add_serve_command(CLI::App& app);
Runner add_serve_plan_command(CLI::App& app);
Runner add_cluster_command(CLI::App& app);
Runner add_calibrate_command(CLI::App& app);
Runner add_list_command(CLI::App& app);
// `validate inference`: predicts measured_inference.csv rows (cmd_serve.cpp).
int run_validate_inference(const std::string& cases, const std::string& out);
int run_validate_energy(const std::string& cases, const std::string& out);

}  // namespace ct::cli
