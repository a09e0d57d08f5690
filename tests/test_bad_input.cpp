// Issue 14: bad input never gives a confident wrong answer, never hangs, never touches a file it
// does not own. Each test is a reproducer from the issue (or a variant): exit 2 with the file and
// field named in one line, or a correct result.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/number_check.hpp"

namespace fs = std::filesystem;
using ct::testing::CliResult;
using ct::testing::count_lines;

namespace {

const std::string kSource = CLUSTERTWIN_SOURCE_DIR;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("ct_bad_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult run(const std::vector<std::string>& args) { return ct::testing::run_cli(args, dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  // A HuggingFace config.json: Llama 3 8B's with one field replaced.
  std::string llama_config_with(const std::string& key, const nlohmann::json& value) {
    nlohmann::json j = nlohmann::json::parse(ct::testing::slurp(kSource + "/data/models/llama3-8b.json"));
    j[key] = value;
    return write(key + ".json", j.dump());
  }

  // Exit 2 and one line on stderr that contains every one of `names` (file, field, reason).
  static void expect_bad_input(const CliResult& r, const std::vector<std::string>& names) {
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    for (const std::string& n : names) EXPECT_NE(r.err.find(n), std::string::npos) << "'" << n << "' not in: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  fs::path dir_;
};

const std::vector<std::string> kTrain8 = {"train", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8"};
std::vector<std::string> train8(std::initializer_list<std::string> extra) {
  std::vector<std::string> a = kTrain8;
  a.insert(a.end(), extra);
  return a;
}

std::vector<std::string> serve_plan(const std::string& load, const std::string& slo) {
  return {"serve-plan", "--model", "llama3-8b", "--systems", "dgx-h100", "--load", load, "--slo", slo,
          "--workload", "poisson:input=512,output=64"};
}

std::vector<std::string> cluster(std::initializer_list<std::string> extra) {
  std::vector<std::string> a = {"cluster", "--fleet", kSource + "/examples/fleet-jp.yaml"};
  a.insert(a.end(), extra);
  return a;
}

}  // namespace

// ---- 1. safe output ------------------------------------------------------------------------

TEST_F(BadInput, TraceToDevNullLeavesItACharacterDevice) {
  const CliResult r = run(train8({"--trace", "/dev/null"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_FALSE(fs::exists("/dev/null.tmp"));
}

TEST_F(BadInput, FullDiskIsReportedNotIgnored) {
  ASSERT_TRUE(fs::is_character_file("/dev/full")) << "the test needs Linux's /dev/full";
  expect_bad_input(run(train8({"--trace", "/dev/full"})), {"/dev/full", "No space left on device"});
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST_F(BadInput, DirectoryAsOutputIsRefusedAndKept) {
  const fs::path d = dir_ / "out.json";
  fs::create_directories(d / "inside");
  expect_bad_input(run(train8({"--trace", d.string()})), {"out.json", "directory", "refusing"});
  EXPECT_TRUE(fs::is_directory(d / "inside"));
}

TEST_F(BadInput, SymlinkedOutputStaysALinkAndItsTargetIsReplaced) {
  const std::string target = write("real-trace.json", "old");
  const fs::path link = dir_ / "link.json";
  fs::create_symlink("real-trace.json", link);  // relative, as people make them
  const CliResult r = run(train8({"--trace", link.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(nlohmann::json::parse(ct::testing::slurp(target)).contains("traceEvents"));
}

TEST_F(BadInput, FifoWithoutAReaderFailsInsteadOfHanging) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CliResult r = run(train8({"--trace", fifo.string()}));
  expect_bad_input(r, {"pipe"});
  EXPECT_EQ(fs::status(fifo).type(), fs::file_type::fifo);
}

TEST_F(BadInput, ValidateOutputThatIsItsInputIsRefused) {
  const std::string cases = write("measured.csv", "model,system\nllama3-8b,dgx-h100\n");
  fs::create_hard_link(cases, dir_ / "same.csv");  // another name of the same file
  for (const char* kind : {"training", "inference"}) {
    const CliResult r = run({"validate", kind, "--cases", cases, "--out", (dir_ / "same.csv").string()});
    expect_bad_input(r, {"same.csv", "--out", "is also an input"});
  }
  EXPECT_EQ(ct::testing::slurp(cases), "model,system\nllama3-8b,dgx-h100\n");
}

TEST(AtomicFile, RegularFileReplacedWholeKeepingItsMode) {
  const fs::path p = fs::temp_directory_path() / ("ct_atomic_" + std::to_string(::getpid()));
  std::ofstream(p) << "old";
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ct::write_file_atomically(p.string(), "new content");
  EXPECT_EQ(ct::testing::slurp(p), "new content");
  EXPECT_EQ(fs::status(p).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
  fs::remove(p);
}

TEST(AtomicFile, MissingFolderIsAnInputError) {
  EXPECT_THROW(ct::write_file_atomically("/nonexistent-folder-ct/x.json", "x"), ct::InputError);
}

// ---- 2. numbers: one check, no confident nonsense ------------------------------------------

TEST(NumberCheck, FiniteRangeAndWholeWithReasons) {
  EXPECT_EQ(ct::number_problem(std::nan(""), ct::kPositiveReal), "not a finite number");
  EXPECT_EQ(ct::number_problem(INFINITY, ct::kNonNegativeReal), "not a finite number");
  EXPECT_EQ(ct::number_problem(0, ct::kPositiveReal), "must be > 0, got 0");
  EXPECT_EQ(ct::number_problem(0, ct::kPositiveCount), "must be >= 1, got 0");
  EXPECT_EQ(ct::number_problem(2.5, ct::kPositiveCount), "must be a whole number, got 2.5");
  EXPECT_EQ(ct::number_problem(4294967296.0, ct::kPositiveCount), "must be at most 1073741824, got 4294967296");
  EXPECT_EQ(ct::number_problem(1, ct::kFraction), "");
  EXPECT_THROW(ct::check_count(-1, ct::kNonNegativeCount, "f.yaml", "x"), ct::InputError);
  EXPECT_EQ(ct::check_count(7, ct::kNonNegativeCount, "f.yaml", "x"), 7);
  EXPECT_FALSE(ct::parse_number_text("12abc"));
  EXPECT_FALSE(ct::checked_mul(1LL << 40, 1LL << 30));
  EXPECT_EQ(*ct::checked_mul(1LL << 20, 1LL << 20), 1LL << 40);
}

TEST_F(BadInput, TrainNanSharesAndZeroCountsAreErrorsNotDefaults) {
  expect_bad_input(run(train8({"--moe-imbalance", "nan"})), {"--moe-imbalance", "not a finite number"});
  expect_bad_input(run(train8({"--optimizer-offload", "nan"})), {"--optimizer-offload", "not a finite number"});
  expect_bad_input(run(train8({"--global-batch", "0"})), {"--global-batch", ">= 1"});
  expect_bad_input(run(train8({"--nic-gb-s", "0"})), {"--nic-gb-s", "> 0"});
  const CliResult gpus = run({"train", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "0"});
  expect_bad_input(gpus, {"--gpus", ">= 1, got 0"});
  EXPECT_EQ(gpus.err.find("missing"), std::string::npos) << gpus.err;
}

TEST_F(BadInput, ScenarioFileNumbersGoThroughTheSameCheck) {
  const std::string nan = write("nan.yaml", "model: llama3-8b\nsystem: dgx-h100\ngpus: 8\nmoe_imbalance: .nan\n");
  expect_bad_input(run({"train", "--scenario", nan}), {"nan.yaml", "moe_imbalance", "not a finite number"});
  const std::string share = write("share.yaml", "model: llama3-8b\nsystem: dgx-h100\ngpus: 8\noptimizer_offload: 1.5\n");
  expect_bad_input(run({"train", "--scenario", share}), {"share.yaml", "optimizer_offload", "at most 1"});
  const std::string nic = write("nic.yaml", "model: llama3-8b\nsystem: dgx-h100\ngpus: 8\nnic_gb_s: 0\n");
  expect_bad_input(run({"train", "--scenario", nic}), {"nic.yaml", "nic_gb_s", "> 0"});
}

TEST_F(BadInput, ServePlanHugeOrNanLoadAndNonPositiveSlos) {
  expect_bad_input(run(serve_plan("1e12rps", "ttft_p99=500ms,tpot_p99=50ms")), {"load", "at most"});
  expect_bad_input(run(serve_plan("nanrps", "ttft_p99=500ms,tpot_p99=50ms")), {"load", "not a finite number"});
  expect_bad_input(run(serve_plan("10rps", "ttft_p99=0ms,tpot_p99=50ms")), {"slo.ttft_p99", "> 0"});
  expect_bad_input(run(serve_plan("10rps", "ttft_p99=500ms,tpot_p99=-1ms")), {"slo.tpot_p99", "> 0"});
}

TEST_F(BadInput, ServeTraceWithATokenCountBeyondIntIsNamedByLine) {
  const std::string trace = write("reqs.csv", "timestamp,input_tokens,output_tokens\n0,128,16\n0.5,128,2147483648\n");
  const CliResult r = run({"serve", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--workload",
                           "trace:" + trace});
  expect_bad_input(r, {"reqs.csv", "line 3", "output_tokens", "at most"});
}

TEST_F(BadInput, ZeroOrNegativeTuningFlagsAreErrorsNotDefaults) {
  expect_bad_input(run({"serve", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8", "--workload",
                        "offline:count=4,input=64,output=8", "--max-batch", "0"}),
                   {"--max-batch", ">= 1"});
  const std::vector<std::string> plan = {"plan", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8",
                                         "--tokens", "1T"};
  auto with = [&](const std::string& flag, const std::string& v) {
    std::vector<std::string> a = plan;
    a.insert(a.end(), {flag, v});
    return a;
  };
  expect_bad_input(run(with("--threads", "0")), {"--threads", ">= 1"});
  const CliResult top = run(with("--top", "0"));
  expect_bad_input(top, {"--top", ">= 1, got 0"});
  EXPECT_LT(top.err.size(), 120u) << top.err;  // was a 300-digit range
  expect_bad_input(run(with("--global-batch", "0")), {"--global-batch", ">= 1"});
  expect_bad_input(run(cluster({"--jobs", "generate:llm-mix,jobs=5,seed=1", "--backfill-depth", "-1"})),
                   {"--backfill-depth", ">= 0"});
}

TEST_F(BadInput, HuggingFaceSizesAreBoundedWithTheReason) {
  // Were 120 s and 8.4 GB, and std::bad_alloc (exit 1) / a negative exposed time.
  expect_bad_input(run({"train", "--model", llama_config_with("num_hidden_layers", 2147483648LL), "--system", "dgx-h100",
                        "--gpus", "8"}),
                   {"num_hidden_layers.json", "num_hidden_layers", "at most 4096", "every layer is simulated"});
  expect_bad_input(run({"train", "--model", llama_config_with("hidden_size", 99999999999LL), "--system", "dgx-h100",
                        "--gpus", "8"}),
                   {"hidden_size.json", "hidden_size", "at most"});
  expect_bad_input(run({"train", "--model", llama_config_with("vocab_size", 1e300), "--system", "dgx-h100", "--gpus", "8"}),
                   {"vocab_size", "at most"});
}

// ---- 3. bounded work -----------------------------------------------------------------------

TEST_F(BadInput, TenantsGpuCountBeyondAnyFleetIsAnErrorNotAHang) {
  std::string text = ct::testing::slurp(kSource + "/examples/tenants-jp.yaml");
  text.replace(text.find("lending_limit_gpus: 1536"), 24, "lending_limit_gpus: 4294967296");
  const std::string tenants = write("tenants.yaml", text);
  expect_bad_input(run(cluster({"--tenants", tenants, "--policy", "kueue", "--failures", "llama3", "--jobs",
                                "generate:llm-mix,jobs=20,seed=1"})),
                   {"tenants.yaml", "tenants[0].lending_limit_gpus", "at most 16777216"});
}

// ---- 4. nothing silent ---------------------------------------------------------------------

TEST_F(BadInput, WrongTraceFormatGivingNoJobIsAnError) {
  const std::string openb = kSource + "/data/traces/alibaba-gpu-v2023/openb_pod_list_default.csv";
  expect_bad_input(run(cluster({"--jobs", openb, "--jobs-format", "philly"})),
                   {"openb_pod_list_default.csv", "--jobs-format", "philly"});
  const std::string empty = write("empty.csv", "name,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time,scheduled_time\n");
  expect_bad_input(run(cluster({"--jobs", empty, "--jobs-format", "openb"})), {"empty.csv", "no job"});
}

TEST_F(BadInput, ConflictingFlagsAreErrors) {
  const std::string nodes = kSource + "/data/traces/alibaba-gpu-v2023/openb_node_list_gpu_node.csv";
  expect_bad_input(run(cluster({"--openb-nodes", nodes, "--jobs", "generate:llm-mix,jobs=5,seed=1"})),
                   {"--fleet", "--openb-nodes"});
  expect_bad_input(run(cluster({"--policy", "fifo", "--compare-policies", "fifo,backfill", "--jobs",
                                "generate:llm-mix,jobs=5,seed=1"})),
                   {"--policy", "--compare-policies"});
}

TEST_F(BadInput, JurisdictionIsNormalisedOrRejected) {
  const std::string site = ct::testing::slurp(kSource + "/data/sites/example-jp.yaml");
  auto with_jurisdiction = [&](const std::string& j) {
    std::string text = site;
    text.replace(text.find("jurisdiction: JP"), 16, "jurisdiction: " + j);
    return write("site.yaml", text);
  };
  const std::vector<std::string> plan = {"plan", "--model", "llama3-8b", "--system", "dgx-h100", "--gpus", "8",
                                         "--tokens", "1T", "--top", "1", "--format", "json", "--site"};
  for (const char* ok : {"jp", "Japan", " JAPAN "}) {
    std::vector<std::string> a = plan;
    a.push_back(with_jurisdiction(ok));
    EXPECT_EQ(run(a).exit_code, 0) << ok;
  }
  std::vector<std::string> a = plan;
  a.push_back(with_jurisdiction("Atlantis"));
  expect_bad_input(run(a), {"site.yaml", "jurisdiction", "ISO 3166"});
}

// ---- 5. internal errors and misleading messages ---------------------------------------------

TEST_F(BadInput, DirectoryOrScalarAsAYamlFileIsBadInput) {
  fs::create_directories(dir_ / "fleet.yaml");
  expect_bad_input(run({"cluster", "--fleet", (dir_ / "fleet.yaml").string(), "--jobs", "generate:llm-mix,jobs=5,seed=1"}),
                   {"fleet.yaml", "is a directory"});
  const std::string scalar = write("scalar.yaml", "just a string\n");
  expect_bad_input(run({"cluster", "--fleet", scalar, "--jobs", "generate:llm-mix,jobs=5,seed=1"}),
                   {"scalar.yaml", "must be a YAML mapping"});
  expect_bad_input(run(cluster({"--tenants", scalar, "--jobs", "generate:llm-mix,jobs=5,seed=1"})),
                   {"scalar.yaml", "must be a YAML mapping"});
}

TEST_F(BadInput, NonUtf8LabelStillGivesValidJson) {
  const std::string file = write("cmp.yaml", "model: llama3-8b\ngpus: 8\nsystems:\n  - {system: dgx-h100, label: \"h100 \xff\xfe\"}\n");
  const CliResult r = run({"compare", file, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // was: internal error (nlohmann type_error 316), exit 1
  EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
}

TEST_F(BadInput, ReportFolderUnderAFileIsBadInput) {
  const std::string file = write("a-file", "x");
  const CliResult r = run(cluster({"--jobs", "generate:llm-mix,jobs=5,seed=1", "--report", file + "/report"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--report"), std::string::npos) << r.err;
}

// ---- unit level: the stall detector and jurisdiction codes ----------------------------------

#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "test_cluster_helpers.hpp"

// 0.002 failures per GPU-hour on 128 GPUs is a failure every ~4 h; a 30-day job without
// checkpoints restarts from zero each time and never ends. The run stops with the reason; the
// short job's result is kept.
TEST(FleetStall, FailuresThatOutpaceProgressEndTheRunWithTheReason) {
  using namespace ct::cluster;
  using namespace ct::cluster::testing;
  const Fleet f = dgx_fleet(16);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("short", 0, 0, 8, 600), make_job("endless", 0, 0, 128, 30 * 86400.0)};
  SimOptions o;
  o.failures = FailureModel{"harsh", 0.002, {{"node", 1, BlastRadius::node}}, 24 * 3600.0};
  const SimResult r = simulate(f, t, jobs, o);
  ASSERT_FALSE(r.stopped.empty());
  EXPECT_NE(r.stopped.find("failures outpace progress"), std::string::npos) << r.stopped;
  EXPECT_TRUE(r.jobs[0].completed());
  EXPECT_FALSE(r.jobs[1].completed());
  EXPECT_NE(r.jobs[1].rejected.find("simulation stopped"), std::string::npos) << r.jobs[1].rejected;
  ASSERT_FALSE(r.warnings.empty());
}

TEST(FleetStall, AHealthyRunIsNeverCut) {
  using namespace ct::cluster;
  using namespace ct::cluster::testing;
  const std::vector<Job> jobs = {make_job("a", 0, 0, 8, 3600, 600), make_job("b", 0, 10, 64, 7200, 600)};
  SimOptions o;
  o.failures = FailureModel{"llama3-like", 1.9733e-5, {{"node", 1, BlastRadius::node}}, 7200};
  const SimResult r = simulate(dgx_fleet(16), tenants_of({{Tier::general, 0}}), jobs, o);
  EXPECT_TRUE(r.stopped.empty()) << r.stopped;
  EXPECT_TRUE(r.jobs[0].completed() && r.jobs[1].completed());
}

TEST(SiteJurisdiction, CodesAndNamesNormalisedToIsoAlpha2) {
  auto jurisdiction_of = [](const std::string& j) {
    const YAML::Node n = YAML::Load("id: s\njurisdiction: '" + j + "'\npue: 1.2\nelectricity_jpy_per_kwh: 20\n"
                                    "grid_co2_kg_per_kwh: 0.4\nsources: {pue: x, electricity_jpy_per_kwh: x, grid_co2_kg_per_kwh: x}\n");
    return ct::load_site_basics(n, "site.yaml").jurisdiction;
  };
  EXPECT_EQ(jurisdiction_of("jp"), "JP");
  EXPECT_EQ(jurisdiction_of("Japan"), "JP");
  EXPECT_EQ(jurisdiction_of(" JP "), "JP");
  EXPECT_EQ(jurisdiction_of("United States"), "US");
  EXPECT_EQ(jurisdiction_of("de"), "DE");
  EXPECT_EQ(jurisdiction_of("other"), "other");
  EXPECT_THROW(jurisdiction_of("XX"), ct::InputError);
  EXPECT_THROW(jurisdiction_of("Japn"), ct::InputError);
}

TEST_F(BadInput, AnUnknownSystemInACompareFileIsBlamedOnThatFile) {
  const std::string file = write("cmp.yaml", "model: llama3-8b\ngpus: 8\nsystems:\n  - system: dgx-h100\n  - system: no-such-node\n");
  const CliResult r = run({"compare", file});
  expect_bad_input(r, {file, "system", "no-such-node"});
  EXPECT_EQ(r.err.find("systems.yaml:"), std::string::npos) << r.err;
}
