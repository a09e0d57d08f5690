#include "clustertwin/report/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "clustertwin/core/csv.hpp"
#include "clustertwin/report/range_format.hpp"
#include "clustertwin/report/svg_plot.hpp"

namespace ct {
namespace {

struct Row {
  std::string label, system, layout, precision;
  bool feasible;
  double step_s, tokens_per_gpu, ratio, mfu, joule_per_token, facility_joule_per_token;
  double compute, tp, cp, ep, dp, bubble, other;  // shares of the step
  PredictionRange range;
  std::vector<RangedFigure> ranged() const {
    return {{"step_time_s", step_s, false}, {"tokens_per_s_per_gpu", tokens_per_gpu, true},
            {"facility_energy_per_token_j", facility_joule_per_token, false}};
  }
};

std::vector<Row> rows(const std::vector<ComparedRun>& runs, const EnergySite& site) {
  std::vector<Row> out;
  const double base = runs.empty() ? 1.0 : runs.front().result.tokens_per_s_per_gpu;
  for (const ComparedRun& c : runs) {
    const TrainResult& r = c.result;
    const ParallelLayout& l = r.scenario.layout;
    const TimeBreakdown& b = r.breakdown;
    const double t = r.step_time_s;
    out.push_back({c.label, r.scenario.system.id,
                   fmt::format("{} GPUs TP{} PP{} VP{} CP{} EP{} DP{}", l.gpus, l.tp, l.pp, l.vp, l.cp, l.ep, l.dp),
                   std::string(to_string(l.precision)), r.feasible, t, r.tokens_per_s_per_gpu,
                   r.tokens_per_s_per_gpu / base, r.mfu, r.energy_per_token_j, r.energy_per_token_j * site.pue, b.compute_s / t, b.tp_exposed_s / t,
                   b.cp_exposed_s / t, b.ep_exposed_s / t, b.dp_exposed_s / t, b.bubble_s / t,
                   (b.optimizer_s + b.overhead_s + b.offload_s) / t, r.feasible ? c.range : PredictionRange{}});
  }
  return out;
}

}  // namespace

std::string format_compare_text(const std::vector<ComparedRun>& runs, const EnergySite& site) {
  const auto rs = rows(runs, site);
  if (rs.empty()) return "";
  const auto& m = runs.front().result.scenario;
  std::size_t w = 6;
  for (const Row& r : rs) w = std::max(w, r.label.size());
  std::string o = fmt::format("clustertwin compare: {}, {} x {} tokens per step\n\n", m.model.name,
                              m.layout.global_batch, m.layout.seq_len);
  const double coverage = rs.front().range.available() ? rs.front().range.coverage : 0.8;
  const std::string range_head = fmt::format("{:.0f}% range s", 100 * coverage);
  o += fmt::format("  {:<{}} {:>9} {:>15} {:>12} {:>8} {:>6} {:>9}   {:>7} {:>5} {:>5} {:>5} {:>5} {:>6} {:>5}\n", "system", w,
                   "step s", range_head, "tok/s/GPU", "vs 1st", "MFU", "J/token", "compute", "TP", "CP", "EP", "DP",
                   "bubble", "other");
  for (const Row& r : rs) {
    const std::string range = range_cell(r.range, r.ranged().front(), 3);
    o += fmt::format("  {:<{}} {:>9.3f} {:>15} {:>12.1f} {:>7.2f}x {:>5.1f}% {:>9.3f}   {:>6.1f}% {:>4.1f}% {:>4.1f}% {:>4.1f}% "
                     "{:>4.1f}% {:>5.1f}% {:>4.1f}%{}\n",
                     r.label, w, r.step_s, range, r.tokens_per_gpu, r.ratio, 100 * r.mfu, r.facility_joule_per_token,
                     100 * r.compute, 100 * r.tp, 100 * r.cp, 100 * r.ep, 100 * r.dp, 100 * r.bubble, 100 * r.other,
                     r.feasible ? "" : "  (does not fit)");
  }
  o += "\n";
  for (const Row& r : rs) o += fmt::format("  {:<{}} {} ({}, {})\n", r.label, w, r.layout, r.system, r.precision);
  o += "\n";
  for (const Row& r : rs)
    if (r.range.available()) o += fmt::format("  {:<{}} range {}\n", r.label, w, r.range.describe());
  o += "\n  vs 1st: tokens/s per GPU relative to the first system. Shares: of the step time, critical stage.\n";
  o += "  Range: where the measured step time of a run like it falls, by the twin's held-out errors on comparable\n"
       "  measured runs; each system's range is its own (their ratio's range is not the ratio of the ranges).\n";
  o += site.name.empty() ? "  J/token: IT energy (GPU at its compute activity + node share), no PUE (give --site).\n"
                         : fmt::format("  J/token: facility energy, IT energy (GPU at its compute activity + node share) x PUE "
                                       "{:.2f} of {}.\n", site.pue, site.name);
  return o;
}

nlohmann::ordered_json compare_to_json(const std::vector<ComparedRun>& runs, const EnergySite& site) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const Row& r : rows(runs, site))
    j.push_back({{"label", r.label},
                 {"system", r.system},
                 {"layout", r.layout},
                 {"precision", r.precision},
                 {"feasible", r.feasible},
                 {"step_time_s", r.step_s},
                 {"tokens_per_s_per_gpu", r.tokens_per_gpu},
                 {"ratio_to_first", r.ratio},
                 {"mfu", r.mfu},
                 {"energy_per_token_j", r.joule_per_token},
                 {"facility_energy_per_token_j", r.facility_joule_per_token},
                 {"share", {{"compute", r.compute}, {"tp", r.tp}, {"cp", r.cp}, {"ep", r.ep}, {"dp", r.dp},
                            {"bubble", r.bubble}, {"other", r.other}}},
                 {"range", range_json(r.range, r.ranged())}});
  return j;
}

std::string compare_to_csv(const std::vector<ComparedRun>& runs, const EnergySite& site) {
  std::vector<std::string> header{"label", "system", "layout", "precision", "feasible", "step_time_s", "tokens_per_s_per_gpu",
                                  "ratio_to_first", "mfu", "energy_per_token_j", "facility_energy_per_token_j", "share_compute",
                                  "share_tp", "share_cp", "share_ep", "share_dp", "share_bubble", "share_other"};
  const std::vector<std::string> range_header = range_csv_header(Row{}.ranged());
  header.insert(header.end(), range_header.begin(), range_header.end());
  std::string out = csv_line(header);
  for (const Row& r : rows(runs, site)) {
    std::vector<std::string> fields{r.label, r.system, r.layout, r.precision, r.feasible ? "true" : "false", fmt::format("{:.6g}", r.step_s),
                     fmt::format("{:.6g}", r.tokens_per_gpu), fmt::format("{:.4f}", r.ratio), fmt::format("{:.4f}", r.mfu),
                     fmt::format("{:.6g}", r.joule_per_token), fmt::format("{:.6g}", r.facility_joule_per_token),
                     fmt::format("{:.4f}", r.compute), fmt::format("{:.4f}", r.tp),
                     fmt::format("{:.4f}", r.cp), fmt::format("{:.4f}", r.ep), fmt::format("{:.4f}", r.dp),
                     fmt::format("{:.4f}", r.bubble), fmt::format("{:.4f}", r.other)};
    const std::vector<std::string> range = range_csv_fields(r.range, r.ranged());
    fields.insert(fields.end(), range.begin(), range.end());
    out += csv_line(fields);
  }
  return out;
}

std::string compare_svg(const std::vector<ComparedRun>& runs) {
  std::vector<StackedBar> bars;
  for (const Row& r : rows(runs, {})) {
    // GPU-seconds per million tokens = 1e6 / (tokens/s/GPU); the shares split it.
    const double total = r.tokens_per_gpu > 0 ? 1e6 / r.tokens_per_gpu : 0;
    bars.push_back({r.label, {total * r.compute, total * r.tp, total * r.cp, total * r.ep, total * r.dp, total * r.bubble,
                              total * r.other}});
  }
  const std::string model = runs.empty() ? "" : runs.front().result.scenario.model.name;
  return svg_stacked_bars({"Where the time goes: " + model, "system", "GPU-seconds per million tokens (lower is faster)"},
                          {"compute", "exposed TP", "exposed CP", "exposed EP all-to-all", "exposed DP", "pipeline bubble",
                           "optimizer and overhead"},
                          bars);
}

}  // namespace ct
