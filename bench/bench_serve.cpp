// Speed of the serving simulator: 1,000,000 requests on 64 GPUs (8 replicas of Llama 3 70B, FP8,
// TP 8 on DGX H100) at 85% of their saturated rate. Target (issue 5): under 10 s.
#include <benchmark/benchmark.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/iteration_cost.hpp"
#include "clustertwin/serve/serving.hpp"

namespace {

using namespace ct;
using namespace ct::serve;

void BM_ServeMillionRequests64Gpus(benchmark::State& state) {
  const Catalogs cat = Catalogs::load(data_dir());
  const EngineLimits limits = EngineLimits::from(load_serving_calibration(data_dir()));
  Deployment d{{cat.model("llama3-70b"), cat.hardware.system("dgx-h100"), 8, 1, Precision::FP8, 1.0}, 8, limits};
  constexpr int kInput = 512, kOutput = 128;
  const double saturated_rps = offline_run(d.replica, limits, cat.calibration, LengthMix::fixed(kInput, kOutput), 4000).requests_per_s;
  WorkloadSpec w;
  w.kind = ArrivalKind::Poisson;
  w.rate_per_s = 0.85 * saturated_rps * d.replicas;
  w.input_tokens = kInput;
  w.output_tokens = kOutput;
  w.count = 1'000'000;
  const std::vector<Request> reqs = generate_requests(w);
  for (auto _ : state) {
    const ServingResult r = simulate_serving(d, cat.calibration, reqs);
    benchmark::DoNotOptimize(r.output_tokens_per_s);
    state.counters["completed"] = static_cast<double>(r.completed);
    state.counters["iterations"] = static_cast<double>(r.iterations);
    state.counters["ttft_p99_ms"] = r.ttft_s.p99 * 1e3;
  }
}
BENCHMARK(BM_ServeMillionRequests64Gpus)->Unit(benchmark::kSecond)->Iterations(1);

// One engine iteration's cost: a mixed batch of a 2,048-token prompt chunk and 255 decodes at
// 1,500 tokens of context, the shape the engine asks for millions of times per run.
void iteration_cost(benchmark::State& state, const char* model, const char* system, int tp, Precision weights) {
  const Catalogs cat = Catalogs::load(data_dir());
  const EngineLimits limits = EngineLimits::from(load_serving_calibration(data_dir()));
  const IterationCostModel cost({cat.model(model), cat.hardware.system(system), tp, 1, weights, 1.0}, cat.calibration,
                                limits);
  IterationBatch b;
  b.add_prefill_chunk(2048, 0);
  for (int i = 0; i < 255; ++i) b.add_decode(1500);
  b.sampled_sequences = 255;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(cost.time_s(b));
  }
}
void BM_IterationLlama70B(benchmark::State& s) { iteration_cost(s, "llama3-70b", "dgx-h100", 8, Precision::FP8); }
void BM_IterationDeepSeekV3(benchmark::State& s) { iteration_cost(s, "deepseek-v3", "dgx-b200", 8, Precision::FP8); }
void BM_IterationNemotronH(benchmark::State& s) { iteration_cost(s, "nemotron-3-nano-30b-a3b", "dgx-h100", 1, Precision::BF16); }
BENCHMARK(BM_IterationLlama70B)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_IterationDeepSeekV3)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_IterationNemotronH)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
