// `clustertwin calibrate --cases my_runs.csv --out my-data/`: fits the physical constants of
// data/calibration/fit.yaml on a user's measured runs and writes a data folder every command takes
// (--data my-data/), with held-out error before and after and the errors the ranges come from.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "clustertwin/calibrate/fitter.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"

namespace ct::cli {
namespace {

std::string line(const char* what, const ErrorSummary& before, const ErrorSummary& after) {
  return fmt::format("  {:<22} {:>5} rows   median APE {:5.1f}% -> {:5.1f}%   mean |ln error| {:.3f} -> {:.3f}\n", what,
                     after.rows, before.median_ape * 100, after.median_ape * 100, before.mean_abs_log, after.mean_abs_log);
}

// An existing --out must be the data folder itself, empty, or an earlier calibrate output: never
// a folder of the user's that this command would replace.
void check_out_dir(const std::string& out, const std::string& data) {
  namespace fs = std::filesystem;
  if (!fs::exists(out)) return;
  if (!fs::is_directory(out)) throw InputError(out, "--out", "exists and is not a folder");
  if (fs::equivalent(out, data)) return;
  if (fs::is_empty(out) || fs::exists(fs::path(out) / "calibration" / "fit_report.json")) return;
  throw InputError(out, "--out", "is a folder that calibrate did not write; name a new or empty one");
}

}  // namespace

Runner add_calibrate_command(CLI::App& app) {
  struct Options {
    CalibrationOptions fit;
    std::string out, predictions, holdout = "kfold";
  };
  auto opt = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("calibrate", "Fit the calibration constants to measured runs; write a data folder");
  c->add_option("--cases", opt->fit.cases_path, "CSV of measured training runs (columns of data/measured/measured_training.csv)")
      ->required();
  c->add_option("--out", opt->out, "data folder to write (the --data folder itself: edited in place)")->required();
  c->add_option("--serving-cases", opt->fit.serving_cases_path,
                "CSV of measured inference runs: their errors under the fitted constants feed the serving ranges");
  c->add_option("--holdout", opt->holdout, "held-out error by: kfold (default), source (leave one source out), none")
      ->check(CLI::IsMember({"kfold", "source", "none"}));
  c->add_option("--folds", opt->fit.folds, "folds of --holdout kfold")->check(CLI::Range(2, 100));
  c->add_flag("--from-prior", opt->fit.from_prior,
              "start every fit at fit.yaml's priors, not at the data folder's values (fits that must not see held-out rows)");
  c->add_option("--exclude-family", opt->fit.exclude_families,
                "hold rows whose model matches this regular expression out of every fit (repeatable)");
  c->add_option("--predictions", opt->predictions, "CSV to write: the cases with before, fitted and held-out predictions");
  c->add_option("--threads", opt->fit.threads, "rows predicted in parallel (default: all cores)")->check(CLI::Range(1, 256));
  opt->fit.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return [opt] {
    CalibrationOptions fit = opt->fit;
    fit.data_dir = data_dir();
    fit.holdout = opt->holdout == "source" ? Holdout::Source : opt->holdout == "none" ? Holdout::None : Holdout::KFold;
    fit.progress = progress_bar(true, "fit steps");
    check_output_is_not_an_input(opt->out, {fit.cases_path, fit.serving_cases_path}, "--out");
    if (!opt->predictions.empty()) check_output_is_not_an_input(opt->predictions, {fit.cases_path, fit.serving_cases_path}, "--predictions");
    check_out_dir(opt->out, fit.data_dir);
    const CalibrationResult r = calibrate(fit);
    std::string report = fmt::format("calibrate: {} measured runs predicted, {} simulator row passes\n", r.rows.size(), r.evaluations);
    for (const FittedParameter& p : r.parameters)
      report += p.rows_exercising ? fmt::format("  {:<40} {:>9.4g} -> {:<9.4g} ({} rows move it)\n", p.name, p.before, p.after, p.rows_exercising)
                                  : fmt::format("  {:<40} {:>9.4g}    kept: no row moves it, so these rows cannot determine it\n", p.name, p.before);
    report += line("in-sample", r.in_sample_before, r.in_sample_after);
    if (fit.holdout != Holdout::None)
      report += line(fit.holdout == Holdout::Source ? "leave-one-source-out" : fmt::format("{}-fold held-out", fit.folds).c_str(),
                     r.held_out_before, r.held_out_after);
    for (const auto& [domain, w] : r.width)
      report += w.runs ? fmt::format("  {} ranges: widened x{:.2f}; the {:.0f}% range covers {:.1f}% of {} runs of held-out sources ({} sources)\n",
                                     domain, w.scale, r.held_out.policy().coverage * 100, w.nested_coverage * 100, w.runs, w.sources)
                       : fmt::format("  {} ranges: fewer than two sources with comparable runs; widening kept\n", domain);
    write_calibrated_data(fit, r, opt->out);
    if (!opt->predictions.empty()) write_file_atomically(opt->predictions, held_out_predictions_csv(fit, r));
    std::cout << report << fmt::format("  wrote {} (use it with --data {})\n", opt->out, opt->out);
    return 0;
  };
}

}  // namespace ct::cli
