// Request-length mixes: dataset samples that requests take in turn.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/serve/inference_cases.hpp"
#include "clustertwin/serve/workload.hpp"

namespace ct::serve {
namespace {

std::string write_csv(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << text;
  return path.string();
}

TEST(LengthMix, RequestsTakeThePairsInTurn) {
  const LengthMix m{{{100, 10}, {300, 30}}};
  EXPECT_DOUBLE_EQ(m.mean_input(), 200.0);
  EXPECT_DOUBLE_EQ(m.mean_output(), 20.0);
  const auto reqs = offline_requests(m, 5);
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].input_tokens, 100);
  EXPECT_EQ(reqs[1].input_tokens, 300);
  EXPECT_EQ(reqs[4].output_tokens, 10);
  const auto poisson = poisson_requests(2.0, m, 4, 7);
  EXPECT_EQ(poisson[3].input_tokens, 300);
  // Arrivals do not depend on the lengths: the same seed gives the same times as fixed lengths.
  const auto fixed = poisson_requests(2.0, LengthMix::fixed(100, 10), 4, 7);
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(poisson[i].arrival_s, fixed[i].arrival_s);
  EXPECT_NE(m.key(), LengthMix::fixed(200, 20).key());
}

TEST(LengthMix, ReadsACsvAndScalesOutputsToTheServedMean) {
  const std::string path = write_csv("mix", "input_tokens,output_tokens\n100,100\n300,300\n");
  const LengthMix m = read_length_mix(path, 100);  // hand: scale 100 / 200 = 0.5
  EXPECT_EQ(m.pairs[0].second, 50);
  EXPECT_EQ(m.pairs[1].second, 150);
  EXPECT_EQ(m.pairs[1].first, 300);
  const std::string bad = write_csv("mixbad", "input_tokens,output_tokens\n100,-3\n");
  try {
    read_length_mix(bad);
    FAIL() << "negative length accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

// The shipped MLPerf mixtral-8x7b sample against the dataset's published figures
// (data/workloads/README.md): input mean 427.4 tokens over all 15,000 samples, output mean the
// reference tokens_per_sample 144.84 (mlcommons/inference language/mixtral-8x7b/README.md).
TEST(LengthMix, MlperfMixtralSampleMatchesTheDataset) {
  const ValidationTables t = load_validation_tables(data_dir());
  const MlperfBenchmark& b = t.mlperf.at("mixtral-8x7b");
  EXPECT_EQ(b.lengths.pairs.size(), 1500u);
  EXPECT_NEAR(b.lengths.mean_input(), 427.4, 427.4 * 0.01);
  EXPECT_NEAR(b.lengths.mean_output(), 144.84, 0.5);
  // GSM8K 5-shot prompts lead each interleaved triple (dataset mean 665.6).
  EXPECT_GT(b.lengths.pairs[0].first, 600);
}

}  // namespace
}  // namespace ct::serve
