#include "clustertwin/parallel/layout.hpp"

#include <algorithm>
#include <iterator>

#include "clustertwin/core/error.hpp"

namespace ct {

void resolve_layout(ParallelLayout& l, const ModelSpec& m, const std::string& source) {
  auto positive = [&](long long v, const char* field) {
    if (v <= 0) throw InputError(source, field, "must be a positive integer, got " + std::to_string(v));
  };
  positive(l.gpus, "gpus");
  positive(l.tp, "tp");
  positive(l.pp, "pp");
  positive(l.vp, "vp");
  positive(l.cp, "cp");
  positive(l.ep, "ep");
  positive(l.etp, "etp");
  positive(l.micro_batch, "micro_batch");
  positive(l.global_batch, "global_batch");
  positive(l.seq_len, "seq_len");
  const long long model_parallel = 1LL * l.tp * l.pp * l.cp;
  if (l.gpus % model_parallel != 0)
    throw InputError(source, "gpus", "tp*pp*cp = " + std::to_string(model_parallel) + " does not divide " +
                                         std::to_string(l.gpus) + " GPUs");
  l.dp = static_cast<int>(l.gpus / model_parallel);
  if (m.moe.enabled()) {
    // The ranks of one pipeline stage split into expert tensor x expert x expert-data parallel.
    if (l.tp * l.cp * l.dp % (l.ep * l.etp) != 0) throw InputError(source, "ep", "ep*etp must divide tp*cp*dp");
    if (m.moe.expert_ffn_hidden % l.etp != 0)
      throw InputError(source, "etp", "must divide the experts' FFN width " + std::to_string(m.moe.expert_ffn_hidden));
  } else if (l.ep != 1 || l.etp != 1) {
    throw InputError(source, l.ep != 1 ? "ep" : "etp", "expert parallelism needs a mixture-of-experts model");
  }
  if (m.heads % l.tp != 0)
    throw InputError(source, "tp", "must divide the " + std::to_string(m.heads) + " attention heads");
  if (l.global_batch % (l.dp * l.micro_batch) != 0)
    throw InputError(source, "global_batch", std::to_string(l.global_batch) + " is not a multiple of dp*micro_batch = " +
                                                 std::to_string(l.dp * l.micro_batch));
  if (l.seq_len % l.cp != 0) throw InputError(source, "cp", "must divide seq_len");
  if (l.pp * l.vp > m.layers + 2)
    throw InputError(source, "pp", "pp*vp = " + std::to_string(l.pp * l.vp) + " exceeds the model's " +
                                       std::to_string(m.layers) + " layers");
  if (l.vp > 1 && l.pp == 1) throw InputError(source, "vp", "virtual stages need pp > 1");
  if (l.vp > 1 && l.microbatches() % l.pp != 0)
    throw InputError(source, "vp", "the interleaved schedule needs micro-batches (" + std::to_string(l.microbatches()) +
                                       ") to be a multiple of pp (" + std::to_string(l.pp) + ")");
  if (l.shard_group < 0 || (l.shard_group > 0 && l.replicas() % l.shard_group != 0))
    throw InputError(source, "shard_group", "must divide dp*cp = " + std::to_string(l.replicas()));
  if (l.tp == 1) l.sequence_parallel = false;
}

std::string to_string(Recompute r) {
  switch (r) {
    case Recompute::None: return "none";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
  }
  return "?";
}

namespace {
struct ModuleName {
  RecomputeModule bit;
  const char* name;   // Megatron-Core's recompute_modules entry
  const char* short_name;
};
constexpr ModuleName kModuleNames[] = {{kRecomputeCoreAttn, "core_attn", "attn"},
                                       {kRecomputeLayerNorm, "layernorm", "ln"},
                                       {kRecomputeMlaUpProj, "mla_up_proj", "mla"},
                                       {kRecomputeMoeAct, "moe_act", "act"},
                                       {kRecomputeMlp, "mlp", "mlp"}};

// The layout's selective modules, named by `field` and joined by `separator`.
std::string module_list(const ParallelLayout& l, const char* ModuleName::*field, char separator) {
  std::string out;
  for (const ModuleName& m : kModuleNames) {
    if (!(l.recompute_modules & m.bit)) continue;
    if (!out.empty()) out += separator;
    out += m.*field;
  }
  return out;
}
}  // namespace

std::string recompute_name(const ParallelLayout& l) {
  if (l.recompute != Recompute::Selective || l.recompute_modules == kRecomputeCoreAttn) return to_string(l.recompute);
  return "selective:" + module_list(l, &ModuleName::name, ',');
}

std::string recompute_short_name(const ParallelLayout& l) {
  if (l.activation_offload_layers > 0 && l.recompute == Recompute::None)
    return "off" + std::to_string(l.activation_offload_layers);  // activations of N layers in host memory
  if (l.recompute != Recompute::Selective) return l.recompute == Recompute::None ? "-" : "full";
  return module_list(l, &ModuleName::short_name, '+');
}

void parse_recompute(const std::string& name, const std::string& source, ParallelLayout& l) {
  const std::string mode = name.substr(0, name.find(':'));
  l.recompute_modules = kRecomputeCoreAttn;
  if (mode == "none") l.recompute = Recompute::None;
  else if (mode == "full") l.recompute = Recompute::Full;
  else if (mode == "selective") l.recompute = Recompute::Selective;
  else throw InputError(source, "recompute", "unknown mode '" + name + "' (none, selective[:modules], full)");
  if (name.size() == mode.size()) return;
  if (l.recompute != Recompute::Selective)
    throw InputError(source, "recompute", "modules are only for selective recompute: '" + name + "'");
  l.recompute_modules = 0;
  std::size_t start = mode.size() + 1;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find(',', start), name.size());
    const std::string module = name.substr(start, end - start);
    const auto* it = std::find_if(std::begin(kModuleNames), std::end(kModuleNames),
                                  [&](const ModuleName& m) { return module == m.name; });
    if (it == std::end(kModuleNames))
      throw InputError(source, "recompute",
                       "unknown recompute module '" + module + "' (core_attn, layernorm, mla_up_proj, moe_act, mlp)");
    l.recompute_modules |= it->bit;
    start = end + 1;
  }
}

std::string to_string(DpSharding s) {
  switch (s) {
    case DpSharding::None: return "ddp";
    case DpSharding::Zero1: return "zero1";
    case DpSharding::Zero2: return "zero2";
    case DpSharding::Zero3: return "zero3";
  }
  return "?";
}

}  // namespace ct
