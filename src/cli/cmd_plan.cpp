// `clustertwin plan`: the best layouts to pretrain a model on a number of GPUs, with time to
// train, GPU-hours, energy, cost, CO2 and failures.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "clustertwin/hw/granularity.hpp"
#include "cli/mpi_sharing.hpp"
#include "cli/number_flags.hpp"
#include "cli/progress.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/config/train_options.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/plan_report.hpp"
#include "clustertwin/train/time_to_train.hpp"

namespace ct::cli {

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) out.push_back(x);
  return out;
}

// --to-target: the benchmark's model, sequence length and global batch (its smallest reference point
// unless given), and the tokens its reference runs needed to reach the target at that batch.
void train_to_target(const std::string& id, const std::string& model, const Catalogs& cat, PlanRequest& req) {
  const std::string file = cat.data_dir + "/calibration/mlperf_rcp.yaml";
  const auto all = load_convergence_benchmarks(file);
  const auto b = std::find_if(all.begin(), all.end(), [&](const ConvergenceBenchmark& x) { return x.id == id; });
  if (b == all.end()) throw InputError("command line", "to-target", "unknown benchmark '" + id + "' (" + file + ")");
  const auto alias = cat.model_aliases.find(model);
  if ((alias == cat.model_aliases.end() ? model : alias->second) != b->model)
    throw InputError("command line", "to-target", "benchmark " + id + " trains " + b->model + ", not " + model);
  req.seq_len = b->seq_len;
  req.lora = b->lora;
  if (req.global_batch == 0) req.global_batch = b->rcp_sequences.begin()->first;
  const auto sequences = sequences_to_converge(*b, req.global_batch);
  if (!sequences)
    throw InputError("command line", "global-batch", fmt::format("{} has no reference convergence point at global batch {}", id, req.global_batch));
  req.tokens = *sequences * static_cast<double>(b->seq_len);
}

}  // namespace

Runner add_plan_command(CLI::App& app) {
  struct Options {
    std::string model, system, tokens, gpus, site, deadline, objective = "time", precisions = "bf16", zero = "zero1";
    std::string format = "text", out, plot, profile = "megatron-core", to_target;
    long long seq_len = 4096, global_batch = 0;
    int top = 10, threads = 0;
    bool mpi = false, activation_offload = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("plan", "Search every layout to pretrain a model: time, cost, energy, CO2, failures");
  c->add_option("--model", o->model, "Catalog model id or config.json path")->required();
  c->add_option("--system", o->system, "Catalog system id (hardware/systems.yaml), or a YAML file with one system of your own")->required();
  CLI::Option* tokens = c->add_option("--tokens", o->tokens, "Tokens to train on (e.g. 2.1T)");
  c->add_option("--to-target", o->to_target,
                "Train until an MLPerf Training quality target instead (gpt3, llama2_70b_lora, llama31_405b): the tokens "
                "its reference convergence points need at the global batch (data/calibration/mlperf_rcp.yaml; "
                "evaluation time not included)")
      ->excludes(tokens);
  tokens->excludes("--to-target");
  c->add_option("--gpus", o->gpus, "GPU count, or first:last:step")->required();
  c->add_option("--site", o->site, "Site file (data/sites/*.yaml): PUE, prices, grid CO2");
  c->add_option("--seq-len", o->seq_len, "Sequence length")->check(checked(kPositiveCount));
  c->add_option("--global-batch", o->global_batch, "Sequences per step (default: ~4M tokens)")->check(checked(kPositiveCount));
  c->add_option("--precisions", o->precisions, "Comma-separated precisions to consider");
  c->add_option("--zero", o->zero, "Comma-separated data-parallel shardings to consider (zero1, zero3, ...)");
  c->add_option("--profile", o->profile, "Software profile");
  c->add_option("--deadline", o->deadline, "Only layouts that finish within this (e.g. 90d)");
  c->add_option("--objective", o->objective, "time, cost or energy")->check(CLI::IsMember({"time", "cost", "energy"}));
  c->add_option("--top", o->top, "How many layouts to show")->check(checked(kPositiveCount));
  c->add_option("--threads", o->threads, "Worker threads (default: all cores)")->check(checked({1, 4096, true}));
  c->add_option("--format", o->format, "text, json or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  c->add_option("--out", o->out, "Also store every evaluated layout in this SQLite file");
  c->add_option("--plot", o->plot, "Write an SVG: time to train vs GPU count, or the cost/time Pareto front");
  c->add_flag("--activation-offload", o->activation_offload,
              "Fit layouts without recompute by offloading the fewest layers' activations to host memory "
              "(systems with host memory figures, e.g. Grace on GB200/GB300)");
  c->add_flag("--mpi", o->mpi, "Spread the search over MPI ranks (mpirun -n N); rank 0 prints the same result");
  return [o] {
    for (const auto& [out, flag] : {std::pair{o->out, "--out"}, std::pair{o->plot, "--plot"}})
      check_output_is_not_an_input(out, {o->model, o->site, o->system}, flag);
    const Catalogs cat = Catalogs::load(data_dir());
    PlanRequest req;
    std::vector<std::string> assumed;
    req.model = cat.model(o->model, &assumed);
    req.system = cat.system(o->system, &assumed);
    print_assumptions(assumed);
    req.profile = cat.profile(o->profile);
    if (o->tokens.empty() && o->to_target.empty()) throw InputError("command line", "tokens", "give --tokens or --to-target");
    if (!o->tokens.empty()) req.tokens = parse_token_count(o->tokens, "tokens");
    req.gpu_counts = parse_gpu_counts(o->gpus, "gpus");
    for (int gpus : req.gpu_counts)
      if (const std::string note = granularity_note(req.system, gpus); !note.empty()) print_assumptions({note});
    req.seq_len = o->seq_len;
    req.global_batch = static_cast<int>(o->global_batch);
    if (!o->to_target.empty()) train_to_target(o->to_target, o->model, cat, req);
    req.precisions.clear();
    for (const auto& p : split(o->precisions)) req.precisions.push_back(parse_precision_or_throw(p, "command line"));
    req.shardings.clear();
    for (const auto& z : split(o->zero)) req.shardings.push_back(parse_sharding(z, "command line"));
    if (!o->deadline.empty()) req.deadline_s = parse_duration_s(o->deadline, "deadline");
    req.objective = o->objective == "cost" ? Objective::Cost : (o->objective == "energy" ? Objective::Energy : Objective::Time);
    req.top = o->top;
    req.activation_offload = o->activation_offload;
    req.threads = o->threads > 0 ? o->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    req.site = load_site(o->site.empty() ? data_dir() + "/sites/example-jp.yaml" : o->site);
    req.reliability = load_reliability(data_dir() + "/calibration/reliability.yaml");
    for (Precision p : req.precisions)
      if (req.system.gpu.peak(gemm_peak_format(p)) <= 0)
        throw InputError("command line", "precisions", req.system.gpu.name + " has no " + std::string(to_string(p)) + " tensor cores");

    std::unique_ptr<MpiSession> mpi = o->mpi ? std::make_unique<MpiSession>() : nullptr;
    const WorkSharing sharing = mpi ? mpi->sharing() : WorkSharing{};
    const bool printer = sharing.rank == 0;
    const PlanResult r = plan_training(req, cat.calibration, progress_bar(printer && o->format == "text", "layouts"), sharing);
    if (!printer) return 0;
    if (!o->out.empty()) write_plan_sqlite(o->out, req, r);
    if (!o->plot.empty()) write_file_atomically(o->plot, plan_svg(req, r));
    const HeldOutErrors errors = HeldOutErrors::load(cat.data_dir);
    if (o->format == "json")
      std::cout << json_text(plan_to_json(req, r, errors)) << "\n";
    else if (o->format == "csv")
      std::cout << plan_to_csv(req, r, errors);
    else
      std::cout << format_plan_text(req, r, errors);
    return 0;
  };
}

}  // namespace ct::cli
