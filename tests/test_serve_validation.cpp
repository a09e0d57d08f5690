// Inference validation: the mapping tables entry by entry, and the CSV contract (input columns +
// predicted_value, status, reason; `value` never read).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/serve/inference_cases.hpp"

namespace ct::serve {
namespace {

// The model spellings of measured_inference.csv, through the one name resolver (its GPU spellings
// are in test_name_resolver.cpp).
std::optional<std::string> catalog_model_for_inference(const std::string& model) {
  static const Catalogs cat = Catalogs::load(data_dir());
  return resolve_model_name(model, cat.model_ids(), cat.model_aliases);
}

TEST(ServeValidationTables, ModelStrings) {
  EXPECT_EQ(catalog_model_for_inference("Llama-2-70B-chat (MLPerf llama2-70b, 99% acc)"), "llama2-70b");
  EXPECT_EQ(catalog_model_for_inference("Llama 3.3 70B (nvidia ModelOpt FP4 checkpoint)"), "llama3.1-70b");
  EXPECT_EQ(catalog_model_for_inference("DeepSeek-R1 (MLPerf deepseek-r1)"), "deepseek-v3");
  EXPECT_EQ(catalog_model_for_inference("Qwen3-30B-A3B (nvidia ModelOpt FP4 checkpoint)"), "qwen3-30b-a3b");
  EXPECT_EQ(catalog_model_for_inference("Llama 4 Maverick (nvidia ModelOpt FP8 checkpoint)"), "llama4-maverick-17b-128e");
  EXPECT_EQ(mlperf_benchmark_for("Llama-3.1-405B-Instruct (MLPerf llama3.1-405b)"), "llama3.1-405b");
  EXPECT_FALSE(mlperf_benchmark_for("Llama 3.1 8B (nvidia ModelOpt FP8 checkpoint)"));
}

TEST(ServeValidationTables, Precisions) {
  EXPECT_EQ(inference_precision_for("fp8 (weights dtype per measurements json)", "hopper"), Precision::FP8);
  EXPECT_EQ(inference_precision_for("FP4", "blackwell"), Precision::NVFP4);
  EXPECT_EQ(inference_precision_for("", "hopper"), Precision::FP8);
  EXPECT_EQ(inference_precision_for("", "blackwell"), Precision::NVFP4);
  EXPECT_FALSE(inference_precision_for("int4-awq", "hopper"));
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ServeValidation, WritesInputColumnsAndNeverReadsValue) {
  const Catalogs cat = Catalogs::load(data_dir());
  const ServingCalibration sc = load_serving_calibration(data_dir());
  const ValidationTables tables = load_validation_tables(data_dir());
  const InferenceValidator v(cat, sc, tables);
  const std::string header =
      "source,source_url_or_repo_path,year,model,params_b,gpu,num_gpus,tp,pp,ep,precision,framework,scenario,"
      "input_len,output_len,batch_or_concurrency,metric,value,unit,notes\n";
  const std::string row = "T,x,2025,Llama 3.1 8B (nvidia ModelOpt FP8 checkpoint),8,H100 SXM 80GB (DGX H100),1,1,1,,FP8,"
                          "trt,Offline max-throughput (infinite request rate),128,128,,tokens_per_sec,";
  const auto dir = std::filesystem::temp_directory_path();
  const std::string a = (dir / "ct_serve_val_a.csv").string(), b = (dir / "ct_serve_val_b.csv").string();
  const std::string out_a = a + ".out", out_b = b + ".out";
  std::ofstream(a) << header << row << "1000,u,n\n" << "T,x,2025,Unknown,1,H100 NVL 94GB,1,1,1,,FP8,t,Offline,1,1,,tokens_per_sec,5,u,n\n";
  std::ofstream(b) << header << row << "999999,zz,other notes\n" << "T,x,2025,Unknown,1,H100 NVL 94GB,1,1,1,,FP8,t,Offline,1,1,,tokens_per_sec,7,u,n\n";
  const auto sa = v.run(a, out_a);
  v.run(b, out_b);
  EXPECT_EQ(sa.ok, 1);
  EXPECT_EQ(sa.unsupported, 1);
  const CsvTable ta = parse_csv(slurp(out_a), out_a), tb = parse_csv(slurp(out_b), out_b);
  ASSERT_EQ(ta.header.back(), "stack");  // the comparable class's four columns close the row
  ASSERT_EQ(ta.header[ta.header.size() - 5], "assumptions");
  ASSERT_EQ(ta.header[ta.header.size() - 7], "reason");
  EXPECT_EQ(ta.rows[0][ta.column("stack")], "offline");
  const int pred = ta.column("predicted_value"), status = ta.column("status");
  EXPECT_EQ(ta.rows[0][status], "ok");
  EXPECT_EQ(ta.rows[0][pred], tb.rows[0][pred]);  // value, unit and notes changed; prediction did not
  EXPECT_GT(std::stod(ta.rows[0][pred]), 0);
  EXPECT_EQ(ta.rows[1][status], "unsupported");
  EXPECT_EQ(ta.rows[1][ta.column("value")], "5");  // input columns written back
}

}  // namespace
}  // namespace ct::serve
