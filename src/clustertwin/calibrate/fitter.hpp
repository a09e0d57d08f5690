#pragma once
// Fitting the constants of data/calibration/fit.yaml to measured runs, and the honest error of
// that fit: the rows are predicted by the training validator (validate/training_cases.hpp) over a
// scratch copy of the data folder whose calibration files are edited in place for each trial.
// Held-out error comes from refitting without each group of rows (k folds, or one source at a time)
// and predicting that group; those held-out errors are what the ranges of every figure are drawn
// from (accuracy/prediction_range.hpp).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/calibrate/fit_spec.hpp"

namespace ct {

enum class Holdout { None, KFold, Source };

struct CalibrationOptions {
  std::string data_dir;       // the folder whose constants are the starting point (and the "before")
  std::string cases_path;     // measured training runs (columns of data/measured/measured_training.csv)
  std::string serving_cases_path;  // optional: measured inference runs, predicted with the fitted constants
  Holdout holdout = Holdout::KFold;
  int folds = 5;
  bool from_prior = false;    // start every fit at fit.yaml's priors (the project's own fit) instead of the folder's values
  std::vector<std::string> exclude_families;  // regular expressions on the model column: rows held out of every fit
  int threads = 1;
  std::function<void(int done, int total)> progress;
};

struct ErrorSummary {
  int rows = 0;
  double mean_abs_log = 0;  // mean |ln(predicted / measured)|
  double median_ape = 0;    // median |predicted / measured - 1|
};

struct FittedParameter {
  std::string name;
  double before = 0, after = 0;
  int rows_exercising = 0;  // rows whose prediction the parameter moves; 0: not determined, kept
};

struct HeldOutGroup {
  std::string name;  // the source, or "fold k"
  ErrorSummary before, after;  // the group's rows under the starting and under the refitted constants
};

// One measured row as the fit sees it.
struct CalibrationRow {
  std::size_t row = 0;  // in the cases table
  std::string source, model, metric;
  double measured = 0;
  bool in_objective = false;  // one of fit.yaml's objective metrics
  bool excluded = false;      // held out of every fit (exclude_families)
  ComparableClass cls;
  double before = 0, fitted = 0, held_out = 0;  // predictions: starting constants, fitted on all, refitted without its group
  std::string group;
};

struct CalibrationResult {
  std::vector<FittedParameter> parameters;
  std::vector<CalibrationRow> rows;  // every row predicted at the starting constants
  ErrorSummary in_sample_before, in_sample_after;
  ErrorSummary held_out_before, held_out_after;  // over the rows of every held-out group
  std::vector<HeldOutGroup> groups;
  HeldOutErrors held_out;  // training (and serving) held-out errors, for the ranges (with the fitted width_scale)
  std::map<std::string, WidthFit> width;  // by domain: the range widening and its nested held-out coverage
  int serving_rows = 0;
  int evaluations = 0;  // simulator passes over rows
};

// ln(predicted rate / measured rate) of a row: above 0 the twin is too fast (time metrics inverted).
double log_error(const std::string& metric, double predicted, double measured);

// Throws InputError when the rows cannot determine any constant (too few predictable rows, or none
// that a constant moves).
CalibrationResult calibrate(const CalibrationOptions& opt);

// Writes `out_dir` as a data folder: a copy of opt.data_dir with the fitted constants, the held-out
// errors (calibration/residuals.csv) and the fit's summary (calibration/fit_report.json). When
// out_dir is opt.data_dir the files are edited in place. All or nothing.
void write_calibrated_data(const CalibrationOptions& opt, const CalibrationResult& r, const std::string& out_dir);

// The cases with their in-sample and held-out predictions (CSV), for the reports.
std::string held_out_predictions_csv(const CalibrationOptions& opt, const CalibrationResult& r);

}  // namespace ct
