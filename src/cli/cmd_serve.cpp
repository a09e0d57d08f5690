// `clustertwin serve`, `clustertwin serve-plan` and the runner of `validate inference`: the LLM
// serving simulator (src/clustertwin/serve/).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/number_flags.hpp"
#include "cli/progress.hpp"
#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/train_options.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/range_format.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/energy_cases.hpp"
#include "clustertwin/serve/inference_cases.hpp"
#include "clustertwin/serve/serving.hpp"

namespace ct::cli {

namespace {

Precision parse_weights(const std::string& s) {
  const auto p = parse_precision(s);
  if (!p) throw InputError("command line", "precision", "unknown '" + s + "' (bf16, fp16, fp8, nvfp4)");
  return *p;
}

double parse_kv_bytes(const std::string& s) {
  if (s == "bf16" || s == "fp16") return 2.0;
  if (s == "fp8") return 1.0;
  throw InputError("command line", "kv-cache", "unknown '" + s + "' (bf16, fp8)");
}

// "ttft_p99=500ms,tpot_p99=50ms"
serve::Slo parse_slo(const std::string& s) {
  serve::Slo slo;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw InputError("command line", "slo", "expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq);
    std::string v = item.substr(eq + 1);
    double scale = 1.0;
    if (v.size() > 2 && v.ends_with("ms")) scale = 1e-3, v.resize(v.size() - 2);
    else if (!v.empty() && v.back() == 's') v.pop_back();
    const std::optional<double> x_or = parse_number_text(v);
    if (!x_or) throw InputError("command line", "slo." + key, "not a time: '" + item.substr(eq + 1) + "'");
    // A target of 0 or below would be "met" by every layout (0 means no limit inside the planner).
    const double x = check_number(*x_or, kPositiveReal, "command line", "slo." + key) * scale;
    if (key == "ttft_p99") slo.ttft_p99_s = x;
    else if (key == "tpot_p99") slo.tpot_p99_s = x;
    else throw InputError("command line", "slo." + key, "unknown (ttft_p99, tpot_p99)");
  }
  return slo;
}

// "2000rps" or "2000": above a billion requests per second no fleet is meant (and replica
// counts would overflow).
double parse_load_rps(const std::string& text) {
  const std::optional<double> x = parse_number_text(text.ends_with("rps") ? text.substr(0, text.size() - 3) : text);
  if (!x) throw InputError("command line", "load", "not a rate: '" + text + "'");
  return check_number(*x, {0, 1e9, false, true}, "command line", "load");
}

// The same deployment run at the two ends of its prediction range: every iteration as much slower
// or faster as comparable measured runs were than predicted. Latency under load is not linear in
// engine speed (queues), so the ends are simulated rather than scaled.
struct ServingRange {
  PredictionRange range;
  serve::ServingResult slow, fast;
  bool available() const { return range.available() && slow.feasible && fast.feasible; }
};

ServingRange serving_range(serve::Deployment d, const PredictionRange& range, const Calibration& cal,
                           const std::vector<serve::Request>& requests) {
  ServingRange out{range, {}, {}};
  if (!range.available()) return out;
  d.keep_iterations = false;
  serve::Deployment slow = d, fast = d;
  slow.time_scale = 1 / range.slow_factor;
  fast.time_scale = 1 / range.fast_factor;
  // The two ends are independent runs: one on another core.
  auto slow_run = std::async(std::launch::async, [&] { return serve::simulate_serving(slow, cal, requests); });
  out.fast = serve::simulate_serving(fast, cal, requests);
  out.slow = slow_run.get();
  return out;
}

std::string format_serving_text(const serve::Deployment& d, const serve::ServingResult& r, const ServingRange& sr,
                                const std::string& overload) {
  std::string o = fmt::format("clustertwin serve: {} on {} x {} ({} replicas of TP {} x PP {}{}), {} weights\n",
                              d.replica.model.name, d.gpus(), d.replica.system.gpu.name, d.replicas, d.replica.tp,
                              d.replica.pp, d.replica.attention_dp ? ", attention DP" : "", to_string(d.replica.weights));
  o += fmt::format("  memory per GPU   weights {:.1f} GB, workspace {:.1f} GB, KV cache {:.1f} GB ({} blocks per engine)\n",
                   r.memory.weight_bytes_per_gpu / 1e9, r.memory.activation_bytes_per_gpu / 1e9,
                   r.memory.kv_bytes_per_gpu / 1e9, r.memory.kv_blocks_per_engine);
  if (!r.feasible) return o + "  infeasible: " + r.reason + "\n";
  o += fmt::format("  requests         {} completed in {:.1f} s, {} preemptions\n", r.completed, r.makespan_s, r.preemptions);
  o += fmt::format("  throughput       {:.2f} requests/s, {:.0f} output tokens/s ({:.0f} per GPU)\n", r.requests_per_s,
                   r.output_tokens_per_s, r.output_tokens_per_s_per_gpu);
  if (!overload.empty()) o += "  WARNING          " + overload + "\n";
  o += "  latency (ms)        mean      p50      p90      p99\n";
  auto line = [&](const char* name, const serve::Percentiles& p) {
    o += fmt::format("    {:<12} {:8.1f} {:8.1f} {:8.1f} {:8.1f}\n", name, p.mean * 1e3, p.p50 * 1e3, p.p90 * 1e3, p.p99 * 1e3);
  };
  line("TTFT", r.ttft_s);
  line("TPOT", r.tpot_s);
  line("end-to-end", r.e2e_s);
  o += fmt::format("  batch            {:.1f} running sequences per iteration (mean), {} iterations\n", r.mean_batch,
                   r.iterations);
  o += fmt::format("  KV cache         peak {:.1f} % used;  GPU busy {:.1f} %\n", 100 * r.peak_kv_used_fraction,
                   100 * r.gpu_utilization);
  const serve::ServingPower& pw = r.power;
  o += fmt::format("  power            GPUs {:.0f} W each ({:.0f} % of their dynamic range){}; deployment {:.1f} kW GPUs, "
                   "{:.1f} kW at the node wall\n",
                   pw.gpu_w_per_gpu, 100 * pw.gpu_load,
                   d.replica.power_limit_w > 0 ? fmt::format(", limit {:.0f} W", d.replica.power_limit_w) : "",
                   pw.gpu_w / 1e3, pw.node_wall_w / 1e3);
  const double completed_per_s = r.requests_per_s;
  o += fmt::format("  energy           {:.3f} J per output token ({:.3f} GPUs only), {:.1f} J per request at the wall\n",
                   pw.joules_per_output_token(cost::PowerScope::NodeWall, r.output_tokens_per_s),
                   pw.joules_per_output_token(cost::PowerScope::Gpu, r.output_tokens_per_s),
                   completed_per_s > 0 ? pw.node_wall_w / completed_per_s : 0.0);
  if (sr.available())
    o += fmt::format("  {:.0f}% range        {:.0f}-{:.0f} output tokens/s; p99 TTFT {:.1f}-{:.1f} ms, p99 TPOT {:.1f}-{:.1f} ms\n"
                     "                   (engine simulated at both ends; {})\n",
                     100 * sr.range.coverage, sr.slow.output_tokens_per_s, sr.fast.output_tokens_per_s,
                     sr.fast.ttft_s.p99 * 1e3, sr.slow.ttft_s.p99 * 1e3, sr.fast.tpot_s.p99 * 1e3,
                     sr.slow.tpot_s.p99 * 1e3, sr.range.describe());
  return o;
}

// Same fields as every command's range (report/range_format.hpp): [low, high] per figure.
nlohmann::json range_ends_json(const ServingRange& sr) {
  auto lo_hi = [](double a, double b) { return nlohmann::json::array({std::min(a, b), std::max(a, b)}); };
  const serve::ServingResult &s = sr.slow, &f = sr.fast;
  nlohmann::json j = range_basis_json(sr.range);
  j.update({{"requests_per_s", lo_hi(s.requests_per_s, f.requests_per_s)},
            {"output_tokens_per_s", lo_hi(s.output_tokens_per_s, f.output_tokens_per_s)},
            {"ttft_p50_s", lo_hi(s.ttft_s.p50, f.ttft_s.p50)}, {"ttft_p99_s", lo_hi(s.ttft_s.p99, f.ttft_s.p99)},
            {"tpot_p50_s", lo_hi(s.tpot_s.p50, f.tpot_s.p50)}, {"tpot_p99_s", lo_hi(s.tpot_s.p99, f.tpot_s.p99)}});
  return j;
}

nlohmann::json serving_to_json(const serve::Deployment& d, const serve::ServingResult& r, const ServingRange& sr,
                               const std::string& overload) {
  auto pct = [](const serve::Percentiles& p) {
    return nlohmann::json{{"mean", p.mean}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}};
  };
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& s : r.timeline)
    timeline.push_back({{"time_s", s.time_s}, {"kv_used", s.kv_used_fraction}, {"running", s.running}, {"waiting", s.waiting}});
  return {{"model", d.replica.model.name}, {"system", d.replica.system.id}, {"gpus", d.gpus()},
          {"tp", d.replica.tp}, {"pp", d.replica.pp}, {"replicas", d.replicas}, {"feasible", r.feasible},
          {"reason", r.reason}, {"completed", r.completed}, {"makespan_s", r.makespan_s},
          {"requests_per_s", r.requests_per_s}, {"output_tokens_per_s", r.output_tokens_per_s},
          {"output_tokens_per_s_per_gpu", r.output_tokens_per_s_per_gpu}, {"ttft_s", pct(r.ttft_s)},
          {"tpot_s", pct(r.tpot_s)}, {"e2e_s", pct(r.e2e_s)}, {"mean_batch", r.mean_batch},
          {"gpu_utilization", r.gpu_utilization}, {"preemptions", r.preemptions},
          {"power",
           {{"power_limit_w", d.replica.power_limit_w > 0 ? d.replica.power_limit_w : d.replica.system.gpu.tdp_w},
            {"gpu_w_per_gpu", r.power.gpu_w_per_gpu}, {"gpu_load", r.power.gpu_load}, {"gpu_w", r.power.gpu_w},
            {"node_dc_w", r.power.node_dc_w}, {"node_wall_w", r.power.node_wall_w},
            {"j_per_output_token_gpu", r.power.joules_per_output_token(cost::PowerScope::Gpu, r.output_tokens_per_s)},
            {"j_per_output_token_wall",
             r.power.joules_per_output_token(cost::PowerScope::NodeWall, r.output_tokens_per_s)},
            {"j_per_request_wall", r.requests_per_s > 0 ? r.power.node_wall_w / r.requests_per_s : 0.0}}},
          {"kv_blocks_per_engine", r.memory.kv_blocks_per_engine}, {"overloaded", !overload.empty()},
          {"warnings", overload.empty() ? nlohmann::json::array() : nlohmann::json::array({overload})},
          {"range", sr.available() ? range_ends_json(sr) : nlohmann::json(nullptr)}, {"timeline_engine0", timeline}};
}

// Chrome trace (ui.perfetto.dev): engine 0's iterations as slices.
std::string iterations_trace(const serve::ServingResult& r) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& it : r.iterations_log)
    events.push_back({{"name", it.prefill_tokens > 0 ? "prefill+decode" : "decode"}, {"ph", "X"}, {"pid", 0}, {"tid", 0},
                      {"ts", it.start_s * 1e6}, {"dur", it.duration_s * 1e6},
                      {"args", {{"prefill_tokens", it.prefill_tokens}, {"decode_sequences", it.decode_sequences}}}});
  return json_text(nlohmann::json{{"traceEvents", events}}, -1);
}

}  // namespace

Runner add_serve_command(CLI::App& app) {
  struct Options {
    std::string model, system, precision = "fp8", kv_cache = "fp8", workload, duration = "60s", format = "text", trace;
    int gpus = 0, tp = 1, pp = 1, max_batch = 0, max_tokens = 0;
    double power_limit_w = 0;
    bool attention_dp = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("serve", "Simulate LLM serving: every request through a vLLM/TensorRT-LLM style engine");
  c->add_option("--model", o->model, "Catalog model id or config.json path")->required();
  c->add_option("--system", o->system, "Catalog system id (hardware/systems.yaml), or a YAML file with one system of your own")->required();
  c->add_option("--gpus", o->gpus, "GPUs in all (replicas = gpus / (tp x pp))")->required()->check(checked(kPositiveCount));
  c->add_option("--tp", o->tp, "Tensor parallelism per replica")->check(checked(kPositiveCount));
  c->add_option("--pp", o->pp, "Pipeline parallelism per replica")->check(checked(kPositiveCount));
  c->add_option("--precision", o->precision, "Weight format: bf16, fp8, nvfp4");
  c->add_option("--kv-cache", o->kv_cache, "KV cache format: bf16, fp8");
  c->add_option("--workload", o->workload, "poisson:rate=R,input=I,output=O | gamma:...,cv=C | offline:count=N,... | trace:FILE")->required();
  c->add_option("--duration", o->duration, "Arrival window for timed workloads (600s, 10m)");
  c->add_option("--max-batch", o->max_batch, "Max running sequences per engine (default: serving.yaml)")
      ->check(checked(kPositiveCount));
  c->add_option("--max-tokens", o->max_tokens, "Token budget per iteration (default: serving.yaml)")
      ->check(checked(kPositiveCount));
  c->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c->add_option("--trace", o->trace, "Write engine 0's iterations as a Chrome trace");
  c->add_flag("--attention-dp", o->attention_dp, "Attention data-parallel over the TP ranks (MoE engines)");
  c->add_option("--power-limit", o->power_limit_w, "GPU power limit in W (nvidia-smi -pl; default: the TDP)")
      ->check(checked({1, 1e5, false, true}));
  return [o] {
    const std::string trace_input = o->workload.starts_with("trace:") ? o->workload.substr(6) : "";
    check_output_is_not_an_input(o->trace, {trace_input, o->model, o->system}, "--trace");
    const Catalogs cat = Catalogs::load(data_dir());
    const serve::ServingCalibration sc = serve::load_serving_calibration(data_dir());
    serve::Deployment d;
    std::vector<std::string> assumed;
    d.replica = {cat.model(o->model, &assumed), cat.system(o->system, &assumed), o->tp, o->pp, parse_weights(o->precision),
                 parse_kv_bytes(o->kv_cache), o->attention_dp};
    print_assumptions(assumed);
    if (o->power_limit_w > d.replica.system.gpu.tdp_w)
      throw InputError("command line", "power-limit",
                       fmt::format("{:.0f} W is above the {} TDP of {:.0f} W", o->power_limit_w,
                                   d.replica.system.gpu.name, d.replica.system.gpu.tdp_w));
    d.replica.power_limit_w = o->power_limit_w;
    if (o->tp <= 0 || o->pp <= 0 || o->gpus <= 0 || o->gpus % (o->tp * o->pp) != 0)
      throw InputError("command line", "gpus", "must be a positive multiple of tp x pp");
    d.replicas = o->gpus / (o->tp * o->pp);
    d.limits = serve::EngineLimits::from(sc);
    if (o->max_batch > 0) d.limits.max_batch_size = o->max_batch;
    if (o->max_tokens > 0) d.limits.max_num_batched_tokens = o->max_tokens;
    d.keep_iterations = !o->trace.empty();
    serve::WorkloadSpec w = serve::parse_workload(o->workload, "command line");
    w.duration_s = parse_duration_s(o->duration, "duration");
    const std::vector<serve::Request> requests = serve::generate_requests(w);
    const serve::ServingResult r = serve::simulate_serving(d, cat.calibration, requests);
    if (!o->trace.empty()) write_file_atomically(o->trace, iterations_trace(r));
    const char* stack = w.kind == serve::ArrivalKind::AllAtOnce ? "offline" : "server";
    const PredictionRange range = r.feasible ? HeldOutErrors::load(cat.data_dir).range(comparable_class(
                                                   "serving", d.replica.system.gpu, d.replica.model, d.replica.weights, stack))
                                             : PredictionRange{};
    const ServingRange sr = serving_range(d, range, cat.calibration, requests);
    const std::string overload = serve::overload_note(requests, r);
    std::cout << (o->format == "json" ? json_text(serving_to_json(d, r, sr, overload)) + "\n"
                                      : format_serving_text(d, r, sr, overload));
    return 0;
  };
}

namespace {

// One system's answer of serve-plan, with the range of GPUs needed: they scale inversely with the
// per-replica capacity, whose range the held-out serving errors give.
struct SystemPlan {
  serve::PlanOption plan;
  PredictionRange range;
  int gpus_low = 0, gpus_high = 0;
};

SystemPlan plan_with_range(const serve::PlanOption& p, const PredictionRange& range, double load_rps) {
  SystemPlan out{p, range, 0, 0};
  if (!p.feasible || !range.available()) return out;
  const int per_replica = p.gpus / p.replicas;
  auto gpus_at = [&](double factor) {
    return static_cast<int>(std::ceil(load_rps / (p.max_rps_per_replica * factor) - 1e-9)) * per_replica;
  };
  out.gpus_low = gpus_at(range.fast_factor);
  out.gpus_high = gpus_at(range.slow_factor);
  return out;
}

std::string format_serve_plan_line(const SystemPlan& sp) {
  const serve::PlanOption& p = sp.plan;
  if (!p.feasible) return fmt::format("  {:<14} no plan: {}\n", p.system_id, p.reason);
  std::string o = fmt::format("  {:<14} {} replicas of TP {} x PP {} = {} GPUs ({:.2f} requests/s each); ${:.0f}/h, ${:.3f} per "
                              "million output tokens, {:.2f} J per output token at the wall ({:.1f} kW)\n",
                              p.system_id, p.replicas, p.tp, p.pp, p.gpus, p.max_rps_per_replica, p.usd_per_hour,
                              p.usd_per_million_output_tokens, p.joules_per_output_token, p.wall_w / 1e3);
  if (sp.range.available())
    o += fmt::format("  {:<14} {:.0f}% range {}-{} GPUs ({})\n", "", sp.range.coverage * 100, sp.gpus_low, sp.gpus_high,
                     sp.range.describe());
  return o;
}

nlohmann::json serve_plan_json(const SystemPlan& sp) {
  const serve::PlanOption& p = sp.plan;
  nlohmann::json j = {{"system", p.system_id}, {"feasible", p.feasible}, {"reason", p.reason}};
  if (!p.feasible) return j;
  j.update({{"tp", p.tp}, {"pp", p.pp}, {"replicas", p.replicas}, {"gpus", p.gpus},
            {"max_requests_per_s_per_replica", p.max_rps_per_replica}, {"usd_per_hour", p.usd_per_hour},
            {"usd_per_million_output_tokens", p.usd_per_million_output_tokens},
            {"joules_per_output_token_wall", p.joules_per_output_token}, {"wall_w", p.wall_w}});
  j["range"] = nullptr;
  if (sp.range.available()) {
    j["range"] = range_basis_json(sp.range);
    j["range"]["gpus"] = {sp.gpus_low, sp.gpus_high};
  }
  return j;
}

}  // namespace

Runner add_serve_plan_command(CLI::App& app) {
  struct Options {
    std::string model, systems, precision = "fp8", kv_cache = "fp8", load, slo, workload, format = "text";
    std::string objective = "cost";
    int max_gpus_per_replica = 16;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("serve-plan", "Cheapest replica layout and count per system that meets latency SLOs at a load");
  c->add_option("--model", o->model, "Catalog model id or config.json path")->required();
  c->add_option("--systems", o->systems, "Comma-separated system ids")->required();
  c->add_option("--precision", o->precision, "Weight format: bf16, fp8, nvfp4");
  c->add_option("--kv-cache", o->kv_cache, "KV cache format: bf16, fp8");
  c->add_option("--load", o->load, "Requests per second, e.g. 2000rps")->required();
  c->add_option("--slo", o->slo, "ttft_p99=500ms,tpot_p99=50ms")->required();
  c->add_option("--workload", o->workload, "Request lengths, e.g. poisson:input=2048,output=256 (the rate is --load)")->required();
  c->add_option("--max-gpus-per-replica", o->max_gpus_per_replica, "Largest replica tried")
      ->check(checked({1, 1024, true}));
  c->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c->add_option("--objective", o->objective, "cost (fewest dollars, else GPUs) or energy (fewest J per output token)")
      ->check(CLI::IsMember({"cost", "energy"}));
  return [o] {
    const Catalogs cat = Catalogs::load(data_dir());
    const serve::ServingCalibration sc = serve::load_serving_calibration(data_dir());
    serve::PlanQuery q;
    q.minimize_energy = o->objective == "energy";
    q.load_rps = parse_load_rps(o->load);
    q.slo = parse_slo(o->slo);
    const serve::WorkloadSpec w = serve::parse_workload(o->workload, "command line", q.load_rps);
    q.input_tokens = w.input_tokens, q.output_tokens = w.output_tokens;
    q.max_gpus_per_replica = o->max_gpus_per_replica;
    std::vector<std::string> assumed;
    const ModelSpec model = cat.model(o->model, &assumed);
    print_assumptions(assumed);
    const HeldOutErrors errors = HeldOutErrors::load(cat.data_dir);
    std::vector<SystemPlan> plans;
    std::stringstream ss(o->systems);
    for (std::string id; std::getline(ss, id, ',');) {
      const SystemSpec& sys = cat.hardware.system(id);
      const serve::ReplicaSpec base{model, sys, 1, 1, parse_weights(o->precision), parse_kv_bytes(o->kv_cache)};
      serve::PlanOption p = serve::plan_system(base, q, cat.calibration, serve::EngineLimits::from(sc),
                                               sc.price_per_gpu_hour(sys.gpu.id));
      p.system_id = id;
      plans.push_back(plan_with_range(p, errors.range(comparable_class("serving", sys.gpu, model, base.weights, "server")),
                                      q.load_rps));
    }
    if (std::none_of(plans.begin(), plans.end(), [](const SystemPlan& p) { return p.plan.feasible; }))
      throw InputError("command line", "slo", "no system meets the SLO with any layout tried");
    if (o->format == "json") {
      nlohmann::json j = {{"model", model.name}, {"load_rps", q.load_rps}, {"input_tokens", q.input_tokens},
                          {"output_tokens", q.output_tokens}, {"slo_ttft_p99_s", q.slo.ttft_p99_s},
                          {"slo_tpot_p99_s", q.slo.tpot_p99_s}, {"systems", nlohmann::json::array()}};
      for (const SystemPlan& p : plans) j["systems"].push_back(serve_plan_json(p));
      std::cout << json_text(j) << "\n";
      return 0;
    }
    std::cout << fmt::format("clustertwin serve-plan: {} at {:.0f} requests/s ({} in / {} out tokens), SLO p99 TTFT {:.0f} ms, TPOT {:.0f} ms\n",
                             model.name, q.load_rps, q.input_tokens, q.output_tokens, q.slo.ttft_p99_s * 1e3,
                             q.slo.tpot_p99_s * 1e3);
    for (const SystemPlan& p : plans) std::cout << format_serve_plan_line(p);
    return 0;
  };
}

// Runner of `clustertwin validate inference --cases FILE --out FILE` (registered by cmd_validate).
int run_validate_inference(const std::string& cases, const std::string& out) {
  check_output_is_not_an_input(out, {cases}, "--out");
  const Catalogs cat = Catalogs::load(data_dir());
  const serve::ServingCalibration sc = serve::load_serving_calibration(data_dir());
  const serve::ValidationTables tables = serve::load_validation_tables(data_dir());
  const serve::InferenceValidator v(cat, sc, tables);
  const auto s = v.run(cases, out, progress_bar(true, "rows"));
  std::cerr << fmt::format("validate inference: {} ok, {} infeasible, {} unsupported -> {}\n", s.ok, s.infeasible,
                           s.unsupported, out);
  return 0;
}

// Runner of `clustertwin validate energy --cases FILE --out FILE` (registered by cmd_validate).
int run_validate_energy(const std::string& cases, const std::string& out) {
  check_output_is_not_an_input(out, {cases}, "--out");
  const Catalogs cat = Catalogs::load(data_dir());
  const serve::ServingCalibration sc = serve::load_serving_calibration(data_dir());
  const serve::ValidationTables mlperf = serve::load_validation_tables(data_dir());
  const serve::EnergyValidationTables tables = serve::load_energy_validation_tables(data_dir());
  const serve::EnergyValidator v(cat, sc, mlperf, tables);
  const auto s = v.run(cases, out, progress_bar(true, "rows"));
  std::cerr << fmt::format("validate energy: {} ok, {} infeasible, {} unsupported -> {}\n", s.ok, s.infeasible,
                           s.unsupported, out);
  return 0;
}

}  // namespace ct::cli
