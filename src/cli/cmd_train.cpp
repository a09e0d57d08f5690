// `clustertwin train`: one training step, as a report, JSON and a timeline.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/workload_options.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/train_report.hpp"

namespace ct::cli {

namespace {

struct TrainOptions {
  std::string scenario, format = "text", trace;
  TrainRequest flags;
  bool no_sp = false;
};

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* c = app.add_subcommand("train", "Simulate one training step of a model on a system with a layout");
  c->add_option("--scenario", o->scenario, "Scenario YAML (fields as the flags below; flags override it)");
  add_workload_options(c, o->flags);
  c->add_option("--system", o->flags.system, "Catalog system id (hardware/systems.yaml), or a YAML file with one system of your own");
  c->add_option("--shard-group", o->flags.shard_group, "FSDP hybrid sharding group size (0: shard over all of DP)");
  c->add_flag("--no-sequence-parallel", o->no_sp, "Disable Megatron sequence parallelism");
  c->add_flag("--lora", o->flags.lora, "LoRA fine-tuning: frozen base weights");
  c->add_option("--profile", o->flags.profile, "Software profile (data/calibration/profiles.yaml)");
  c->add_option("--format", o->format, "Output: text or json")->check(CLI::IsMember({"text", "json"}));
  c->add_option("--trace", o->trace, "Write a Chrome/Perfetto trace of the step to this file");

  return [o, c] {
    check_output_is_not_an_input(o->trace, {o->scenario, o->flags.model}, "--trace");
    const Catalogs cat = Catalogs::load(data_dir());
    TrainRequest req;
    std::string source = "command line";
    if (!o->scenario.empty()) {
      req = load_train_request(o->scenario);
      source = o->scenario;
    }
    // Flags given on the command line override the scenario file.
    auto set = [&](const char* flag, auto& field, const auto& value) {
      if (c->count(flag) > 0) field = value;
    };
    const TrainRequest& f = o->flags;
    set("--model", req.model, f.model);
    set("--system", req.system, f.system);
    set("--gpus", req.gpus, f.gpus);
    set("--tp", req.tp, f.tp);
    set("--pp", req.pp, f.pp);
    set("--vp", req.vp, f.vp);
    set("--cp", req.cp, f.cp);
    set("--ep", req.ep, f.ep);
    set("--etp", req.etp, f.etp);
    set("--micro-batch", req.micro_batch, f.micro_batch);
    set("--global-batch", req.global_batch, f.global_batch);
    set("--seq-len", req.seq_len, f.seq_len);
    set("--precision", req.precision, f.precision);
    set("--recompute", req.recompute, f.recompute);
    set("--zero", req.zero, f.zero);
    set("--moe-imbalance", req.moe_imbalance, f.moe_imbalance);
    set("--moe-capacity-factor", req.moe_capacity_factor, f.moe_capacity_factor);
    set("--optimizer-offload", req.optimizer_offload, f.optimizer_offload);
    set("--activation-offload", req.activation_offload_layers, f.activation_offload_layers);
    set("--nic-gb-s", req.nic_gb_s, f.nic_gb_s);
    set("--shard-group", req.shard_group, f.shard_group);
    set("--profile", req.profile, f.profile);
    set("--lora", req.lora, f.lora);
    set("--ep-dispatch", req.ep_dispatch, f.ep_dispatch);
    if (o->no_sp) req.sequence_parallel = false;
    if (req.gpus <= 0) throw InputError(source, "gpus", "missing (--gpus)");

    std::vector<std::string> assumed;
    const TrainScenario s = make_scenario(req, cat, source, &assumed);
    print_assumptions(assumed);
    const TrainResult r = simulate_training_step(s, cat.calibration, {.keep_timeline = !o->trace.empty()});
    // Write the trace first: if it fails, nothing is printed as if the run succeeded.
    if (!o->trace.empty()) write_file_atomically(o->trace, train_chrome_trace(r));
    const PredictionRange range = training_range(HeldOutErrors::load(cat.data_dir), s);
    if (o->format == "json")
      std::cout << json_text(train_to_json(r, range)) << "\n";
    else
      std::cout << format_train_text(r, range);
    return 0;
  };
}

}  // namespace ct::cli
