// `clustertwin calibrate` as a user meets it: a fit on part of one source's runs predicts the rest
// of that source better than the shipped constants; the data folder it writes changes `train`;
// rows that cannot determine a constant are refused in one line with exit code 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "cli_run.hpp"
#include "clustertwin/calibrate/fitter.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace ct {
namespace {
namespace fs = std::filesystem;
using testing::run_cli;

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("clustertwin-calibrate-test-" + std::to_string(::getpid()));
  Scratch() { fs::remove_all(dir), fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
};

const std::string kData = CLUSTERTWIN_DATA_DIR;
const char* kSource = "NVIDIA NeMo performance summary (24.07)";

// The source's rows, split 80/20 by position.
std::pair<std::string, std::string> split_source(const CsvTable& all) {
  std::string fit = csv_line(all.header), held = csv_line(all.header);
  int k = 0;
  for (std::size_t r = 0; r < all.rows.size(); ++r) {
    if (CsvRowView(all, r).str("source") != kSource) continue;
    (k++ % 5 == 4 ? held : fit) += csv_line(all.rows[r]);
  }
  return {fit, held};
}

double mean_abs_log_error(const std::string& data_dir, const std::string& cases) {
  const Catalogs cat = Catalogs::load(data_dir);
  const TrainingValidator v(cat);
  const CsvTable t = read_csv_file(cases);
  double sum = 0;
  int n = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const CaseResult c = v.predict(t, r);
    if (c.status != "ok") continue;
    sum += std::abs(std::log(c.predicted / std::stod(CsvRowView(t, r).str("value"))));
    ++n;
  }
  EXPECT_GT(n, 0);
  return sum / n;
}

TEST(Calibrate, FitOnEightyPercentOfASourcePredictsTheRestBetter) {
  Scratch s;
  const auto [fit_rows, held_rows] = split_source(read_csv_file(kData + "/measured/measured_training.csv"));
  const std::string fit_csv = (s.dir / "fit.csv").string(), held_csv = (s.dir / "held.csv").string();
  write_file_atomically(fit_csv, fit_rows);
  write_file_atomically(held_csv, held_rows);
  CalibrationOptions opt;
  opt.data_dir = kData;
  opt.cases_path = fit_csv;
  opt.holdout = Holdout::None;
  opt.threads = 2;
  const CalibrationResult r = calibrate(opt);
  EXPECT_LT(r.in_sample_after.mean_abs_log, r.in_sample_before.mean_abs_log);
  const std::string out = (s.dir / "my-data").string();
  write_calibrated_data(opt, r, out);
  const double before = mean_abs_log_error(kData, held_csv), after = mean_abs_log_error(out, held_csv);
  EXPECT_LT(after, before) << "held-out 20%: shipped " << before << ", calibrated " << after;

  // The written folder is a data folder every command takes, and it changes `train`.
  const std::vector<std::string> train = {"train", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8",
                                          "--global-batch", "128", "--seq-len", "4096", "--format", "json"};
  std::vector<std::string> calibrated = {"--data", out};
  calibrated.insert(calibrated.end(), train.begin(), train.end());
  const auto a = run_cli(train, s.dir), b = run_cli(calibrated, s.dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.out, b.out);
  EXPECT_NE(a.out.find("\"range\""), std::string::npos) << "the shipped data carries held-out errors";
}

TEST(Calibrate, RefusesRowsThatCannotDetermineAConstant) {
  Scratch s;
  const CsvTable all = read_csv_file(kData + "/measured/measured_training.csv");
  std::string few = csv_line(all.header);
  for (std::size_t r = 0; r < 3; ++r) few += csv_line(all.rows[r]);
  const std::string cases = (s.dir / "few.csv").string();
  write_file_atomically(cases, few);
  const auto r = run_cli({"calibrate", "--cases", cases, "--out", (s.dir / "out").string()}, s.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(testing::count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("at least"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(s.dir / "out"));
}

TEST(Calibrate, NeverReplacesAFolderItDidNotWrite) {
  Scratch s;
  fs::create_directories(s.dir / "mine");
  write_file_atomically((s.dir / "mine" / "notes.txt").string(), "keep me\n");
  const auto r = run_cli({"calibrate", "--cases", kData + "/measured/measured_training.csv", "--out", (s.dir / "mine").string()}, s.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(testing::count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(fs::exists(s.dir / "mine" / "notes.txt"));
}

}  // namespace
}  // namespace ct
