// The clustertwin CLI as a user meets it: exit codes (0 ok, 2 bad input), one-line errors on
// stderr, no partial output files after an error, and the JSON / trace outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.hpp"

namespace fs = std::filesystem;

namespace {

using Result = ct::testing::CliResult;
using ct::testing::count_lines;
using ct::testing::shell_quote;
using ct::testing::slurp;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("ct_cli_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result run(const std::vector<std::string>& args) { return ct::testing::run_cli(args, dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  static std::vector<std::string> train(std::vector<std::string> extra) {
    std::vector<std::string> a = {"train"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  fs::path dir_;
};

bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

}  // namespace

TEST_F(Cli, TrainJsonSucceeds) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--global-batch", "64",
                              "--seq-len", "4096", "--format", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"step_time_s\"")) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("step_time_s"));
  EXPECT_GT(j["step_time_s"].get<double>(), 0.0);
  EXPECT_TRUE(j["feasible"].get<bool>());
  // 64 sequences x 4096 tokens per step, whatever the simulator predicts for time.
  EXPECT_DOUBLE_EQ(j["tokens_per_step"].get<double>(), 64.0 * 4096.0);
}

TEST_F(Cli, UnknownModelIsOneLineExit2) {
  const Result r = run(train({"--model", "no-such-model", "--system", "dgx-h100", "--gpus", "8"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "unknown model")) << r.err;
  EXPECT_TRUE(has(r.err, "no-such-model")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(Cli, UnknownSystemExit2NamesIt) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "no-such-system", "--gpus", "8"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "no-such-system")) << r.err;
}

TEST_F(Cli, TpNotDividingGpusExit2) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--tp", "3"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "tp")) << r.err;
}

TEST_F(Cli, NegativeTpExit2) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--tp", "-1"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "tp")) << r.err;
}

TEST_F(Cli, NonNumericTpExit2) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--tp", "abc"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "tp")) << r.err;
}

TEST_F(Cli, ActivationOffloadWithoutHostMemoryOrTooManyLayersExit2) {
  // DGX B200 has no host-memory figures in the catalog; Llama 3 8B has 32 layers on one stage.
  const Result no_host = run(train({"--model", "llama3-8b", "--system", "dgx-b200", "--gpus", "8", "--activation-offload", "4"}));
  EXPECT_EQ(no_host.exit_code, 2);
  EXPECT_EQ(count_lines(no_host.err), 1) << no_host.err;
  EXPECT_TRUE(has(no_host.err, "activation_offload_layers")) << no_host.err;
  EXPECT_TRUE(has(no_host.err, "dgx-b200")) << no_host.err;
  const Result all = run(train({"--model", "llama3-8b", "--system", "gb200-nvl72", "--gpus", "8", "--activation-offload", "32"}));
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_EQ(count_lines(all.err), 1) << all.err;
  EXPECT_TRUE(has(all.err, "32 layers")) << all.err;
  EXPECT_TRUE(all.out.empty()) << all.out;
}

TEST_F(Cli, MissingGpusExit2) {
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "gpus")) << r.err;
}

TEST_F(Cli, MalformedScenarioUnclosedBracketExit2NamesFile) {
  const std::string path = write("bad-bracket.yaml", "model: llama3-8b\nsystem: [dgx-h100\ngpus: 8\n");
  const Result r = run(train({"--scenario", path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "bad-bracket.yaml")) << r.err;
}

TEST_F(Cli, MalformedScenarioBadIndentationExit2NamesFile) {
  const std::string path = write("bad-indent.yaml", "model: llama3-8b\n  system: dgx-h100\n gpus: 8\n");
  const Result r = run(train({"--scenario", path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "bad-indent.yaml")) << r.err;
}

TEST_F(Cli, ValidScenarioRuns) {
  const std::string path = write("ok.yaml", "model: llama3-8b\nsystem: dgx-h100\ngpus: 8\nglobal_batch: 16\nseq_len: 2048\n");
  const Result r = run(train({"--scenario", path, "--format", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["tokens_per_step"].get<double>(), 16.0 * 2048.0);
}

TEST_F(Cli, TraceNotWrittenOnError) {
  const fs::path trace = dir_ / "trace.json";
  const Result r = run(train({"--model", "no-such-model", "--system", "dgx-h100", "--gpus", "8", "--trace",
                              trace.string()}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(trace));
  EXPECT_FALSE(fs::exists(trace.string() + ".tmp"));
}

TEST_F(Cli, ValidateMalformedCasesExit2AndNoOutput) {
  const std::string cases = write("cases.csv", "model,gpu,num_gpus,metric,precision,seq_len,value\n"
                                               "Llama-3-8B,H100 SXM 80GB (DGX H100),8,tokens_per_sec_per_gpu,FP8,8192,1\n"
                                               "Llama-3-8B,H100 SXM 80GB (DGX H100),8,tokens_per_sec_per_gpu,FP8,8192,1,extra\n");
  const fs::path out = dir_ / "out.csv";
  const Result r = run({"validate", "training", "--cases", cases, "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "line 3")) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
}

TEST_F(Cli, ValidateMissingCasesFileExit2) {
  const fs::path out = dir_ / "out.csv";
  const Result r = run({"validate", "training", "--cases", (dir_ / "nope.csv").string(), "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, InfeasibleLayoutIsAResultNotAnError) {
  // Llama 3.1 405B in BF16 needs 2 bytes x 405.9e9 = 812 GB for the weights alone; 8 x 80 GB
  // H100s hold 640 GB in total, so tp=8 on one DGX H100 cannot fit.
  const Result r = run(train({"--model", "llama3.1-405b", "--system", "dgx-h100", "--gpus", "8", "--tp", "8",
                              "--format", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("feasible"));
  EXPECT_FALSE(j["feasible"].get<bool>());
  ASSERT_TRUE(j.contains("infeasible_reason"));
  EXPECT_TRUE(j["infeasible_reason"].is_string());
  EXPECT_FALSE(j["infeasible_reason"].get<std::string>().empty());
}

TEST_F(Cli, TraceIsChromeJsonWithNamedOps) {
  const fs::path trace = dir_ / "t.json";
  const Result r = run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--global-batch", "64",
                              "--seq-len", "4096", "--trace", trace.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(trace));
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(slurp(trace)));
  ASSERT_TRUE(j.contains("traceEvents"));
  ASSERT_TRUE(j["traceEvents"].is_array());
  EXPECT_FALSE(j["traceEvents"].empty());
  std::set<std::string> names;
  for (const auto& e : j["traceEvents"])
    if (e.contains("name") && e["name"].is_string()) names.insert(e["name"].get<std::string>());
  EXPECT_TRUE(names.count("qkv_proj")) << "no qkv_proj event";
  EXPECT_TRUE(names.count("core_attention")) << "no core_attention event";
  // Complete events carry a start and a non-negative duration.
  int complete = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e.value("ph", "") != "X") continue;
    ++complete;
    ASSERT_TRUE(e.contains("ts"));
    ASSERT_TRUE(e.contains("dur"));
    EXPECT_GE(e["dur"].get<double>(), 0.0);
  }
  EXPECT_GT(complete, 0);
}

TEST_F(Cli, UnknownSubcommandOrFlagExit2) {
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run(train({"--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--no-such-flag"})).exit_code, 2);
}

// `list`: what the catalog knows, the same rows in JSON and CSV.
TEST_F(Cli, ListShowsTheCatalogInJsonAndCsv) {
  const Result gpus = run({"list", "gpus", "--format", "json"});
  ASSERT_EQ(gpus.exit_code, 0) << gpus.err;
  const auto j = nlohmann::json::parse(gpus.out);
  bool h100 = false;
  for (const auto& g : j)
    if (g["id"] == "h100-sxm-80gb") {
      h100 = true;
      // NVIDIA H100 SXM datasheet: 989.4 dense BF16 TFLOPS, 80 GB of HBM3.
      EXPECT_NEAR(g["bf16_tflops"].get<double>(), 989.4, 0.5);
      EXPECT_NEAR(g["hbm_gb"].get<double>(), 80, 1e-9);
      EXPECT_EQ(g["generation"], "hopper");
    }
  EXPECT_TRUE(h100) << gpus.out;
  const Result sites = run({"list", "sites", "--format", "csv"});
  ASSERT_EQ(sites.exit_code, 0) << sites.err;
  EXPECT_EQ(sites.out.rfind("id,name,file,jurisdiction,pue,", 0), 0u) << sites.out;
  EXPECT_TRUE(has(sites.out, "example-jp.yaml")) << sites.out;
  // Every kind at once in JSON; a model the twin cannot load yet is a row with its reason.
  const Result all = run({"list", "--format", "json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto a = nlohmann::json::parse(all.out);
  for (const char* kind : {"models", "gpus", "systems", "profiles", "sites"}) EXPECT_GT(a[kind].size(), 0u) << kind;
  for (const auto& m : a["models"])
    EXPECT_TRUE(m["parameters_b"].get<double>() > 0 || m["note"].get<std::string>().rfind("not supported", 0) == 0) << m.dump();
}

TEST_F(Cli, ListRefusesUnknownKindsAndCsvOfEveryKind) {
  const Result bad = run({"list", "tpus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
  const Result csv = run({"list", "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_EQ(count_lines(csv.err), 1) << csv.err;
  EXPECT_TRUE(csv.out.empty()) << csv.out;
}
