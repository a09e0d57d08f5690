// The data directory and user overlays: a user's folder replaces or adds catalog entries by id
// without editing the shipped files, a system can come from a file, and errors name the real files.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace fs = std::filesystem;
using namespace ct;

namespace {

// One entry of a shipped catalog list (e.g. gpus in hardware/gpus.yaml), to edit and write elsewhere.
YAML::Node catalog_entry(const std::string& file, const char* list, const std::string& id) {
  for (YAML::Node n : YAML::LoadFile(data_dir() + "/" + file)[list])
    if (n["id"].as<std::string>() == id) return YAML::Clone(n);
  ADD_FAILURE() << id << " not in " << file;
  return {};
}

std::string as_list(const char* list, const YAML::Node& entry) {
  YAML::Node root;
  root[list].push_back(entry);
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("clustertwin-overlay-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  TempDir() { fs::create_directories(path / "hardware"); }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const { std::ofstream(path / rel) << text; }
};

TrainRequest llama8b_on_one_node() {
  TrainRequest r;
  r.model = "llama3-8b", r.system = "dgx-h100", r.gpus = 8, r.global_batch = 16, r.seq_len = 4096;
  return r;
}

TrainResult step(const Catalogs& cat, const TrainRequest& r) {
  return simulate_training_step(make_scenario(r, cat, "test"), cat.calibration, {.keep_timeline = false});
}

}  // namespace

TEST(DataDirs, OverlayGpuReplacesTheShippedOneAndTheStepFollows) {
  // Twice the tensor peaks and HBM bandwidth of an H100: GEMMs and memory-bound kernels take half as long,
  // so the compute part of the step halves, less the fixed launch and host costs that do not scale.
  YAML::Node h100 = catalog_entry("hardware/gpus.yaml", "gpus", "h100-sxm-80gb");
  for (auto kv : h100["peak_dense_tflops"]) h100["peak_dense_tflops"][kv.first] = 2 * kv.second.as<double>();
  h100["hbm_bandwidth_tb_s"] = 2 * h100["hbm_bandwidth_tb_s"].as<double>();
  TempDir user;
  user.write("hardware/gpus.yaml", as_list("gpus", h100));

  const Catalogs shipped = Catalogs::load(data_dir(), {});
  const Catalogs overlaid = Catalogs::load(data_dir(), {user.path.string()});
  EXPECT_DOUBLE_EQ(overlaid.hardware.gpu("h100-sxm-80gb").hbm_bytes_per_s, 2 * shipped.hardware.gpu("h100-sxm-80gb").hbm_bytes_per_s);
  EXPECT_EQ(overlaid.system("dgx-h100").gpu.hbm_bytes_per_s, overlaid.hardware.gpu("h100-sxm-80gb").hbm_bytes_per_s);
  const TrainResult before = step(shipped, llama8b_on_one_node());
  const TrainResult after = step(overlaid, llama8b_on_one_node());
  const double ratio = after.breakdown.compute_s / before.breakdown.compute_s;
  EXPECT_GE(ratio, 0.5);
  EXPECT_LE(ratio, 0.56);
  EXPECT_LT(after.step_time_s, before.step_time_s);
  // Every other GPU is the shipped one.
  EXPECT_EQ(overlaid.hardware.gpu("b200").hbm_bytes_per_s, shipped.hardware.gpu("b200").hbm_bytes_per_s);
}

TEST(DataDirs, OverlayAddsASystemThatUsesAShippedGpuAndFabric) {
  TempDir user;
  YAML::Node node = catalog_entry("hardware/systems.yaml", "systems", "dgx-h100");
  node["id"] = "my-h100-pod";
  node["nic_gb_s"] = 25;  // half the NIC rate of a DGX H100
  user.write("hardware/systems.yaml", as_list("systems", node));
  const Catalogs cat = Catalogs::load(data_dir(), {user.path.string()});
  EXPECT_DOUBLE_EQ(cat.system("my-h100-pod").nic_bytes_per_s, 0.5 * cat.system("dgx-h100").nic_bytes_per_s);
  EXPECT_EQ(cat.system("my-h100-pod").gpu.id, "h100-sxm-80gb");
}

TEST(DataDirs, SystemFromAUsersFile) {
  TempDir user;
  YAML::Node node = catalog_entry("hardware/systems.yaml", "systems", "gb200-nvl72");
  node["id"] = "my-nvl36";
  node["nvlink_domain_gpus"] = 36;
  const std::string file = (user.path / "my-cluster.yaml").string();
  user.write("my-cluster.yaml", as_list("systems", node));
  const Catalogs cat = Catalogs::load(data_dir(), {});
  const SystemSpec s = cat.system(file);
  EXPECT_EQ(s.id, "my-nvl36");
  EXPECT_EQ(s.nvlink_domain_gpus, 36);
  EXPECT_FALSE(cat.hardware.has_system("my-nvl36"));  // the catalog itself is untouched
}

TEST(DataDirs, ErrorsNameTheFileReallyRead) {
  TempDir user;
  user.write("bad.yaml", "systems:\n  - id: x\n    gpu: no-such-gpu\n    fabric: ib-hdr-fat-tree\n");
  const Catalogs cat = Catalogs::load(data_dir(), {});
  try {
    cat.system((user.path / "bad.yaml").string());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find((user.path / "bad.yaml").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-gpu"), std::string::npos) << e.what();
  }
  try {
    cat.system("no-such-system");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(data_dir() + "/hardware/systems.yaml"), std::string::npos) << e.what();
  }
}

TEST(DataDirs, DataFlagMustNameADataDirectory) {
  set_data_dir("/nonexistent-clustertwin-data");
  EXPECT_THROW(data_dir(), InputError);
  set_data_dir("");
  EXPECT_TRUE(fs::exists(data_dir() + "/hardware/systems.yaml"));
  EXPECT_TRUE(fs::path(data_dir()).is_absolute());
}

TEST(DataDirs, CommandsReadNamesAsPeopleWriteThem) {
  const Catalogs cat = Catalogs::load(data_dir(), {});
  std::vector<std::string> assumed;
  EXPECT_EQ(cat.system("H100 SXM5 80GB (DGX H100, 8x400Gb/s IB)", &assumed).id, "dgx-h100");
  EXPECT_EQ(cat.model("Meta-Llama-3-70B", &assumed).layers, cat.model("llama3-70b").layers);
  ASSERT_EQ(assumed.size(), 2u);
  EXPECT_EQ(assumed[0], "system 'H100 SXM5 80GB (DGX H100, 8x400Gb/s IB)' read as dgx-h100");
  EXPECT_EQ(assumed[1], "model 'Meta-Llama-3-70B' read as llama3-70b");
  assumed.clear();
  EXPECT_EQ(cat.system("dgx-h100", &assumed).id, "dgx-h100");
  EXPECT_TRUE(assumed.empty());  // a catalog id is not an assumption
  EXPECT_THROW(cat.system("AMD Instinct MI300X"), InputError);
}
