// The compare and plan commands as a user meets them, and determinism of the outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Output {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Output run(const std::string& args) {
  const fs::path dir = fs::temp_directory_path() / ("ct-cli2-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cmd = std::string(CLUSTERTWIN_BINARY);
  cmd.append(" ").append(args).append(" > ").append((dir / "o").string()).append(" 2> ").append((dir / "e").string());
  Output r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "o");
  r.err = slurp(dir / "e");
  fs::remove_all(dir);
  return r;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST(CompareCli, TwoSystemsSideBySideWithRatios) {
  const Output r = run("compare --model llama3-8b --systems dgx-h100,gb200-nvl72 --gpus 8 --global-batch 64 "
                       "--seq-len 4096 --precision fp8 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_DOUBLE_EQ(j[0]["ratio_to_first"].get<double>(), 1.0);
  // The ratio is the second system's throughput over the first's.
  EXPECT_NEAR(j[1]["ratio_to_first"].get<double>(),
              j[1]["tokens_per_s_per_gpu"].get<double>() / j[0]["tokens_per_s_per_gpu"].get<double>(), 1e-9);
  // Blackwell's FP8 peak is 2.5x Hopper's: the ratio must be above 1 and below the peak ratio.
  EXPECT_GT(j[1]["ratio_to_first"].get<double>(), 1.0);
  EXPECT_LT(j[1]["ratio_to_first"].get<double>(), 2.6);
}

TEST(CompareCli, CsvHasAHeaderAndOneLinePerSystem) {
  const Output r = run("compare --model llama3-8b --systems dgx-h100,dgx-b200,gb200-nvl72 --gpus 8 "
                       "--global-batch 64 --seq-len 4096 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 4);
  EXPECT_EQ(r.out.rfind("label,system,", 0), 0u);
}

TEST(CompareCli, ComparisonFileOfTheReadme) {
  const Output r = run(std::string(CLUSTERTWIN_SOURCE_DIR) + "/examples/llama3.1-405b-gb200-vs-h100.yaml");
  // `compare FILE`: the example must keep working.
  const Output c = run("compare " + std::string(CLUSTERTWIN_SOURCE_DIR) + "/examples/llama3.1-405b-gb200-vs-h100.yaml");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("GB200 NVL72"), std::string::npos);
  EXPECT_EQ(r.exit_code, 2);  // a file without the subcommand is not a command
}

TEST(CompareCli, UnknownSystemIsOneLineExit2) {
  const Output r = run("compare --model llama3-8b --systems dgx-h100,dgx-z9000 --gpus 8");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("dgx-z9000"), std::string::npos);
}

TEST(PlanCli, FindsLayoutsAndStoresThemInSqlite) {
  const fs::path db = fs::temp_directory_path() / ("ct-plan-" + std::to_string(::getpid()) + ".sqlite");
  const Output r = run("plan --model llama3-8b --system dgx-h100 --gpus 16 --tokens 100B --seq-len 4096 --top 3 "
                       "--format json --out " + db.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["top"].size(), 3u);
  EXPECT_LE(j["top"][0]["time_to_train_s"].get<double>(), j["top"][1]["time_to_train_s"].get<double>());
  EXPECT_TRUE(fs::exists(db));
  EXPECT_FALSE(fs::exists(db.string() + ".tmp"));
  fs::remove(db);
}

TEST(PlanCli, ScalingCurvePlotHasTheBestLayoutAtEveryGpuCount) {
  const fs::path svg = fs::temp_directory_path() / ("ct-plan-" + std::to_string(::getpid()) + ".svg");
  const Output r = run("plan --model llama3-8b --system dgx-h100 --gpus 8:32:8 --tokens 100B --seq-len 4096 --top 2 "
                       "--format json --plot " + svg.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(svg);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_EQ(text.rfind("<svg", 0), 0u);
  EXPECT_NE(text.find("fastest layout"), std::string::npos);
  // One point per GPU count (8, 16, 24, 32) on the curve.
  const auto pts = text.find("points=\"");
  ASSERT_NE(pts, std::string::npos);
  const std::string points = text.substr(pts, text.find('"', pts + 8) - pts);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 4);
  fs::remove(svg);
}

TEST(PlanCli, ImpossibleDeadlineGivesClosestAlternatives) {
  const Output r = run("plan --model llama2-13b --system dgx-h100 --gpus 16 --tokens 2T --deadline 1d --top 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no layout meets the request"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closest alternatives"), std::string::npos);
}

TEST(PlanCli, BadTokenCountIsOneLineExit2) {
  const Output r = run("plan --model llama3-8b --system dgx-h100 --gpus 16 --tokens lots");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("tokens"), std::string::npos);
}

TEST(Determinism, SameInputSameBytes) {
  const std::string args = "train --model qwen3-30b-a3b --system gb200-nvl72 --gpus 16 --ep 8 --global-batch 64 "
                           "--seq-len 4096 --precision mxfp8 --format json";
  const Output a = run(args), b = run(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const std::string plan = "plan --model llama3-8b --system dgx-h100 --gpus 32 --tokens 1T --format json --threads ";
  const Output p2 = run(plan + "2"), p1 = run(plan + "1");
  ASSERT_EQ(p2.exit_code, 0) << p2.err;
  EXPECT_EQ(p2.out, p1.out);  // threads change nothing, counts included
}

// serve-plan takes the arrival rate from --load: the README's workload gives only lengths.
TEST(ServePlanCli, WorkloadWithoutRateTakesTheLoad) {
  const Output r = run("serve-plan --model llama3-8b --systems dgx-h100 --load 20rps "
                       "--slo ttft_p99=500ms,tpot_p99=50ms --workload poisson:input=512,output=64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at 20 requests/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replicas"), std::string::npos) << r.out;
}

TEST(CompareCli, NicWhatIfExampleRuns) {
  const Output r = run("compare --format csv " + std::string(CLUSTERTWIN_SOURCE_DIR) + "/examples/deepseek-v3-gb200-cx7-vs-cx8.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 1 + 4);
}

// Ranges (issue 13): every command's JSON carries the same range fields, and every time-like figure
// of one run takes the same factor as its step time (wall time, energy, cost scale with the step).
namespace {

// low / value and high / value of a ranged figure.
std::pair<double, double> factors(const nlohmann::json& range, const char* field, double value) {
  return {range[field][0].get<double>() / value, range[field][1].get<double>() / value};
}

}  // namespace

TEST(RangeCli, CompareCarriesARangePerSystemInJsonAndCsv) {
  const std::string args = "compare --model llama3-8b --systems dgx-h100,gb200-nvl72 --gpus 8 --global-batch 64 "
                           "--seq-len 4096 --precision fp8 --format ";
  const Output j = run(args + "json"), c = run(args + "csv");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto runs = nlohmann::json::parse(j.out);
  for (const auto& r : runs) {
    const auto& range = r["range"];
    ASSERT_TRUE(range.is_object()) << r.dump();
    EXPECT_DOUBLE_EQ(range["coverage"].get<double>(), 0.8);
    EXPECT_GE(range["comparable_runs"].get<int>(), 20);
    // A rate scales inversely to a time: low step time <-> high throughput.
    const auto [t_lo, t_hi] = factors(range, "step_time_s", r["step_time_s"].get<double>());
    const auto [r_lo, r_hi] = factors(range, "tokens_per_s_per_gpu", r["tokens_per_s_per_gpu"].get<double>());
    EXPECT_LT(t_lo, t_hi);
    EXPECT_NEAR(t_lo * r_hi, 1.0, 1e-9);
    EXPECT_NEAR(t_hi * r_lo, 1.0, 1e-9);
    const auto [e_lo, e_hi] = factors(range, "facility_energy_per_token_j", r["facility_energy_per_token_j"].get<double>());
    EXPECT_NEAR(e_lo, t_lo, 1e-9);
    EXPECT_NEAR(e_hi, t_hi, 1e-9);
  }
  EXPECT_NE(c.out.find(",range_coverage,range_runs,step_time_s_low,step_time_s_high,"), std::string::npos) << c.out;
  std::string runs_field = ",0.8,";
  runs_field.append(std::to_string(runs[0]["range"]["comparable_runs"].get<int>())).append(",");
  EXPECT_NE(c.out.find(runs_field), std::string::npos) << c.out;
}

TEST(RangeCli, PlanDaysEnergyAndCostTakeTheStepTimesRange) {
  const Output r = run("plan --model llama3-8b --system dgx-h100 --gpus 16 --tokens 100B --seq-len 4096 --top 2 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto top = nlohmann::json::parse(r.out)["top"][0];
  const auto& range = top["range"];
  ASSERT_TRUE(range.is_object()) << top.dump();
  const auto [lo, hi] = factors(range, "step_time_s", top["step_time_s"].get<double>());
  EXPECT_LT(lo, hi);
  for (const char* f : {"time_to_train_s", "gpu_hours", "facility_energy_kwh", "cost", "co2_tonnes"}) {
    const auto [flo, fhi] = factors(range, f, top[f].get<double>());
    EXPECT_NEAR(flo, lo, 1e-9) << f;
    EXPECT_NEAR(fhi, hi, 1e-9) << f;
  }
  const Output text = run("plan --model llama3-8b --system dgx-h100 --gpus 16 --tokens 100B --seq-len 4096 --top 2");
  EXPECT_NE(text.out.find("80% range: "), std::string::npos) << text.out;
}

TEST(RangeCli, ServeSimulatesBothEndsOfTheRange) {
  // Offline: every request arrives at once, so the schedule is the same at any engine speed and the
  // makespan scales exactly with the iteration time: throughput's range is the rate range itself.
  const Output r = run("serve --model llama3-8b --system dgx-h100 --gpus 1 --workload offline:count=64,input=512,output=128 "
                       "--format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& range = j["range"];
  ASSERT_TRUE(range.is_object()) << r.out;
  EXPECT_GE(range["comparable_runs"].get<int>(), 20);
  const auto [rlo, rhi] = factors(range, "output_tokens_per_s", j["output_tokens_per_s"].get<double>());
  const auto [qlo, qhi] = factors(range, "requests_per_s", j["requests_per_s"].get<double>());
  EXPECT_NEAR(rlo, qlo, 1e-9);
  EXPECT_NEAR(rhi, qhi, 1e-9);
  EXPECT_LT(rlo, rhi);
  // TPOT is a time: its range is the inverse of the throughput's.
  const auto [tlo, thi] = factors(range, "tpot_p50_s", j["tpot_s"]["p50"].get<double>());
  EXPECT_NEAR(tlo * rhi, 1.0, 1e-6);
  EXPECT_NEAR(thi * rlo, 1.0, 1e-6);
}

TEST(RangeCli, ServePlanJsonCarriesTheGpuRangeInWholeReplicas) {
  const Output r = run("serve-plan --model llama3-8b --systems dgx-h100 --load 20rps --slo ttft_p99=500ms,tpot_p99=50ms "
                       "--workload poisson:input=512,output=64 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["systems"].size(), 1u);
  const auto& p = j["systems"][0];
  ASSERT_TRUE(p["feasible"].get<bool>()) << r.out;
  EXPECT_EQ(p["gpus"].get<int>(), p["replicas"].get<int>() * p["tp"].get<int>() * p["pp"].get<int>());
  const auto& range = p["range"];
  ASSERT_TRUE(range.is_object()) << r.out;
  const int per_replica = p["tp"].get<int>() * p["pp"].get<int>();
  const int lo = range["gpus"][0].get<int>(), hi = range["gpus"][1].get<int>();
  EXPECT_LE(lo, hi);
  EXPECT_EQ(lo % per_replica, 0);
  EXPECT_EQ(hi % per_replica, 0);
}
