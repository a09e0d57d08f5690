// Tensor-parallel collectives at Megatron's f/g points (Korthikanti et al. 2022, "Reducing
// Activation Recomputation", sections 4.2.2-4.2.3): without sequence parallelism a layer's forward
// all-reduces its b*s*h activations twice (after attention and after the MLP) and its backward
// twice; with it, each all-reduce becomes a reduce-scatter plus an all-gather of the same bytes,
// so a ring moves the same data and takes the same time.
#include <gtest/gtest.h>

#include <map>

#include "scenario_helpers.hpp"

using namespace ct;

namespace {

// Collective kind ("all_reduce", ...) -> count and total seconds, over one pass's TP ops.
struct Tally {
  std::map<std::string, int> count;
  double seconds = 0;
};
Tally tp_ops(const Pass& p) {
  Tally t;
  for (const Op& op : p.ops)
    if (op.kind == OpKind::TpComm) {
      t.count[op.name.substr(op.name.rfind('.') + 1)]++;
      t.seconds += op.time_s;
    }
  return t;
}

TrainScenario dense_tp8(bool sequence_parallel) {
  TrainRequest r;
  // DGX A100: no NVLink SHARP, so all-reduces and all-gathers run on the same ring.
  r.model = "llama2-70b", r.system = "dgx-a100", r.gpus = 8, r.tp = 8, r.global_batch = 1, r.seq_len = 4096;
  r.sequence_parallel = sequence_parallel;
  return ct::testing::scenario(r);
}

}  // namespace

TEST(TpCollectives, WithoutSequenceParallelTwoAllReducesPerPass) {
  const LayerPasses L = ct::testing::layer_passes_of(dense_tp8(false));
  const Tally fwd = tp_ops(L.fwd), bwd = tp_ops(L.bwd);
  EXPECT_EQ(fwd.count, (std::map<std::string, int>{{"all_reduce", 2}}));
  EXPECT_EQ(bwd.count, (std::map<std::string, int>{{"all_reduce", 2}}));
}

TEST(TpCollectives, WithSequenceParallelEachAllReduceSplitsInTwo) {
  const LayerPasses on = ct::testing::layer_passes_of(dense_tp8(true));
  const LayerPasses off = ct::testing::layer_passes_of(dense_tp8(false));
  EXPECT_EQ(tp_ops(on.fwd).count, (std::map<std::string, int>{{"all_gather", 2}, {"reduce_scatter", 2}}));
  EXPECT_EQ(tp_ops(on.bwd).count, (std::map<std::string, int>{{"all_gather", 2}, {"reduce_scatter", 2}}));
  // Ring: all-reduce = reduce-scatter + all-gather of the same b*s*h bytes.
  EXPECT_NEAR(tp_ops(on.fwd).seconds, tp_ops(off.fwd).seconds, 1e-9 * tp_ops(off.fwd).seconds);
  // By hand: 2 x 2 (n-1)/n x b*s*h*2 bytes over the NVLink ring, plus 2 x 2 (n-1) hop latencies.
  const TrainScenario s = dense_tp8(false);
  const double bytes = 4096.0 * 8192 * 2, n = 8;
  const auto& dev = ct::testing::catalogs().calibration.device(s.system.gpu.id);
  const double ring = s.system.gpu.nvlink_bytes_per_s * dev.nvlink_ring_fraction;
  const double latency = ct::testing::catalogs().calibration.network.nvlink_latency_s;
  EXPECT_NEAR(tp_ops(off.fwd).seconds, 2 * (2 * (n - 1) / n * bytes / ring + 2 * (n - 1) * latency), 1e-3 * tp_ops(off.fwd).seconds);
}
