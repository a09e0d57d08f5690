// The training validator's column mapping (through config/name_resolver.hpp) and an end-to-end
// run of TrainingValidator over a small hand-written CSV.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace fs = std::filesystem;

// ---- The validator's columns (config/name_resolver.hpp, tested in test_name_resolver.cpp) ----

// Every spelling of the precision, recompute and fsdp_or_zero columns of
// data/measured/measured_training.csv keeps the mapping the validator's exact-string tables had.
TEST(ValidationMapping, MeasuredColumnsKeepTheirMapping) {
  using ct::Precision;
  const std::vector<std::pair<std::string, Precision>> precisions = {
      {"16-bit mixed precision", Precision::BF16},
      {"BF16", Precision::BF16},
      {"BF16 (AMP)", Precision::BF16},
      {"BF16 (pure)", Precision::BF16},
      {"FP8", Precision::FP8},
      {"FP8 (MLPerf NVIDIA-style recipes; not verified for this submission)", Precision::FP8},
      {"FP8 (NVIDIA config)", Precision::FP8},
      {"FP8 (TransformerEngine AMP)", Precision::FP8},
      {"FP8 (not verified)", Precision::FP8},
      {"FP8 (per-tensor current scaling)", Precision::FP8},
      {"FP8 (per-tensor current scaling); parenthesized alternative-config values in source NOT captured", Precision::FP8},
      {"FP8 (torchao float8 linears)+BF16", Precision::FP8},
      {"FP8 (torchao float8)+BF16", Precision::FP8},
      {"FP8 blockwise (128x128 weights, 1x128 activations)", Precision::FP8Block},
      {"FP8 float8 rowwise", Precision::FP8},
      {"FP8 float8 tensorwise", Precision::FP8},
      {"FP8-CS", Precision::FP8},
      {"FP8-CS (assumed: 25.09 table has no precision column)", Precision::FP8},
      {"FP8-MX", Precision::MXFP8},
      {"MXFP8", Precision::MXFP8},
      {"MXFP8 (32x32 blocks)", Precision::MXFP8},
      {"NVFP4", Precision::NVFP4},
      {"not stated (MFU consistent with BF16 dense peak 989 TF)", Precision::BF16},
  };
  for (const auto& [text, p] : precisions) EXPECT_EQ(ct::resolve_precision(text), std::optional<Precision>(p)) << text;
  EXPECT_FALSE(ct::resolve_precision("").has_value());

  using ct::Recompute;
  const std::vector<std::pair<std::string, Recompute>> recomputes = {
      {"", Recompute::None},
      {"none", Recompute::None},
      {"full", Recompute::Full},
      {"full (DeepSpeed activation checkpointing)", Recompute::Full},
      {"full (activation checkpointing)", Recompute::Full},
      {"full (per paper, activation recomputation used)", Recompute::Full},
      {"selective", Recompute::Selective},
      {"selective (attention)", Recompute::Selective},
      {"selective (op)", Recompute::Selective},
      {"selective (per-op)", Recompute::Selective},
  };
  for (const auto& [text, r] : recomputes) EXPECT_EQ(ct::resolve_recompute(text), std::optional<Recompute>(r)) << text;

  using ct::DpSharding;
  const std::vector<std::tuple<std::string, DpSharding, std::string, int>> modes = {
      {"", DpSharding::Zero1, "megatron-core", 0},
      {"DDP (FSDP=0)", DpSharding::Zero1, "megatron-core", 0},
      {"FSDP", DpSharding::Zero3, "megatron-core", 0},
      {"FSDP (FSDP2) 1", DpSharding::Zero3, "pytorch-fsdp", 1},
      {"FSDP (FSDP2) 128", DpSharding::Zero3, "pytorch-fsdp", 128},
      {"FSDP (FSDP2) 32", DpSharding::Zero3, "pytorch-fsdp", 32},
      {"FSDP (Megatron-FSDP, value=64)", DpSharding::Zero3, "megatron-core", 0},
      {"FSDP (Megatron-FSDP, value=8)", DpSharding::Zero3, "megatron-core", 0},
      {"FSDP FULL_SHARD", DpSharding::Zero3, "pytorch-fsdp", 0},
      {"FSDP SHARD_GRAD_OP", DpSharding::Zero2, "pytorch-fsdp", 0},
      {"ZeRO (with 3D parallelism, Gigatron)", DpSharding::Zero1, "deepspeed-megatron", 0},
      {"ZeRO-1 (DeepSpeed BF16_Optimizer)", DpSharding::Zero1, "deepspeed-megatron", 0},
  };
  for (const auto& [text, sharding, profile, group] : modes) {
    const auto m = ct::resolve_dp_mode(text, 2024);
    ASSERT_TRUE(m.has_value()) << text;
    EXPECT_EQ(m->sharding, sharding) << text;
    EXPECT_EQ(m->profile, profile) << text;
    EXPECT_EQ(m->shard_group, group) << text;
  }
  EXPECT_EQ(ct::resolve_dp_mode("DDP (FSDP=0)", 2021)->profile, "megatron-2022");
}

// ---- End to end ------------------------------------------------------------------------------

namespace {

// The columns of shared/data/measured_training.csv (its header line).
const std::vector<std::string> kColumns = {
    "source", "source_url_or_repo_path", "year", "model", "params_b", "layers", "hidden", "ffn_hidden", "heads",
    "kv_heads", "vocab", "seq_len", "moe_experts", "moe_topk", "gpu", "num_gpus", "tp", "pp", "vp", "cp", "ep", "dp",
    "fsdp_or_zero", "micro_batch", "global_batch", "precision", "recompute", "seq_parallel", "metric", "value", "unit",
    "notes"};

std::vector<std::string> make_row(const std::map<std::string, std::string>& values) {
  std::vector<std::string> row;
  for (const auto& c : kColumns) {
    auto it = values.find(c);
    row.push_back(it == values.end() ? "" : it->second);
  }
  return row;
}

// Llama-3-8B on one DGX H100, tp1 pp1 cp1, mb1 gb128, seq 8192, FP8. The data-parallel mode is
// the one NVIDIA published for this layout (Megatron-FSDP, Megatron-Bridge performance summary).
std::map<std::string, std::string> llama_row(const std::string& value) {
  return {{"source", "hand-written test row"},
          {"year", "2025"},
          {"model", "Llama-3-8B"},
          {"seq_len", "8192"},
          {"gpu", "H100 SXM 80GB (DGX H100)"},
          {"num_gpus", "8"},
          {"tp", "1"},
          {"pp", "1"},
          {"cp", "1"},
          {"fsdp_or_zero", "FSDP (Megatron-FSDP, value=8)"},
          {"micro_batch", "1"},
          {"global_batch", "128"},
          {"precision", "FP8"},
          {"metric", "tokens_per_sec_per_gpu"},
          {"value", value},
          {"unit", "tokens/s/GPU"},
          {"notes", "a note, with a comma and \"quotes\""}};
}

class ValidatorEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ct_validate_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_cases(const std::string& name, const std::vector<std::vector<std::string>>& rows) {
    std::string text = ct::csv_line(kColumns);
    for (const auto& r : rows) text += ct::csv_line(r);
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::vector<std::vector<std::string>> three_rows(const std::string& value) {
    auto unknown_gpu = llama_row(value);
    unknown_gpu["gpu"] = "AMD Instinct MI300X";  // no catalog family
    auto ttt = llama_row(value);
    ttt["metric"] = "time_to_train_min";
    ttt["unit"] = "minutes";
    return {make_row(llama_row(value)), make_row(unknown_gpu), make_row(ttt)};
  }

  fs::path dir_;
};

}  // namespace

TEST_F(ValidatorEndToEnd, WritesStatusesAndIgnoresMeasuredValue) {
  const ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  const ct::TrainingValidator validator(cat);

  const std::string in1 = write_cases("cases1.csv", three_rows("1"));
  const std::string out1 = (dir_ / "out1.csv").string();
  const auto sum = validator.run(in1, out1);
  EXPECT_EQ(sum.ok, 1);
  EXPECT_EQ(sum.unsupported, 2);
  EXPECT_EQ(sum.infeasible, 0);

  const ct::CsvTable t = ct::read_csv_file(out1);
  // All input columns, then the five result columns and the comparable class (four columns).
  ASSERT_EQ(t.header.size(), kColumns.size() + 9);
  for (std::size_t i = 0; i < kColumns.size(); ++i) EXPECT_EQ(t.header[i], kColumns[i]);
  EXPECT_EQ(t.header[kColumns.size() + 0], "predicted_value");
  EXPECT_EQ(t.header[kColumns.size() + 1], "status");
  EXPECT_EQ(t.header[kColumns.size() + 2], "reason");
  EXPECT_EQ(t.header[kColumns.size() + 3], "resolution");
  EXPECT_EQ(t.header[kColumns.size() + 4], "assumptions");
  EXPECT_EQ(t.header[kColumns.size() + 5], "generation");
  EXPECT_EQ(t.header[kColumns.size() + 8], "stack");
  ASSERT_EQ(t.rows.size(), 3u);

  const int status = t.column("status"), predicted = t.column("predicted_value"), reason = t.column("reason");
  EXPECT_EQ(t.rows[0][status], "ok") << t.rows[0][reason];
  EXPECT_EQ(t.rows[1][status], "unsupported");
  EXPECT_EQ(t.rows[2][status], "unsupported");
  EXPECT_FALSE(t.rows[1][reason].empty());
  EXPECT_FALSE(t.rows[2][reason].empty());
  // The input columns come back unchanged (including the quoted note).
  EXPECT_EQ(t.rows[0][t.column("notes")], "a note, with a comma and \"quotes\"");
  EXPECT_EQ(t.rows[1][t.column("gpu")], "AMD Instinct MI300X");

  const double tokens_per_s = std::stod(t.rows[0][predicted]);
  EXPECT_GT(tokens_per_s, 0.0);
  // Physical ceiling: a training token costs at least 6 N FLOPs (N = 8.03e9 for Llama-3-8B) and
  // an H100 does at most 1978.9e12 dense FP8 FLOP/s, so < 1978.9e12 / (6 * 8.03e9) ~ 41,070.
  EXPECT_LT(tokens_per_s, 1978.9e12 / (6 * 8.03e9));

  // The prediction must not read the measured value.
  const std::string in2 = write_cases("cases2.csv", three_rows("99999"));
  const std::string out2 = (dir_ / "out2.csv").string();
  validator.run(in2, out2);
  const ct::CsvTable t2 = ct::read_csv_file(out2);
  ASSERT_EQ(t2.rows.size(), 3u);
  EXPECT_EQ(t2.rows[0][t2.column("value")], "99999");
  EXPECT_EQ(t2.rows[0][t2.column("predicted_value")], t.rows[0][predicted]);
  EXPECT_EQ(t2.rows[0][t2.column("status")], "ok");
}

TEST_F(ValidatorEndToEnd, PredictDoesNotDependOnValueOrNotes) {
  const ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  const ct::TrainingValidator validator(cat);
  ct::CsvTable table;
  table.header = kColumns;
  auto a = llama_row("1");
  auto b = llama_row("99999");
  b["notes"] = "completely different notes";
  b["source"] = "another source";
  table.rows = {make_row(a), make_row(b)};
  table.row_lines = {2, 3};
  const ct::CaseResult ra = validator.predict(table, 0), rb = validator.predict(table, 1);
  EXPECT_EQ(ra.status, "ok") << ra.reason;
  EXPECT_EQ(rb.status, "ok") << rb.reason;
  EXPECT_GT(ra.predicted, 0.0);
  EXPECT_DOUBLE_EQ(ra.predicted, rb.predicted);
}

TEST_F(ValidatorEndToEnd, AnUnknownNameWithItsArchitectureColumnsRunsAsAGenericDecoder) {
  // Llama 3 8B's published shape (HF meta-llama/Meta-Llama-3-8B config.json) under a name no catalog
  // holds: the generic Llama-layout decoder is that model, so the prediction is the catalog model's.
  const ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  auto unknown = llama_row("1");
  unknown["model"] = "Acme-LM-8B";
  for (const auto& [col, v] : std::map<std::string, std::string>{
           {"layers", "32"}, {"hidden", "4096"}, {"ffn_hidden", "14336"}, {"heads", "32"}, {"kv_heads", "8"}, {"vocab", "128256"}})
    unknown[col] = v;
  auto no_arch = unknown;
  no_arch["layers"] = "";
  const std::string in = write_cases("generic.csv", {make_row(llama_row("1")), make_row(unknown), make_row(no_arch)});
  const std::string out = (dir_ / "generic_out.csv").string();
  ct::TrainingValidator(cat).run(in, out);
  const ct::CsvTable t = ct::read_csv_file(out);
  const int status = t.column("status"), predicted = t.column("predicted_value"), assumed = t.column("assumptions");
  ASSERT_EQ(t.rows[1][status], "ok") << t.rows[1][t.column("reason")];
  EXPECT_NEAR(std::stod(t.rows[1][predicted]), std::stod(t.rows[0][predicted]), 1e-3 * std::stod(t.rows[0][predicted]));
  EXPECT_NE(t.rows[1][assumed].find("'Acme-LM-8B' not in the catalog: a generic decoder"), std::string::npos) << t.rows[1][assumed];
  EXPECT_TRUE(t.rows[0][assumed].empty()) << t.rows[0][assumed];
  EXPECT_EQ(t.rows[2][status], "unsupported");
  EXPECT_EQ(t.rows[2][t.column("reason")], "architecture not published");
}

// A release that profiles.yaml describes (a profile with `base` and `stack_versions`) runs with that
// profile: the same row under another release, or none, runs with its stack's profile.
TEST_F(ValidatorEndToEnd, ARunOfADescribedReleaseTakesItsVersionedProfile) {
  ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  const ct::SoftwareProfile& base = cat.profile("megatron-core");
  ct::SoftwareProfile release = base;
  release.name = "megatron-core@26.06.01";
  release.base = "megatron-core";
  release.stack_versions = {"26.06.01"};
  release.step_overhead_s = base.step_overhead_s + 1.0;  // one second more per step: slower
  cat.profiles[release.name] = release;
  EXPECT_EQ(&cat.profile_at("megatron-core", "26.06.01"), &cat.profiles.at(release.name));
  EXPECT_EQ(&cat.profile_at("megatron-core", "26.06"), &cat.profiles.at("megatron-core"));
  EXPECT_EQ(&cat.profile_at("megatron-core", ""), &cat.profiles.at("megatron-core"));

  const ct::TrainingValidator validator(cat);
  ct::CsvTable table;
  table.header = kColumns;
  auto plain = llama_row("1"), described = llama_row("1"), other = llama_row("1");
  described["notes"] = "NeMo container 26.06.01; workload=Pre-Training";
  other["notes"] = "NeMo container 26.06; workload=Pre-Training";
  table.rows = {make_row(plain), make_row(described), make_row(other)};
  table.row_lines = {2, 3, 4};
  const double p = validator.predict(table, 0).predicted, d = validator.predict(table, 1).predicted,
               o = validator.predict(table, 2).predicted;
  EXPECT_GT(p, 0.0);
  EXPECT_LT(d, p) << "one second more per step is fewer tokens per second";
  EXPECT_DOUBLE_EQ(o, p);
  EXPECT_EQ(validator.predict(table, 1).cls.stack, "megatron-core") << "the range class is the stack, not the release";
}

TEST(StackRelease, ReadsTheContainerVersionOfTheNotes) {
  EXPECT_EQ(ct::stack_release("NeMo container 26.06.01; workload=Pre-Training"), "26.06.01");
  EXPECT_EQ(ct::stack_release("Framework 25.04, 8 nodes"), "25.04");
  EXPECT_EQ(ct::stack_release("NeMo 24.07 container"), "24.07");
  EXPECT_EQ(ct::stack_release("no release here 26.06"), "");
}
