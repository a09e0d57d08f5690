#pragma once
// The physical constants `clustertwin calibrate` fits, as data/calibration/fit.yaml lists them:
// each names the calibration file and the place in it that holds its value, its bounds and a round
// prior to start an unbiased fit from. Values are read and written as text edits of those files, so
// a fitted data folder keeps every comment and source line of the one it came from.
#include <string>
#include <vector>

namespace ct {

struct FitParameter {
  enum class Kind {
    BlockField,   // `field:` inside the `- key: id` blocks of `ids` (all set alike; read from the first)
    InlineScale,  // every `name: {fwd: a, bwd: b}` pair of the file scaled alike (read: the first fwd)
    TopField,     // the first two-space-indented `field:` of the file
  };
  std::string name;  // as printed: "sustained_tensor_fraction[hopper]"
  std::string file;  // relative to the calibration folder
  Kind kind = Kind::TopField;
  std::string block_key, field;
  std::vector<std::string> ids;
  double lo = 0, hi = 0, prior = 0;
};

struct FitSpec {
  std::vector<FitParameter> parameters;
  std::vector<std::string> objective_metrics;  // the validation metrics the objective uses
  int rounds = 4;
  double first_step = 0.2;  // relative; halved each round
  int max_moves = 4;        // moves in one direction per parameter and round
  int min_rows = 10;        // fewer predictable rows: refuse to fit
};

// Throws InputError naming the file and field.
FitSpec load_fit_spec(const std::string& path);

// The parameter's value in the calibration folder `dir`, and the text edit that sets it.
double read_parameter(const FitParameter& p, const std::string& dir);
void write_parameter(const FitParameter& p, const std::string& dir, double value);

}  // namespace ct
