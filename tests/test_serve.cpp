// Serving simulator: KV sizes, iteration costs, the engine and workloads against values derived
// independently (hand arithmetic, queueing closed forms).
#include <gtest/gtest.h>

#include <cmath>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/serve/kv_cache.hpp"
#include "clustertwin/serve/serving.hpp"
#include "clustertwin/serve/serving_calibration.hpp"
#include "clustertwin/serve/workload.hpp"

namespace ct::serve {
namespace {

const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

TEST(ServeKvCache, Llama3_70bGqaBytesPerTokenByHand) {
  const ModelSpec m = catalogs().model("llama3-70b");
  // 2 (K and V) x 80 layers x 8 KV heads x 128 head dim x 2 bytes (BF16) = 327,680 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, 2.0), 2.0 * 80 * 8 * 128 * 2);
  // FP8 cache halves it; TP 8 gives each GPU one KV head; TP 16 replicates heads (still one each).
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, 1.0), 163840.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_gpu(m, 2.0, 8, 1), 2.0 * 80 * 1 * 128 * 2);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_gpu(m, 2.0, 16, 1), 2.0 * 80 * 1 * 128 * 2);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_gpu(m, 2.0, 1, 4), 2.0 * 20 * 8 * 128 * 2);
}

TEST(ServeKvCache, DeepSeekV3MlaBytesPerTokenByHand) {
  const ModelSpec m = catalogs().model("deepseek-v3");
  // MLA caches the 512-wide latent and the 64-wide RoPE key: 61 layers x (512 + 64) x 2 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, 2.0), 61.0 * (512 + 64) * 2);
  // The latent is not split by heads: every TP rank keeps all of it.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_gpu(m, 2.0, 8, 1), 61.0 * (512 + 64) * 2);
}

// A calibration without fixed costs, so that a decode step is exactly a roofline.
Calibration bare_calibration() {
  Calibration cal = catalogs().calibration;
  cal.kernels.launch_overhead_s = 0;
  return cal;
}

TEST(ServeIterationCost, MemoryBoundDecodeStepIsWeightsPlusKvOverBandwidth) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3-8b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::BF16, 2.0};
  EngineLimits limits;
  limits.iteration_overhead_s = 0;
  const Calibration cal = bare_calibration();
  const IterationCostModel cost(r, cal, limits);
  // One sequence decoding at a 32k context: weights read once (all but the embedding table, of
  // which one row is read), plus the KV cache of 32k tokens.
  const double context = 32768;
  IterationBatch b;
  b.add_decode(context);
  b.sampled_sequences = 1;
  const ModelSpec& m = r.model;
  const double weight_bytes = 2.0 * (total_params(m) - embedding_params(m));
  const double kv_bytes = context * 2.0 * 32 * 8 * 128 * 2;  // K,V x 32 layers x 8 heads x 128 x BF16
  const double bandwidth = r.system.gpu.hbm_bytes_per_s * cal.device(r.system.gpu.id).hbm_fraction;
  const double expected_s = (weight_bytes + kv_bytes) / bandwidth;
  // The rest (norms of one token, the activations) is well under 1% of the bytes.
  EXPECT_NEAR(cost.time_s(b), expected_s, 0.01 * expected_s);
}

TEST(ServeIterationCost, PrefillIsComputeBoundAndTensorParallelismAddsAllReduces) {
  const Catalogs& cat = catalogs();
  EngineLimits limits;
  limits.iteration_overhead_s = 0;
  ReplicaSpec r1{cat.model("llama3-70b"), cat.hardware.system("dgx-h100"), 8, 1, Precision::FP8, 1.0};
  const IterationCostModel cost(r1, cat.calibration, limits);
  IterationBatch b;
  b.add_prefill_chunk(8192, 0);
  b.sampled_sequences = 1;
  const IterationBreakdown br = cost.breakdown(b);
  // 2 x active params FLOPs per token, over 8 GPUs at the FP8 peak: a lower bound on GEMM time.
  const double flops_per_gpu = 2.0 * (total_params(r1.model) - embedding_params(r1.model) - lm_head_params(r1.model)) * 8192 / 8;
  EXPECT_GT(br.gemm_s, flops_per_gpu / r1.system.gpu.peak(PeakFormat::FP8));
  EXPECT_LT(br.gemm_s, 2.0 * flops_per_gpu / r1.system.gpu.peak(PeakFormat::FP8));
  EXPECT_GT(br.comm_s, 0);
  EXPECT_GT(br.attention_s, 0);
}

TEST(ServeIterationCost, Fp4WeightsNeedFp4TensorCores) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3-8b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::NVFP4, 1.0};
  EXPECT_THROW(IterationCostModel(r, cat.calibration, EngineLimits{}), InputError);
}

TEST(ServeIterationCost, MoeReadsOnlyTheExpertsTokensReach) {
  EXPECT_NEAR(active_experts(8, 1, 8, 2), 2.0, 1e-12);
  EXPECT_NEAR(active_experts(8, 1000, 8, 2), 8.0, 1e-9);
  // Two tokens, top-2 of 8: 8 (1 - (6/8)^2) = 3.5 distinct experts on average.
  EXPECT_NEAR(active_experts(8, 2, 8, 2), 3.5, 1e-12);
  // 16 tokens each choosing 8 of 128 experts: 128 (1 - (120/128)^16) = 82.4225 experts touched.
  EXPECT_NEAR(active_experts(128, 16, 128, 8), 82.42251130217052, 1e-9);
}

TEST(ServeMemory, ModelThatDoesNotFitIsAResultWithAReason) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3.1-405b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::BF16, 2.0};
  const MemoryPlan p = plan_memory(r, EngineLimits{}, cat.calibration.memory);
  EXPECT_FALSE(p.fits);
  EXPECT_NE(p.reason.find("weights need"), std::string::npos);
}

// M/D/1: Poisson arrivals, one server, deterministic service S. With max batch 1, one-token
// outputs and a token budget holding the whole prompt, every request is one prefill iteration of
// the same length, served FCFS: the mean wait is rho / (2 mu (1 - rho)) (Pollaczek-Khinchine).
TEST(ServeEngine, MD1QueueMeanWaitMatchesClosedForm) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3-8b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::BF16, 2.0};
  EngineLimits limits;
  limits.max_batch_size = 1;
  limits.iteration_overhead_s = 0;
  const IterationCostModel cost(r, cat.calibration, limits);
  IterationBatch one;
  one.add_prefill_chunk(512, 0);
  one.sampled_sequences = 1;
  const double service_s = cost.time_s(one);
  const double rho = 0.7, mu = 1.0 / service_s;
  WorkloadSpec w;
  w.kind = ArrivalKind::Poisson;
  w.rate_per_s = rho * mu;
  w.input_tokens = 512;
  w.output_tokens = 1;
  w.count = 200000;
  w.seed = 7;
  const auto reqs = generate_requests(w);
  const ServingResult res = simulate_serving({r, 1, limits}, cat.calibration, reqs);
  ASSERT_TRUE(res.feasible);
  ASSERT_EQ(res.completed, w.count);
  const double mean_wait_s = res.ttft_s.mean - service_s;
  const double expected_s = rho / (2 * mu * (1 - rho));
  EXPECT_NEAR(mean_wait_s, expected_s, 0.03 * expected_s);
  EXPECT_NEAR(res.gpu_utilization, rho, 0.01);
}

TEST(ServeEngine, ContinuousBatchingBeatsOneAtATimeAndConservesTokens) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3-8b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::FP8, 1.0};
  EngineLimits limits = EngineLimits::from(load_serving_calibration(data_dir()));
  const auto reqs = generate_requests(parse_workload("offline:count=512,input=256,output=64", "test"));
  const ServingResult batched = simulate_serving({r, 1, limits}, cat.calibration, reqs);
  limits.max_batch_size = 1;
  const ServingResult serial = simulate_serving({r, 1, limits}, cat.calibration, reqs);
  ASSERT_EQ(batched.completed, 512);
  ASSERT_EQ(serial.completed, 512);
  EXPECT_GT(batched.output_tokens_per_s, 10 * serial.output_tokens_per_s);
  // TTFT <= E2E for every request; TPOT positive.
  for (const RequestResult& q : batched.per_request) {
    EXPECT_LE(q.ttft_s, q.e2e_s);
    EXPECT_GT(q.tpot_s, 0);
  }
}

TEST(ServeEngine, PreemptsByRecomputeWhenKvRunsOutAndStillFinishesEverything) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("llama3-8b"), cat.hardware.system("dgx-h100"), 1, 1, Precision::FP8, 1.0};
  EngineLimits limits;
  limits.iteration_overhead_s = 0;
  const IterationCostModel cost(r, cat.calibration, limits);
  // 64 blocks of 16 tokens = 1024 tokens; 8 requests growing to 64 + 192 tokens each cannot all stay.
  EngineOptions o{limits, 64, 1.0, false};
  const std::vector<Request> reqs(8, Request{0.0, 64, 192});
  const EngineResult res = run_engine(reqs, cost, o);
  EXPECT_GT(res.preemptions, 0);
  for (const RequestResult& q : res.requests) EXPECT_TRUE(q.done);
  // A request larger than the whole cache is bad input, not a hang.
  EXPECT_THROW(run_engine({Request{0.0, 2000, 100}}, cost, o), InputError);
}

TEST(ServeWorkload, ParsesSpecsAndIsDeterministicPerSeed) {
  const WorkloadSpec w = parse_workload("poisson:rate=20,input=2048,output=256,count=1000,seed=3", "cli");
  EXPECT_EQ(w.kind, ArrivalKind::Poisson);
  const auto a = generate_requests(w), b = generate_requests(w);
  ASSERT_EQ(a.size(), 1000u);
  EXPECT_EQ(a.back().arrival_s, b.back().arrival_s);
  // Mean gap 1/20 s: 1000 arrivals take ~50 s (5 sigma of the sum of exponentials ~ 7.9 s).
  EXPECT_NEAR(a.back().arrival_s, 50.0, 8.0);
  EXPECT_THROW(parse_workload("poisson:rate=0,input=1,output=1", "cli"), InputError);
  EXPECT_THROW(parse_workload("uniform:rate=1", "cli"), InputError);
  EXPECT_THROW(parse_workload("poisson:rate=1,input=x,output=1", "cli"), InputError);
}

TEST(ServeWorkload, GammaArrivalsHaveTheRequestedBurstiness) {
  WorkloadSpec w = parse_workload("gamma:rate=10,cv=3,input=16,output=16,count=100000,seed=5", "cli");
  const auto reqs = generate_requests(w);
  double sum = 0, sum2 = 0, prev = 0;
  for (const Request& q : reqs) {
    const double gap = q.arrival_s - prev;
    prev = q.arrival_s;
    sum += gap;
    sum2 += gap * gap;
  }
  const double n = static_cast<double>(reqs.size()), mean = sum / n;
  const double cv = std::sqrt(sum2 / n - mean * mean) / mean;
  EXPECT_NEAR(mean, 0.1, 0.005);
  EXPECT_NEAR(cv, 3.0, 0.15);
}

TEST(ServeWorkload, TraceErrorsNameTheLine) {
  const auto ok = parse_trace_csv("timestamp,input_tokens,output_tokens\n0.5,100,10\n0.1,50,5\n", "t.csv");
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_DOUBLE_EQ(ok.front().arrival_s, 0.1);  // sorted by arrival
  try {
    parse_trace_csv("timestamp,input_tokens,output_tokens\n0.5,100,10\n0.7,abc,5\n", "t.csv");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv: line 3: input_tokens"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_trace_csv("time,input_tokens,output_tokens\n1,2,3\n", "t.csv"), InputError);
}

TEST(ServePercentiles, NearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  const Percentiles p = percentiles(v);
  EXPECT_DOUBLE_EQ(p.p50, 50);
  EXPECT_DOUBLE_EQ(p.p90, 90);
  EXPECT_DOUBLE_EQ(p.p99, 99);
  EXPECT_DOUBLE_EQ(p.mean, 50.5);
}

}  // namespace
}  // namespace ct::serve

// 11 requests one second apart arrive at 1/s; completing at 0.5/s is overload, at 0.95/s it is not
// (within 10%), and all arriving at once (offline) never is.
TEST(ServeOverload, RequestsCompletingSlowerThanTheyArriveAreNamed) {
  std::vector<ct::serve::Request> reqs;
  for (int i = 0; i <= 10; ++i) reqs.push_back({static_cast<double>(i), 128, 16});
  ct::serve::ServingResult r;
  r.feasible = true;
  r.requests_per_s = 0.5;
  const std::string note = ct::serve::overload_note(reqs, r);
  EXPECT_NE(note.find("arrive at 1.00/s and complete at 0.50/s"), std::string::npos) << note;
  r.requests_per_s = 0.95;
  EXPECT_EQ(ct::serve::overload_note(reqs, r), "");
  for (auto& q : reqs) q.arrival_s = 0;
  r.requests_per_s = 0.1;
  EXPECT_EQ(ct::serve::overload_note(reqs, r), "");
}
