// Speed of the training-step simulator (Google Benchmark).
#include <benchmark/benchmark.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "clustertwin/validate/training_cases.hpp"

using namespace ct;

namespace {

const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

TrainScenario llama405b_16k_h100() {
  const Catalogs& cat = catalogs();
  TrainScenario s;
  s.model = cat.model("llama3.1-405b");
  s.system = cat.hardware.system("dgx-h100");
  s.profile = cat.profile("megatron-core");
  s.layout.gpus = 16384, s.layout.tp = 8, s.layout.pp = 16, s.layout.cp = 1, s.layout.micro_batch = 1;
  s.layout.global_batch = 2048, s.layout.seq_len = 8192;
  resolve_layout(s.layout, s.model, "bench");
  return s;
}

// The reference case: Llama 3.1 405B on 16,384 H100, TP8 PP16 CP1 DP128, GBS 2048, seq 8192.
void BM_Llama405B_16kH100_Step(benchmark::State& state) {
  const TrainScenario s = llama405b_16k_h100();
  for (auto _ : state) {
    TrainResult r = simulate_training_step(s, catalogs().calibration, {.keep_timeline = false});
    benchmark::DoNotOptimize(r.step_time_s);
  }
}
BENCHMARK(BM_Llama405B_16kH100_Step)->Unit(benchmark::kMicrosecond);

// The same step with the full timeline kept (what `train --trace` does).
void BM_Llama405B_16kH100_StepWithTimeline(benchmark::State& state) {
  const TrainScenario s = llama405b_16k_h100();
  for (auto _ : state) {
    TrainResult r = simulate_training_step(s, catalogs().calibration, {.keep_timeline = true});
    benchmark::DoNotOptimize(r.step_time_s);
  }
}
BENCHMARK(BM_Llama405B_16kH100_StepWithTimeline)->Unit(benchmark::kMicrosecond);

// Issue 3's reference: one DeepSeek-V3 step on 1,024 GB200 (TP1 PP4 VP4 EP64, GBS 4096, seq 4096, MXFP8).
void BM_DeepSeekV3_1024GB200_Step(benchmark::State& state) {
  const Catalogs& cat = catalogs();
  TrainScenario s;
  s.model = cat.model("deepseek-v3");
  s.system = cat.hardware.system("gb200-nvl72");
  s.profile = cat.profile("megatron-core");
  s.layout.gpus = 1024, s.layout.pp = 4, s.layout.vp = 4, s.layout.ep = 64, s.layout.micro_batch = 1;
  s.layout.global_batch = 4096, s.layout.seq_len = 4096, s.layout.precision = Precision::MXFP8;
  resolve_layout(s.layout, s.model, "bench");
  for (auto _ : state) {
    TrainResult r = simulate_training_step(s, cat.calibration, {.keep_timeline = false});
    benchmark::DoNotOptimize(r.step_time_s);
  }
}
BENCHMARK(BM_DeepSeekV3_1024GB200_Step)->Unit(benchmark::kMicrosecond);

// The whole measured-training file through `validate training` (read, map, simulate, write).
void BM_ValidateMeasuredTrainingFile(benchmark::State& state) {
  const TrainingValidator v(catalogs());
  const std::string cases = std::string(CLUSTERTWIN_SHARED_DATA) + "/measured_training.csv";
  for (auto _ : state) {
    const auto s = v.run(cases, "/tmp/clustertwin-bench-validate.csv");
    benchmark::DoNotOptimize(s.ok);
  }
}
BENCHMARK(BM_ValidateMeasuredTrainingFile)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
