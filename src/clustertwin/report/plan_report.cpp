#include "clustertwin/report/plan_report.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <map>
#include <filesystem>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/report/range_format.hpp"
#include "clustertwin/report/svg_plot.hpp"

namespace ct {
namespace {

constexpr double kDay = 86400.0;

const char* objective_name(Objective o) {
  return o == Objective::Time ? "time to train" : (o == Objective::Cost ? "cost" : "facility energy");
}

PredictionRange candidate_range(const PlanRequest& req, const PlanCandidate& c, const HeldOutErrors& errors) {
  if (!c.simulated || !c.feasible) return {};
  return errors.range(comparable_class("training", req.system.gpu, req.model, c.layout.precision, req.profile.stack()));
}

// Every figure of a run follows from its step time: wall time, GPU-hours, energy (at the predicted
// power), cost and CO2 scale with it, so each takes the step time's range.
std::vector<RangedFigure> ranged_figures(const PlanCandidate& c) {
  return {{"step_time_s", c.step_time_s, false},          {"time_to_train_s", c.run.wall_time_s, false},
          {"gpu_hours", c.run.gpu_hours, false},          {"facility_energy_kwh", c.run.facility_energy_kwh, false},
          {"cost", c.run.cost, false},                    {"co2_tonnes", c.run.co2_tonnes, false}};
}

}  // namespace

std::string layout_label(const ParallelLayout& l) {
  std::string s = fmt::format("TP{} PP{}", l.tp, l.pp);
  if (l.vp > 1) s += fmt::format(" VP{}", l.vp);
  if (l.cp > 1) s += fmt::format(" CP{}", l.cp);
  if (l.ep > 1) s += fmt::format(" EP{}", l.ep);
  s += fmt::format(" DP{} mb{}", l.dp, l.micro_batch);
  return s;
}

std::string format_plan_text(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors) {
  std::string o = fmt::format("clustertwin plan: {} on {}, {:.3g} tokens, objective: {}\n", req.model.name, req.system.id,
                              req.tokens, objective_name(req.objective));
  o += fmt::format("  {} layouts enumerated, {} fit in memory, {} simulated, {} bounded out (provably not better)\n",
                   r.enumerated, r.feasible, r.simulated, r.bounded);
  for (const auto& [reason, n] : r.infeasible_reasons) o += fmt::format("  {} layouts: {}\n", n, reason);
  if (r.enumerated == 0) {
    o += "\n  no valid layout: no TP x PP x CP split of this GPU count divides the model (heads, layers) and the\n"
         "  global batch; try another GPU count or --global-batch.\n";
    return o;
  }
  if (r.top.empty()) {
    o += "\n  no layout meets the request.";
    if (r.feasible == 0)
      o += fmt::format(" None fits in the {:.0f} GB of a GPU; these need the least memory (more GPUs, --zero zero3 or "
                       "fp8 would lower it):",
                       req.system.gpu.hbm_bytes / units::kGB);
    else if (req.deadline_s)
      o += fmt::format(" The fastest feasible layouts miss the {:.0f}-day deadline:", *req.deadline_s / kDay);
    o += "\n";
  }
  auto table = [&](const std::vector<std::size_t>& rows, const char* title) {
    o += fmt::format("\n  {}\n", title);
    o += fmt::format("  {:>4} {:>6} {:<28} {:>12} {:>6} {:>8} {:>6} {:>6} {:>7} {:>11} {:>9} {:>8} {:>10} {:>7}\n", "#",
                     "GPUs", "layout", "rc", "prec", "step s", "MFU", "mem GB", "days", "days range", "GPU-h", "MWh",
                     "cost M" + req.site.currency, "t CO2");
    int rank = 0;
    for (std::size_t i : rows) {
      const PlanCandidate& c = r.candidates[i];
      if (!c.simulated) {  // not run: only its layout and memory are known
        o += fmt::format("  {:>4} {:>6} {:<28} {:>12} {:>6} {:>8} {:>6} {:>6.1f}   (does not fit)\n", ++rank, c.layout.gpus,
                         layout_label(c.layout), recompute_short_name(c.layout), to_string(c.layout.precision), "-",
                         "-", c.memory_bytes / units::kGB);
        continue;
      }
      const std::string days_range = range_cell(candidate_range(req, c, errors), {"time_to_train_s", c.run.wall_time_s}, 1, kDay);
      o += fmt::format("  {:>4} {:>6} {:<28} {:>12} {:>6} {:>8.3f} {:>5.1f}% {:>6.1f} {:>7.1f} {:>11} {:>9.3g} {:>8.1f} {:>10.1f} {:>7.0f}\n",
                       ++rank, c.layout.gpus, layout_label(c.layout), recompute_short_name(c.layout),
                       to_string(c.layout.precision), c.step_time_s, 100 * c.mfu, c.memory_bytes / units::kGB,
                       c.run.wall_time_s / kDay, days_range, c.run.gpu_hours, c.run.facility_energy_kwh / 1e3,
                       c.run.cost / 1e6, c.run.co2_tonnes);
    }
  };
  const std::vector<std::size_t> rows = r.top.empty() ? closest_alternatives(r, 5) : r.top;
  table(rows, r.top.empty() ? "closest alternatives" : "best layouts");
  if (!r.pareto.empty()) table(r.pareto, "Pareto front (time, cost, energy) among the simulated layouts");
  if (!r.top.empty()) {
    const PlanCandidate& w = r.candidates[r.top.front()];
    o += fmt::format("\n  winner: {}; {}\n", layout_label(w.layout), r.explanation.empty() ? "no runner-up" : r.explanation);
    const PredictionRange range = candidate_range(req, w, errors);
    if (range.available()) {
      const auto [dlo, dhi] = range.of_time(w.run.wall_time_s);
      const auto [elo, ehi] = range.of_time(w.run.facility_energy_kwh);
      const auto [clo, chi] = range.of_time(w.run.cost);
      o += fmt::format("  {:.0f}% range: {:.1f}-{:.1f} days, {:.0f}-{:.0f} MWh, cost {:.1f}-{:.1f} M{}\n    ({})\n",
                       100 * range.coverage, dlo / kDay, dhi / kDay, elo / 1e3, ehi / 1e3, clo / 1e6, chi / 1e6,
                       req.site.currency, range.describe());
    }
    o += fmt::format("  failures: MTBF of the job {:.1f} h, checkpoint {:.2f} TB written in {:.0f} s every {:.0f} min "
                     "(Young/Daly), goodput {:.1f} %, {:.0f} expected interruptions\n",
                     w.run.mtbf_s / 3600, w.run.checkpoint_bytes / units::kTB, w.run.checkpoint_write_s,
                     w.run.checkpoint_interval_s / 60, 100 * w.run.goodput, w.run.expected_failures);
  }
  return o;
}

namespace {

nlohmann::ordered_json candidate_fields(const PlanCandidate& c) {
  const ParallelLayout& l = c.layout;
  return {{"gpus", l.gpus},
          {"tp", l.tp},
          {"pp", l.pp},
          {"vp", l.vp},
          {"cp", l.cp},
          {"ep", l.ep},
          {"dp", l.dp},
          {"micro_batch", l.micro_batch},
          {"global_batch", l.global_batch},
          {"recompute", recompute_name(l)},
          {"activation_offload_layers", l.activation_offload_layers},
          {"precision", to_string(l.precision)},
          {"dp_sharding", to_string(l.sharding)},
          {"feasible", c.feasible},
          {"simulated", c.simulated},
          {"memory_bytes", c.memory_bytes},
          {"lower_bound_step_s", c.lower_bound_s},
          {"step_time_s", c.step_time_s},
          {"mfu", c.mfu},
          {"time_to_train_s", c.run.wall_time_s},
          {"goodput", c.run.goodput},
          {"gpu_hours", c.run.gpu_hours},
          {"it_energy_kwh", c.run.it_energy_kwh},
          {"facility_energy_kwh", c.run.facility_energy_kwh},
          {"cost", c.run.cost},
          {"co2_tonnes", c.run.co2_tonnes}};
}

nlohmann::ordered_json candidate_json(const PlanRequest& req, const PlanCandidate& c, const HeldOutErrors& errors) {
  nlohmann::ordered_json j = candidate_fields(c);
  j["range"] = range_json(candidate_range(req, c, errors), ranged_figures(c));
  return j;
}

}  // namespace

nlohmann::ordered_json plan_to_json(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors) {
  nlohmann::ordered_json j;
  j["model"] = req.model.name;
  j["system"] = req.system.id;
  j["tokens"] = req.tokens;
  j["objective"] = objective_name(req.objective);
  j["currency"] = req.site.currency;
  j["enumerated"] = r.enumerated;
  j["feasible"] = r.feasible;
  j["simulated"] = r.simulated;
  j["bounded"] = r.bounded;
  j["infeasible_reasons"] = r.infeasible_reasons;
  j["top"] = nlohmann::ordered_json::array();
  for (std::size_t i : r.top) j["top"].push_back(candidate_json(req, r.candidates[i], errors));
  if (r.top.empty()) {
    j["closest_alternatives"] = nlohmann::ordered_json::array();
    for (std::size_t i : closest_alternatives(r, 5)) j["closest_alternatives"].push_back(candidate_json(req, r.candidates[i], errors));
  }
  j["pareto"] = nlohmann::ordered_json::array();
  for (std::size_t i : r.pareto) j["pareto"].push_back(candidate_json(req, r.candidates[i], errors));
  j["explanation"] = r.explanation;
  return j;
}

std::string plan_to_csv(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors) {
  std::string out;
  bool header = false;
  for (std::size_t i : r.top) {
    const PlanCandidate& c = r.candidates[i];
    const auto j = candidate_fields(c);
    if (!header) {
      std::vector<std::string> h;
      for (const auto& [k, v] : j.items()) h.push_back(k);
      const std::vector<std::string> range_h = range_csv_header(ranged_figures(c));
      h.insert(h.end(), range_h.begin(), range_h.end());
      out += csv_line(h);
      header = true;
    }
    std::vector<std::string> f;
    for (const auto& [k, v] : j.items()) f.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    const std::vector<std::string> range_f = range_csv_fields(candidate_range(req, c, errors), ranged_figures(c));
    f.insert(f.end(), range_f.begin(), range_f.end());
    out += csv_line(f);
  }
  return out;
}

std::string plan_svg(const PlanRequest& req, const PlanResult& r) {
  std::map<int, const PlanCandidate*> best_per_count;  // fastest simulated layout per GPU count
  for (const PlanCandidate& c : r.candidates) {
    if (!c.simulated || !(c.run.wall_time_s < INFINITY)) continue;
    const PlanCandidate*& b = best_per_count[c.layout.gpus];
    if (!b || c.run.wall_time_s < b->run.wall_time_s) b = &c;
  }
  std::vector<PlotSeries> series;
  PlotSpec spec;
  double y_max = 0;
  if (best_per_count.size() > 1) {
    PlotSeries days{"fastest layout", {}}, ideal{"linear scaling from the smallest count", {}};
    const auto& [g0, c0] = *best_per_count.begin();
    for (const auto& [gpus, c] : best_per_count) {
      days.points.push_back({static_cast<double>(gpus), c->run.wall_time_s / kDay});
      ideal.points.push_back({static_cast<double>(gpus), c0->run.wall_time_s / kDay * g0 / gpus});
      y_max = std::max(y_max, c->run.wall_time_s / kDay);
    }
    series = {days, ideal};
    spec = {fmt::format("{}: time to train {:.3g} tokens on {}", req.model.name, req.tokens, req.system.id), "GPUs",
            "days (failures and checkpoints included)", false, 0, 1.1 * y_max};
  } else {
    PlotSeries front{"Pareto front (time, cost, energy)", {}};
    for (std::size_t i : r.pareto) {
      front.points.push_back({r.candidates[i].run.wall_time_s / kDay, r.candidates[i].run.cost / 1e6});
      y_max = std::max(y_max, r.candidates[i].run.cost / 1e6);
    }
    std::sort(front.points.begin(), front.points.end());
    series = {front};
    spec = {fmt::format("{} on {} x {}: cost against time", req.model.name, req.gpu_counts.front(), req.system.id),
            "days to train", "cost (M" + req.site.currency + ")", false, 0, 1.1 * y_max};
  }
  return svg_line_plot(spec, series);
}

// The database is built in a private temporary file, then written out like every other output
// (write_file_atomically: devices written through, links kept, non-files refused, errors reported).
void write_plan_sqlite(const std::string& path, const PlanRequest& req, const PlanResult& r) {
  std::string tmp = (std::filesystem::temp_directory_path() / "clustertwin-plan-XXXXXX").string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw InputError(path, "", "cannot create a temporary SQLite file");
  ::close(fd);
  struct RemoveTmp {
    const std::string& p;
    ~RemoveTmp() { std::remove(p.c_str()); }
  } remove_tmp{tmp};
  sqlite3* db = nullptr;
  if (sqlite3_open(tmp.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw InputError(path, "", "cannot create the SQLite file");
  }
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      sqlite3_close(db);
      throw InputError(path, "", "SQLite: " + msg);
    }
  };
  exec("CREATE TABLE layouts (model TEXT, system TEXT, gpus INT, tp INT, pp INT, vp INT, cp INT, ep INT, dp INT, "
       "micro_batch INT, global_batch INT, activation_offload_layers INT, recompute TEXT, precision TEXT, dp_sharding TEXT, feasible INT, simulated INT, "
       "reason TEXT, memory_gb REAL, lower_bound_step_s REAL, step_time_s REAL, mfu REAL, time_to_train_days REAL, "
       "gpu_hours REAL, facility_energy_mwh REAL, cost REAL, co2_tonnes REAL)");
  exec("BEGIN");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO layouts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, nullptr);
  for (const PlanCandidate& c : r.candidates) {
    const ParallelLayout& l = c.layout;
    int k = 1;
    sqlite3_bind_text(st, k++, req.model.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, k++, req.system.id.c_str(), -1, SQLITE_TRANSIENT);
    for (int v : {l.gpus, l.tp, l.pp, l.vp, l.cp, l.ep, l.dp, l.micro_batch, l.global_batch, l.activation_offload_layers})
      sqlite3_bind_int(st, k++, v);
    for (const std::string& v : {recompute_name(l), std::string(to_string(l.precision)), to_string(l.sharding)})
      sqlite3_bind_text(st, k++, v.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, k++, c.feasible);
    sqlite3_bind_int(st, k++, c.simulated);
    sqlite3_bind_text(st, k++, c.reason.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, k++, c.memory_bytes / units::kGB);
    sqlite3_bind_double(st, k++, c.lower_bound_s);
    const bool sim = c.simulated;
    for (double v : {c.step_time_s, c.mfu, c.run.wall_time_s / kDay, c.run.gpu_hours, c.run.facility_energy_kwh / 1e3,
                     c.run.cost, c.run.co2_tonnes}) {
      if (sim)
        sqlite3_bind_double(st, k++, v);
      else
        sqlite3_bind_null(st, k++);
    }
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec("COMMIT");
  sqlite3_close(db);
  std::ifstream in(tmp, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in) throw InputError(path, "", "cannot read back the temporary SQLite file");
  write_file_atomically(path, bytes.str());
}

}  // namespace ct
