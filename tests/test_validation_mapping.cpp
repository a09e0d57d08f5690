// The explicit mapping tables of the training validator (one entry at a time) and an end-to-end
// run of TrainingValidator over a small hand-written CSV.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace fs = std::filesystem;

// ---- system_for_gpu --------------------------------------------------------------------------

TEST(ValidationMapping, SystemForGpu) {
  EXPECT_EQ(ct::system_for_gpu("GB200 (NVL72)"), std::optional<std::string>("gb200-nvl72"));
  EXPECT_EQ(ct::system_for_gpu("H100 SXM 80GB (DGX H100)"), std::optional<std::string>("dgx-h100"));
  EXPECT_EQ(ct::system_for_gpu("A100 SXM4 40GB (1600 Gbps RoCE node-node)"),
            std::optional<std::string>("mosaicml-a100-40gb"));
}

TEST(ValidationMapping, SystemForUnknownGpuIsNullopt) {
  EXPECT_FALSE(ct::system_for_gpu("H200 NVL 141GB (PCIe)").has_value());
  EXPECT_FALSE(ct::system_for_gpu("").has_value());
}

TEST(ValidationMapping, EveryMappedSystemExistsInTheCatalog) {
  const ct::HardwareCatalog hw = ct::HardwareCatalog::load(ct::data_dir() + "/hardware");
  for (const char* gpu : {"GB200 (NVL72)", "H100 SXM 80GB (DGX H100)", "A100 SXM4 40GB (1600 Gbps RoCE node-node)"}) {
    const auto id = ct::system_for_gpu(gpu);
    ASSERT_TRUE(id.has_value()) << gpu;
    EXPECT_TRUE(hw.has_system(*id)) << gpu << " -> " << *id;
  }
}

// ---- precision_for ---------------------------------------------------------------------------

TEST(ValidationMapping, PrecisionFor) {
  using ct::Precision;
  EXPECT_EQ(ct::precision_for("MXFP8"), std::optional<Precision>(Precision::MXFP8));
  EXPECT_EQ(ct::precision_for("FP8-MX"), std::optional<Precision>(Precision::MXFP8));
  EXPECT_EQ(ct::precision_for("NVFP4"), std::optional<Precision>(Precision::NVFP4));
  EXPECT_EQ(ct::precision_for("FP8 blockwise (128x128 weights, 1x128 activations)"),
            std::optional<Precision>(Precision::FP8Block));
  EXPECT_EQ(ct::precision_for("FP8-CS"), std::optional<Precision>(Precision::FP8));
  EXPECT_EQ(ct::precision_for("BF16 (AMP)"), std::optional<Precision>(Precision::BF16));
  EXPECT_EQ(ct::precision_for("16-bit mixed precision"), std::optional<Precision>(Precision::BF16));
}

TEST(ValidationMapping, PrecisionForUnknownIsNullopt) {
  EXPECT_FALSE(ct::precision_for("").has_value());
  EXPECT_FALSE(ct::precision_for("INT4").has_value());
}

// ---- recompute_for ---------------------------------------------------------------------------

TEST(ValidationMapping, RecomputeFor) {
  using ct::Recompute;
  EXPECT_EQ(ct::recompute_for(""), std::optional<Recompute>(Recompute::None));
  EXPECT_EQ(ct::recompute_for("full (activation checkpointing)"), std::optional<Recompute>(Recompute::Full));
  EXPECT_EQ(ct::recompute_for("selective (attention)"), std::optional<Recompute>(Recompute::Selective));
  EXPECT_FALSE(ct::recompute_for("bogus").has_value());
}

// ---- dp_mode_for -----------------------------------------------------------------------------

TEST(ValidationMapping, DpModeFsdpFullShard) {
  const auto m = ct::dp_mode_for("FSDP FULL_SHARD", 2023);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->sharding, ct::DpSharding::Zero3);
  EXPECT_EQ(m->profile, "pytorch-fsdp");
  EXPECT_EQ(m->shard_group, 0);  // shard over all of DP
}

TEST(ValidationMapping, DpModeFsdp2HybridShardGroup) {
  const auto m = ct::dp_mode_for("FSDP (FSDP2) 8", 2025);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->sharding, ct::DpSharding::Zero3);
  EXPECT_EQ(m->shard_group, 8);
}

TEST(ValidationMapping, DpModeDdpIsDistributedOptimizer) {
  const auto m = ct::dp_mode_for("DDP (FSDP=0)", 2025);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->sharding, ct::DpSharding::Zero1);
  EXPECT_EQ(m->profile, "megatron-core");
}

TEST(ValidationMapping, DpModeBlankBeforeFlashAttentionIsMegatron2022) {
  const auto m = ct::dp_mode_for("", 2021);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->profile, "megatron-2022");
}

TEST(ValidationMapping, DpModeDeepSpeedZero1) {
  const auto m = ct::dp_mode_for("ZeRO-1 (DeepSpeed BF16_Optimizer)", 2022);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->sharding, ct::DpSharding::Zero1);
  EXPECT_EQ(m->profile, "deepspeed-megatron");
}

TEST(ValidationMapping, DpModeUnknownIsNullopt) {
  EXPECT_FALSE(ct::dp_mode_for("Some Other Sharding", 2024).has_value());
}

TEST(ValidationMapping, DpModeProfilesExistInTheCatalog) {
  const ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  for (const auto& [col, year] : std::vector<std::pair<std::string, int>>{
           {"FSDP FULL_SHARD", 2023}, {"DDP (FSDP=0)", 2025}, {"", 2021}, {"ZeRO-1 (DeepSpeed BF16_Optimizer)", 2022}}) {
    const auto m = ct::dp_mode_for(col, year);
    ASSERT_TRUE(m.has_value()) << col;
    EXPECT_NO_THROW(cat.profile(m->profile)) << col << " -> " << m->profile;
  }
}

// ---- catalog_model_for -----------------------------------------------------------------------

TEST(ValidationMapping, CatalogModelFor) {
  EXPECT_EQ(ct::catalog_model_for("MPT-7b"), std::optional<std::string>("mpt-7b"));
  EXPECT_EQ(ct::catalog_model_for("Llama-3.1-405B (MLPerf llama31_405b pretrain)"),
            std::optional<std::string>("llama3.1-405b"));
  EXPECT_FALSE(ct::catalog_model_for("Grok-3").has_value());
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
    unknown_gpu["gpu"] = "H200 NVL 141GB (PCIe)";
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
  // All input columns, then the five result columns.
  ASSERT_EQ(t.header.size(), kColumns.size() + 5);
  for (std::size_t i = 0; i < kColumns.size(); ++i) EXPECT_EQ(t.header[i], kColumns[i]);
  EXPECT_EQ(t.header[kColumns.size() + 0], "predicted_value");
  EXPECT_EQ(t.header[kColumns.size() + 1], "status");
  EXPECT_EQ(t.header[kColumns.size() + 2], "reason");
  EXPECT_EQ(t.header[kColumns.size() + 3], "resolution");
  EXPECT_EQ(t.header[kColumns.size() + 4], "assumptions");
  ASSERT_EQ(t.rows.size(), 3u);

  const int status = t.column("status"), predicted = t.column("predicted_value"), reason = t.column("reason");
  EXPECT_EQ(t.rows[0][status], "ok") << t.rows[0][reason];
  EXPECT_EQ(t.rows[1][status], "unsupported");
  EXPECT_EQ(t.rows[2][status], "unsupported");
  EXPECT_FALSE(t.rows[1][reason].empty());
  EXPECT_FALSE(t.rows[2][reason].empty());
  // The input columns come back unchanged (including the quoted note).
  EXPECT_EQ(t.rows[0][t.column("notes")], "a note, with a comma and \"quotes\"");
  EXPECT_EQ(t.rows[1][t.column("gpu")], "H200 NVL 141GB (PCIe)");

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
