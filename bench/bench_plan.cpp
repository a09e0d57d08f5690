// Speed of the planner (Google Benchmark): the reference search, Llama 3.1 405B on
// 16,384 H100 (GBS 2048 x 8192), on one thread; counters report layouts per second.
#include <benchmark/benchmark.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/plan/planner.hpp"

using namespace ct;

namespace {

PlanRequest request(int threads) {
  static const Catalogs cat = Catalogs::load(data_dir());
  PlanRequest r;
  r.model = cat.model("llama3.1-405b");
  r.system = cat.hardware.system("dgx-h100");
  r.profile = cat.profile("megatron-core");
  r.gpu_counts = {16384};
  r.seq_len = 8192;
  r.global_batch = 2048;
  r.tokens = 15e12;
  r.threads = threads;
  r.site = load_site(data_dir() + "/sites/example-jp.yaml");
  r.reliability = load_reliability(data_dir() + "/calibration/reliability.yaml");
  return r;
}

void BM_Plan405B_16kH100(benchmark::State& state) {
  static const Catalogs cat = Catalogs::load(data_dir());
  const PlanRequest r = request(static_cast<int>(state.range(0)));
  PlanResult res;
  for (auto _ : state) {
    res = plan_training(r, cat.calibration);
    benchmark::DoNotOptimize(res.top);
  }
  state.counters["layouts"] = res.enumerated;
  state.counters["simulated"] = res.simulated;
  state.counters["layouts_per_s"] = benchmark::Counter(res.enumerated, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Plan405B_16kH100)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
