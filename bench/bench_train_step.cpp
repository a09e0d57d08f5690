// Speed of the training-step simulator (Google Benchmark).
#include <benchmark/benchmark.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "clustertwin/validate/training_cases.hpp"

using namespace ct;

namespace {

const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

// One step of `s` per iteration, without the timeline unless asked (searches and validation go
// without).
void time_step(benchmark::State& state, const TrainScenario& s, bool keep_timeline = false) {
  for (auto _ : state) {
    TrainResult r = simulate_training_step(s, catalogs().calibration, {.keep_timeline = keep_timeline});
    benchmark::DoNotOptimize(r.step_time_s);
  }
}

void time_step(benchmark::State& state, const TrainRequest& r) { time_step(state, make_scenario(r, catalogs(), "bench")); }

TrainScenario llama405b_16k_h100() {
  return make_scenario({.model = "llama3.1-405b", .system = "dgx-h100", .gpus = 16384, .tp = 8, .pp = 16,
                        .global_batch = 2048, .seq_len = 8192},
                       catalogs(), "bench");
}

// The reference case: Llama 3.1 405B on 16,384 H100, TP8 PP16 CP1 DP128, GBS 2048, seq 8192.
void BM_Llama405B_16kH100_Step(benchmark::State& state) {
  time_step(state, llama405b_16k_h100());
}
BENCHMARK(BM_Llama405B_16kH100_Step)->Unit(benchmark::kMicrosecond);

// The same step with the full timeline kept (what `train --trace` does).
void BM_Llama405B_16kH100_StepWithTimeline(benchmark::State& state) {
  time_step(state, llama405b_16k_h100(), /*keep_timeline=*/true);
}
BENCHMARK(BM_Llama405B_16kH100_StepWithTimeline)->Unit(benchmark::kMicrosecond);

// Issue 3's reference: one DeepSeek-V3 step on 1,024 GB200 (TP1 PP4 VP4 EP64, GBS 4096, seq 4096, MXFP8).
void BM_DeepSeekV3_1024GB200_Step(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "deepseek-v3", .system = "gb200-nvl72", .gpus = 1024, .pp = 4, .vp = 4,
                                .ep = 64, .global_batch = 4096, .seq_len = 4096, .precision = "mxfp8"});
}
BENCHMARK(BM_DeepSeekV3_1024GB200_Step)->Unit(benchmark::kMicrosecond);

// Issue 17's deep pipelines: Megatron-1T (Calculon's shipped layout: 3,072 A100, TP4 PP64) and
// Llama 3.1 405B at PP64 and PP16 with VP, where cost grew faster than linearly with depth.
void BM_Megatron1T_3072A100_PP64(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "gpt-1t", .system = "dgx-a100", .gpus = 3072, .tp = 4, .pp = 64,
                                .micro_batch = 1, .global_batch = 3072, .seq_len = 2048});
}
BENCHMARK(BM_Megatron1T_3072A100_PP64)->Unit(benchmark::kMicrosecond);

void BM_Llama405B_PP64(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "llama3.1-405b", .system = "dgx-h100", .gpus = 16384, .tp = 8, .pp = 64,
                                .global_batch = 2048, .seq_len = 8192});
}
BENCHMARK(BM_Llama405B_PP64)->Unit(benchmark::kMicrosecond);

void BM_Llama405B_PP16_VP8(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "llama3.1-405b", .system = "dgx-h100", .gpus = 16384, .tp = 8, .pp = 16,
                                .vp = 8, .global_batch = 2048, .seq_len = 8192});
}
BENCHMARK(BM_Llama405B_PP16_VP8)->Unit(benchmark::kMicrosecond);

// The two layouts Calculon was timed on (issue 17: 1,589 us and 1,624 us per step on this
// machine class): GPT-3 175B TP8 PP8 DP8 on 512 A100, batch 1536; Megatron-1T TP4 PP64 DP12,
// micro-batch 4, full recompute, on 3,072 A100, batch 3072.
void BM_Calculon_GPT3_175B_512A100(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "gpt3-175b", .system = "dgx-a100", .gpus = 512, .tp = 8, .pp = 8,
                                .micro_batch = 1, .global_batch = 1536, .seq_len = 2048});
}
BENCHMARK(BM_Calculon_GPT3_175B_512A100)->Unit(benchmark::kMicrosecond);

void BM_Calculon_Megatron1T_3072A100_Mbs4(benchmark::State& state) {
  time_step(state, TrainRequest{.model = "gpt-1t", .system = "dgx-a100", .gpus = 3072, .tp = 4, .pp = 64,
                                .micro_batch = 4, .global_batch = 3072, .seq_len = 2048, .recompute = "full"});
}
BENCHMARK(BM_Calculon_Megatron1T_3072A100_Mbs4)->Unit(benchmark::kMicrosecond);

// The whole measured-training file through `validate training` (read, map, simulate, write).
void BM_ValidateMeasuredTrainingFile(benchmark::State& state) {
  const TrainingValidator v(catalogs());
  const std::string cases = ct::data_dir() + "/measured/measured_training.csv";
  for (auto _ : state) {
    const auto s = v.run(cases, "/tmp/clustertwin-bench-validate.csv");
    benchmark::DoNotOptimize(s.ok);
  }
}
BENCHMARK(BM_ValidateMeasuredTrainingFile)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
