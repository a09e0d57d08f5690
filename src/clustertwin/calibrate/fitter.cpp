#include "clustertwin/calibrate/fitter.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>
#include <unordered_map>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/serve/inference_cases.hpp"
#include "clustertwin/serve/serving_calibration.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace ct {
namespace fs = std::filesystem;

double log_error(const std::string& metric, double predicted, double measured) {
  const bool time_metric = metric == "iteration_time_s" || metric == "time_to_train_min" || metric == "gpu_hours";
  return time_metric ? std::log(measured / predicted) : std::log(predicted / measured);
}

namespace {

// Evidence folders a data folder carries that no prediction reads.
bool evidence_folder(const fs::path& p) { return p.filename() == "measured" || p.filename() == "traces"; }

void copy_data_folder(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    if (e.is_directory() && evidence_folder(e.path())) continue;
    fs::copy(e.path(), to / e.path().filename(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
}

// A scratch copy of the data folder whose calibration files each trial edits.
class Workspace {
 public:
  Workspace(const std::string& base, const FitSpec& spec) : spec_(spec) {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / fmt::format("clustertwin-calibrate-{}-{}", ::getpid(), counter++);
    fs::remove_all(dir_);
    copy_data_folder(base, dir_);
    for (const FitParameter& p : spec_.parameters) applied_.push_back(read_parameter(p, calibration_dir()));
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  std::string dir() const { return dir_.string(); }
  std::string calibration_dir() const { return (dir_ / "calibration").string(); }
  const std::vector<double>& applied() const { return applied_; }
  void apply(const std::vector<double>& values) {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] != applied_[i]) {
        write_parameter(spec_.parameters[i], calibration_dir(), values[i]);
        applied_[i] = read_parameter(spec_.parameters[i], calibration_dir());  // as the file rounds it
      }
  }

 private:
  const FitSpec& spec_;
  fs::path dir_;
  std::vector<double> applied_;
};

constexpr double kNotPredicted = 0.0;

class Fit {
 public:
  Fit(const CalibrationOptions& opt, const FitSpec& spec, const CsvTable& cases)
      : opt_(opt), spec_(spec), cases_(cases), work_(opt.data_dir, spec) {}

  const std::vector<double>& start_values() const { return work_.applied(); }

  // Predictions of `rows` (indices into the cases table) under `values`; kNotPredicted where the
  // row is not ok.
  std::vector<CaseResult> predict(const std::vector<double>& values, const std::vector<std::size_t>& rows) {
    work_.apply(values);
    const Catalogs cat = Catalogs::load(work_.dir());
    const TrainingValidator validator(cat);
    std::vector<CaseResult> out(rows.size());
    const int threads = std::max(1, std::min<int>(opt_.threads, static_cast<int>(rows.size())));
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i; (i = next++) < rows.size();) out[i] = validator.predict(cases_, rows[i]);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    evaluations_ += static_cast<int>(rows.size());
    return out;
  }
  // Predictions (kNotPredicted where not ok), memoised: a row's prediction depends only on the
  // constants that move it, and the fits without each group retrace much of one another's path.
  std::vector<double> predicted(const std::vector<double>& values, const std::vector<std::size_t>& rows) {
    std::vector<double> out(rows.size(), kNotPredicted);
    std::vector<std::size_t> todo, todo_at;
    std::vector<std::string> keys(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      keys[i] = memo_key(values, rows[i]);
      const auto hit = memo_.find(keys[i]);
      if (hit != memo_.end()) out[i] = hit->second;
      else todo.push_back(rows[i]), todo_at.push_back(i);
    }
    if (todo.empty()) return out;
    const std::vector<CaseResult> fresh = predict(values, todo);
    for (std::size_t j = 0; j < todo.size(); ++j) {
      const double v = fresh[j].status == "ok" ? fresh[j].predicted : kNotPredicted;
      out[todo_at[j]] = v;
      memo_.emplace(std::move(keys[todo_at[j]]), v);
    }
    return out;
  }
  // The constants each table row depends on (unset rows: all of them).
  void set_dependencies(std::map<std::size_t, std::vector<std::size_t>> deps) { deps_ = std::move(deps); }
  int evaluations() const { return evaluations_; }
  std::string work_dir() const { return work_.dir(); }

 private:
  const CalibrationOptions& opt_;
  const FitSpec& spec_;
  const CsvTable& cases_;
  Workspace work_;
  int evaluations_ = 0;
  std::map<std::size_t, std::vector<std::size_t>> deps_;
  std::unordered_map<std::string, double> memo_;

  std::string memo_key(const std::vector<double>& values, std::size_t row) const {
    std::string key(reinterpret_cast<const char*>(&row), sizeof row);
    const auto d = deps_.find(row);
    auto add = [&](std::size_t p) { key.append(reinterpret_cast<const char*>(&values[p]), sizeof(double)); };
    if (d == deps_.end()) {
      for (std::size_t p = 0; p < values.size(); ++p) add(p);
    } else {
      for (std::size_t p : d->second) add(p);
    }
    return key;
  }
};

ErrorSummary summarize(const std::vector<const CalibrationRow*>& rows, double CalibrationRow::*which) {
  ErrorSummary s;
  std::vector<double> ape;
  double sum = 0;
  for (const CalibrationRow* r : rows) {
    const double p = r->*which;
    if (p == kNotPredicted) continue;
    sum += std::abs(std::log(p / r->measured));
    ape.push_back(std::abs(p / r->measured - 1));
  }
  s.rows = static_cast<int>(ape.size());
  if (ape.empty()) return s;
  s.mean_abs_log = sum / s.rows;
  std::sort(ape.begin(), ape.end());
  const std::size_t n = ape.size();
  s.median_ape = n % 2 ? ape[n / 2] : 0.5 * (ape[n / 2 - 1] + ape[n / 2]);
  return s;
}

// Mean |ln error| over the objective rows `in`, with predictions `pred` (aligned with `in`).
double objective(const std::vector<double>& pred, const std::vector<double>& measured) {
  double sum = 0;
  int n = 0;
  for (std::size_t i = 0; i < pred.size(); ++i)
    if (pred[i] != kNotPredicted) sum += std::abs(std::log(pred[i] / measured[i])), ++n;
  return n ? sum / n : 0.0;
}

struct Descent {
  Fit& fit;
  const FitSpec& spec;
  const std::vector<std::vector<std::size_t>>& sensitive;  // per parameter: positions (in `rows`) it moves
  const std::function<void()>& tick;

  // Coordinate descent over the objective rows `rows` (table indices) from `start`.
  std::vector<double> run(const std::vector<std::size_t>& rows, const std::vector<double>& measured,
                          std::vector<double> cur, const std::vector<char>& determined) {
    std::vector<double> pred = fit.predicted(cur, rows);
    double best = objective(pred, measured);
    double step = spec.first_step;
    for (int round = 0; round < spec.rounds; ++round, step /= 2) {
      for (std::size_t p = 0; p < spec.parameters.size(); ++p, tick()) {
        if (!determined[p] || sensitive[p].empty()) continue;
        const FitParameter& fp = spec.parameters[p];
        std::vector<std::size_t> sub;
        for (std::size_t pos : sensitive[p]) sub.push_back(rows[pos]);
        for (const int dir : {+1, -1}) {
          bool moved = false;
          for (int move = 0; move < spec.max_moves; ++move) {
            const double x = cur[p];
            double cand = x == 0 ? (dir > 0 ? step * (fp.hi - fp.lo) / 10 : x) : x * (1 + dir * step);
            cand = std::clamp(cand, fp.lo, fp.hi);
            if (cand == x) break;
            std::vector<double> trial = cur;
            trial[p] = cand;
            std::vector<double> trial_pred = pred;
            const std::vector<double> moved_pred = fit.predicted(trial, sub);
            for (std::size_t i = 0; i < sub.size(); ++i) trial_pred[sensitive[p][i]] = moved_pred[i];
            const double val = objective(trial_pred, measured);
            if (!(val < best - 1e-6)) break;
            best = val, cur = trial, pred = std::move(trial_pred), moved = true;
          }
          if (moved) break;
        }
      }
    }
    return cur;
  }
};

std::string group_of(const CalibrationOptions& opt, const CalibrationRow& r, std::size_t position) {
  if (opt.holdout == Holdout::Source) return r.source;
  return fmt::format("fold {}", position % static_cast<std::size_t>(opt.folds) + 1);
}

}  // namespace

CalibrationResult calibrate(const CalibrationOptions& opt) {
  const std::string spec_path = opt.data_dir + "/calibration/fit.yaml";
  const FitSpec spec = load_fit_spec(spec_path);
  const CsvTable cases = read_csv_file(opt.cases_path);
  for (const char* col : {"source", "model", "metric", "value"})
    if (cases.column(col) < 0) throw InputError(opt.cases_path, col, "required column missing");
  if (opt.holdout == Holdout::KFold && (opt.folds < 2 || opt.folds > 100))
    throw InputError("--folds", "", "must be 2-100");
  std::vector<std::regex> excluded;
  for (const std::string& f : opt.exclude_families) {
    try {
      excluded.emplace_back(f, std::regex::icase);
    } catch (const std::regex_error&) {
      throw InputError("--exclude-family", f, "is not a regular expression");
    }
  }

  Fit fit(opt, spec, cases);
  CalibrationResult res;
  const std::size_t P = spec.parameters.size();
  const std::vector<double> base = fit.start_values();
  std::vector<double> start = base;
  if (opt.from_prior)
    for (std::size_t p = 0; p < P; ++p) start[p] = spec.parameters[p].prior;

  // Every row the simulator predicts at the starting constants is a case.
  std::vector<std::size_t> all(cases.rows.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const std::vector<CaseResult> first = fit.predict(base, all);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (first[i].status != "ok") continue;
    const CsvRowView v(cases, i);
    CalibrationRow r;
    r.row = i;
    r.source = v.str("source"), r.model = v.str("model"), r.metric = v.str("metric");
    try {
      r.measured = std::stod(v.str("value"));
    } catch (...) {
      continue;  // the validator predicted a row whose value is blank: nothing to compare
    }
    if (!(r.measured > 0) || !std::isfinite(r.measured)) continue;
    r.in_objective = std::find(spec.objective_metrics.begin(), spec.objective_metrics.end(), r.metric) != spec.objective_metrics.end();
    r.excluded = std::any_of(excluded.begin(), excluded.end(), [&](const std::regex& e) { return std::regex_search(r.model, e); });
    r.cls = first[i].cls;
    r.before = first[i].predicted;
    res.rows.push_back(std::move(r));
  }
  std::vector<std::size_t> objective_rows;  // positions in res.rows
  for (std::size_t k = 0; k < res.rows.size(); ++k)
    if (res.rows[k].in_objective && !res.rows[k].excluded) objective_rows.push_back(k);
  if (static_cast<int>(objective_rows.size()) < spec.min_rows)
    throw InputError(opt.cases_path, "rows",
                     fmt::format("{} rows with a predictable {} metric; calibrate needs at least {} ({})", objective_rows.size(),
                                 fmt::join(spec.objective_metrics, " or "), spec.min_rows, spec_path));

  // Which rows each constant moves: probe it once.
  std::vector<std::size_t> obj_table_rows;
  for (std::size_t k : objective_rows) obj_table_rows.push_back(res.rows[k].row);
  const std::vector<double> before_pred = fit.predicted(start, obj_table_rows);
  const int groups_planned = opt.holdout == Holdout::None ? 0 : opt.holdout == Holdout::KFold ? opt.folds : [&] {
    std::set<std::string> s;
    for (std::size_t k : objective_rows) s.insert(res.rows[k].source);
    return static_cast<int>(s.size());
  }();
  const int total_ticks = static_cast<int>(P) * (1 + spec.rounds * (1 + groups_planned));
  int ticks = 0;
  const std::function<void()> tick = [&] {
    ++ticks;
    if (opt.progress) opt.progress(std::min(ticks, total_ticks), total_ticks);
  };
  std::vector<std::vector<std::size_t>> sensitive(P);  // positions in objective_rows
  std::vector<char> determined(P, 0);
  for (std::size_t p = 0; p < P; ++p, tick()) {
    const FitParameter& fp = spec.parameters[p];
    std::vector<double> probe = start;
    probe[p] = start[p] == 0 ? spec.first_step * (fp.hi - fp.lo) / 10
               : start[p] * (1 + spec.first_step) <= fp.hi ? start[p] * (1 + spec.first_step)
                                                            : start[p] * (1 - spec.first_step);
    const std::vector<double> moved = fit.predicted(probe, obj_table_rows);
    for (std::size_t i = 0; i < moved.size(); ++i)
      if (std::abs(moved[i] - before_pred[i]) > 1e-9 * std::max(std::abs(before_pred[i]), 1e-30)) sensitive[p].push_back(i);
    determined[p] = !sensitive[p].empty();
    res.parameters.push_back({fp.name, base[p], start[p], static_cast<int>(sensitive[p].size())});
  }
  std::map<std::size_t, std::vector<std::size_t>> deps;
  for (std::size_t i = 0; i < obj_table_rows.size(); ++i) deps[obj_table_rows[i]];
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t i : sensitive[p]) deps[obj_table_rows[i]].push_back(p);
  fit.set_dependencies(std::move(deps));
  if (std::none_of(determined.begin(), determined.end(), [](char d) { return d; }))
    throw InputError(opt.cases_path, "rows", "no fitted constant moves any prediction of these rows: nothing to calibrate");

  auto fit_on = [&](const std::vector<std::size_t>& positions) {  // positions in objective_rows
    std::vector<std::size_t> rows;
    std::vector<double> measured;
    std::vector<std::vector<std::size_t>> sub_sensitive(P);
    std::vector<long> index_of(objective_rows.size(), -1);
    for (std::size_t j = 0; j < positions.size(); ++j) {
      index_of[positions[j]] = static_cast<long>(j);
      rows.push_back(obj_table_rows[positions[j]]);
      measured.push_back(res.rows[objective_rows[positions[j]]].measured);
    }
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t i : sensitive[p])
        if (index_of[i] >= 0) sub_sensitive[p].push_back(static_cast<std::size_t>(index_of[i]));
    Descent d{fit, spec, sub_sensitive, tick};
    return d.run(rows, measured, start, determined);
  };

  std::vector<std::size_t> every(objective_rows.size());
  for (std::size_t j = 0; j < every.size(); ++j) every[j] = j;
  const std::vector<double> fitted = fit_on(every);
  for (std::size_t p = 0; p < P; ++p) res.parameters[p].after = fitted[p];

  auto predict_rows = [&](const std::vector<double>& values, const std::vector<std::size_t>& positions, double CalibrationRow::*into) {
    std::vector<std::size_t> rows;
    for (std::size_t k : positions) rows.push_back(res.rows[k].row);
    const std::vector<double> p = fit.predicted(values, rows);
    for (std::size_t i = 0; i < positions.size(); ++i) res.rows[positions[i]].*into = p[i];
  };
  std::vector<std::size_t> every_row(res.rows.size());
  for (std::size_t k = 0; k < every_row.size(); ++k) every_row[k] = k;
  predict_rows(fitted, every_row, &CalibrationRow::fitted);

  std::vector<const CalibrationRow*> in_sample;
  for (std::size_t k : objective_rows) in_sample.push_back(&res.rows[k]);
  res.in_sample_before = summarize(in_sample, &CalibrationRow::before);
  res.in_sample_after = summarize(in_sample, &CalibrationRow::fitted);

  // Held out: refit without each group, predict the group (excluded families: the fit on all rows held them out already).
  if (opt.holdout != Holdout::None) {
    std::map<std::string, std::vector<std::size_t>> groups;  // group -> positions in res.rows
    std::size_t position = 0;
    for (std::size_t k = 0; k < res.rows.size(); ++k) {
      CalibrationRow& r = res.rows[k];
      r.group = r.excluded ? "excluded" : group_of(opt, r, position++);
      groups[r.group].push_back(k);
    }
    for (const auto& [name, members] : groups) {
      std::vector<double> values = fitted;
      if (name != "excluded") {
        const std::set<std::size_t> out(members.begin(), members.end());
        std::vector<std::size_t> keep;
        for (std::size_t j = 0; j < objective_rows.size(); ++j)
          if (!out.count(objective_rows[j])) keep.push_back(j);
        if (static_cast<int>(keep.size()) < spec.min_rows) continue;  // nothing left to fit on: not held out
        values = fit_on(keep);
      }
      predict_rows(values, members, &CalibrationRow::held_out);
      std::vector<const CalibrationRow*> g;
      for (std::size_t k : members)
        if (res.rows[k].in_objective) g.push_back(&res.rows[k]);
      res.groups.push_back({name, summarize(g, &CalibrationRow::before), summarize(g, &CalibrationRow::held_out)});
    }
    std::vector<const CalibrationRow*> held;
    for (const CalibrationRow& r : res.rows)
      if (r.in_objective && r.held_out != kNotPredicted) held.push_back(&r);
    res.held_out_before = summarize(held, &CalibrationRow::before);
    res.held_out_after = summarize(held, &CalibrationRow::held_out);
  }
  if (opt.progress) opt.progress(total_ticks, total_ticks);

  // The held-out errors behind the ranges: training from the held-out predictions, serving from the
  // serving rows under the fitted constants (no serving row enters the fit).
  const HeldOutErrors base_errors = HeldOutErrors::load(opt.data_dir);
  std::vector<HeldOutError> errors;
  for (const CalibrationRow& r : res.rows)
    if (opt.holdout != Holdout::None && r.held_out != kNotPredicted)
      errors.push_back({r.cls, r.source, log_error(r.metric, r.held_out, r.measured)});
  if (opt.holdout == Holdout::None)
    for (const HeldOutError& e : base_errors.errors())
      if (e.cls.domain == "training") errors.push_back(e);
  if (!opt.serving_cases_path.empty()) {
    std::vector<double> f = fitted;
    Workspace w(opt.data_dir, spec);
    w.apply(f);
    const Catalogs cat = Catalogs::load(w.dir());
    const serve::ServingCalibration sc = serve::load_serving_calibration(w.dir());
    const serve::ValidationTables tables = serve::load_validation_tables(w.dir());
    const serve::InferenceValidator v(cat, sc, tables);
    const CsvTable serving = read_csv_file(opt.serving_cases_path);
    for (const char* col : {"source", "metric", "value"})
      if (serving.column(col) < 0) throw InputError(opt.serving_cases_path, col, "required column missing");
    for (std::size_t i = 0; i < serving.rows.size(); ++i) {
      const CaseResult c = v.predict(serving, i);
      const CsvRowView row(serving, i);
      double measured = 0;
      try {
        measured = std::stod(row.str("value"));
      } catch (...) {
        continue;
      }
      if (c.status != "ok" || !(measured > 0) || !(c.predicted > 0)) continue;
      errors.push_back({c.cls, row.str("source"), log_error(row.str("metric"), c.predicted, measured)});
      ++res.serving_rows;
    }
  } else {
    for (const HeldOutError& e : base_errors.errors())
      if (e.cls.domain == "serving") errors.push_back(e);
  }
  RangePolicy policy = base_errors.policy();
  res.held_out = HeldOutErrors(errors, policy);
  for (const char* domain : {"training", "serving"}) {
    const WidthFit w = fit_width_scale(res.held_out, domain);
    if (w.runs > 0) policy.width_scale[domain] = w.scale;
    res.width[domain] = w;
  }
  res.held_out = HeldOutErrors(std::move(errors), policy);
  res.evaluations = fit.evaluations();
  return res;
}

namespace {

nlohmann::json summary_json(const ErrorSummary& s) {
  return {{"rows", s.rows}, {"mean_abs_log_error", s.mean_abs_log}, {"median_ape", s.median_ape}};
}

std::string fit_report(const CalibrationOptions& opt, const CalibrationResult& r) {
  nlohmann::ordered_json j;
  j["cases"] = fs::path(opt.cases_path).filename().string();
  j["holdout"] = opt.holdout == Holdout::None ? "none" : opt.holdout == Holdout::Source ? "source" : fmt::format("{}-fold", opt.folds);
  j["start"] = opt.from_prior ? "fit.yaml priors" : "the data folder's values";
  j["parameters"] = nlohmann::json::array();
  for (const FittedParameter& p : r.parameters)
    j["parameters"].push_back({{"name", p.name}, {"before", p.before}, {"after", p.after}, {"rows_exercising", p.rows_exercising}});
  j["in_sample"] = {{"before", summary_json(r.in_sample_before)}, {"after", summary_json(r.in_sample_after)}};
  j["held_out"] = {{"before", summary_json(r.held_out_before)}, {"after", summary_json(r.held_out_after)}};
  j["groups"] = nlohmann::json::array();
  for (const HeldOutGroup& g : r.groups)
    j["groups"].push_back({{"name", g.name}, {"before", summary_json(g.before)}, {"after", summary_json(g.after)}});
  j["ranges"] = {{"nominal_coverage", r.held_out.policy().coverage}};
  for (const auto& [domain, w] : r.width)
    j["ranges"][domain] = {{"width_scale", w.scale}, {"leave_one_source_out_coverage", w.nested_coverage},
                           {"runs", w.runs}, {"sources", w.sources}};
  return j.dump(2) + "\n";
}

}  // namespace

void write_calibrated_data(const CalibrationOptions& opt, const CalibrationResult& r, const std::string& out_dir) {
  const FitSpec spec = load_fit_spec(opt.data_dir + "/calibration/fit.yaml");
  const bool in_place = fs::exists(out_dir) && fs::equivalent(out_dir, opt.data_dir);
  // Build the folder beside its destination, then move it there: no half-written output.
  fs::path target = fs::absolute(out_dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "my-data/"
  const fs::path staging = in_place ? target / ".calibrate-staging"
                                    : target.parent_path() / fmt::format(".{}.calibrate-staging", target.filename().string());
  fs::remove_all(staging);
  if (in_place) {
    fs::create_directories(staging);
    fs::copy(target / "calibration", staging / "calibration", fs::copy_options::recursive);
  } else {
    copy_data_folder(opt.data_dir, staging);
  }
  const std::string cal = (staging / "calibration").string();
  for (std::size_t p = 0; p < spec.parameters.size(); ++p) write_parameter(spec.parameters[p], cal, r.parameters[p].after);
  write_file_atomically(cal + "/residuals.csv", r.held_out.csv());
  for (const auto& [domain, w] : r.width) {
    if (w.runs == 0) continue;  // too few sources to fit the widening: the folder's value stays
    FitParameter scale;
    scale.name = "width_scale." + domain, scale.file = "ranges.yaml", scale.field = domain;
    write_parameter(scale, cal, w.scale);
  }
  write_file_atomically(cal + "/fit_report.json", fit_report(opt, r));
  if (in_place) {
    for (const char* f : {"devices.yaml", "profiles.yaml", "runtime.yaml", "ranges.yaml", "residuals.csv", "fit_report.json"})
      if (fs::exists(fs::path(cal) / f)) fs::rename(fs::path(cal) / f, target / "calibration" / f);
    fs::remove_all(staging);
    return;
  }
  if (fs::exists(target)) fs::remove_all(target);
  fs::rename(staging, target);
}

std::string held_out_predictions_csv(const CalibrationOptions& opt, const CalibrationResult& r) {
  const CsvTable cases = read_csv_file(opt.cases_path);
  std::vector<std::string> header = cases.header;
  header.insert(header.end(), {"predicted_before", "predicted_fitted", "predicted_held_out", "holdout_group", "generation",
                               "model_class", "precision_class", "stack"});
  std::string out = csv_line(header);
  auto num = [](double v) { return v == kNotPredicted ? std::string() : fmt::format("{:.6g}", v); };
  for (const CalibrationRow& row : r.rows) {
    std::vector<std::string> f = cases.rows[row.row];
    f.insert(f.end(), {num(row.before), num(row.fitted), num(row.held_out), row.group, row.cls.generation, row.cls.model_class,
                       row.cls.precision_class, row.cls.stack});
    out += csv_line(f);
  }
  return out;
}

}  // namespace ct
