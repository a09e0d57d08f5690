// The hardware catalog (data/hardware/*.yaml): it loads, every GPU figure cites a source, the
// GPUs and systems the simulator is validated on exist, and the headline figures match the
// vendors' published data sheets.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clustertwin/config/calibration_loader.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/hw/catalog.hpp"
#include "clustertwin/hw/granularity.hpp"

namespace {

const ct::HardwareCatalog& catalog() {
  static const ct::HardwareCatalog cat = ct::HardwareCatalog::load(ct::data_dir() + "/hardware");
  return cat;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  for (const auto& s : v)
    if (s == x) return true;
  return false;
}

}  // namespace

TEST(HardwareCatalog, Loads) {
  ASSERT_NO_THROW(catalog());
  EXPECT_FALSE(catalog().gpu_ids().empty());
  EXPECT_FALSE(catalog().system_ids().empty());
}

TEST(HardwareCatalog, EveryGpuFieldCitesASource) {
  const auto& missing = catalog().gpu_fields_without_source();
  // One entry per GPU, each with an empty list of unsourced fields.
  EXPECT_EQ(missing.size(), catalog().gpu_ids().size());
  for (const auto& id : catalog().gpu_ids()) {
    auto it = missing.find(id);
    ASSERT_NE(it, missing.end()) << "no source bookkeeping for GPU " << id;
    std::string fields;
    for (const auto& f : it->second) fields += f + " ";
    EXPECT_TRUE(it->second.empty()) << "GPU " << id << " has fields without a source: " << fields;
  }
}

TEST(HardwareCatalog, RequiredGpusExist) {
  const auto ids = catalog().gpu_ids();
  for (const char* id : {"a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm-80gb", "h800-sxm-80gb", "h200-sxm-141gb", "b200",
                         "b300", "gb200", "gb300"}) {
    EXPECT_TRUE(contains(ids, id)) << "missing GPU " << id;
    EXPECT_NO_THROW(catalog().gpu(id)) << id;
    EXPECT_EQ(catalog().gpu(id).id, id);
  }
}

TEST(HardwareCatalog, RequiredSystemsExist) {
  const auto ids = catalog().system_ids();
  for (const char* id : {"dgx-a100", "dgx-h100", "dgx-b200", "dgx-b300", "gb200-nvl72", "gb300-nvl72"}) {
    EXPECT_TRUE(contains(ids, id)) << "missing system " << id;
    EXPECT_TRUE(catalog().has_system(id)) << id;
    EXPECT_EQ(catalog().system(id).id, id);
  }
}

TEST(HardwareCatalog, H100DenseBf16PeakMatchesDataSheet) {
  // NVIDIA H100 SXM data sheet: 1,979 TFLOPS BF16 *with sparsity*; dense is half: 989.4 TFLOPS.
  const double published = 989.4e12;
  const double peak = catalog().gpu("h100-sxm-80gb").peak(ct::PeakFormat::BF16);
  EXPECT_NEAR(peak, published, 0.01 * published);
}

TEST(HardwareCatalog, Fp8IsTwiceBf16OnHopperAndBlackwell) {
  // FP8 tensor cores run at twice the BF16 rate on every Hopper and Blackwell part.
  for (const char* id : {"h100-sxm-80gb", "h800-sxm-80gb", "h200-sxm-141gb", "b200", "b300", "gb200", "gb300"}) {
    const auto& g = catalog().gpu(id);
    const double bf16 = g.peak(ct::PeakFormat::BF16);
    ASSERT_GT(bf16, 0) << id;
    EXPECT_NEAR(g.peak(ct::PeakFormat::FP8), 2.0 * bf16, 0.01 * bf16) << id;
  }
}

TEST(HardwareCatalog, AmpereHasNoFp8) {
  // A100 has no FP8 tensor-core path (introduced with Hopper); BF16 dense is 312 TFLOPS.
  for (const char* id : {"a100-sxm-40gb", "a100-sxm-80gb"}) {
    const auto& g = catalog().gpu(id);
    EXPECT_EQ(g.peak(ct::PeakFormat::FP8), 0.0) << id;
    EXPECT_NEAR(g.peak(ct::PeakFormat::BF16), 312e12, 0.01 * 312e12) << id;
  }
}

TEST(HardwareCatalog, NvlinkDomains) {
  // GB200 NVL72: 72 GPUs in one NVLink domain; DGX H100: 8 GPUs behind NVSwitch.
  EXPECT_EQ(catalog().system("gb200-nvl72").nvlink_domain_gpus, 72);
  EXPECT_EQ(catalog().system("gb300-nvl72").nvlink_domain_gpus, 72);
  EXPECT_EQ(catalog().system("dgx-h100").nvlink_domain_gpus, 8);
  EXPECT_EQ(catalog().system("dgx-h100").gpus_per_node, 8);
}

TEST(HardwareCatalog, H100MemoryMatchesDataSheet) {
  // H100 SXM: 80 GB HBM3 at 3.35 TB/s (decimal units).
  const auto& g = catalog().gpu("h100-sxm-80gb");
  EXPECT_NEAR(g.hbm_bytes, 80e9, 1e6);
  EXPECT_NEAR(g.hbm_bytes_per_s, 3.35e12, 1e9);
}

TEST(HardwareCatalog, SystemGpuIsTheCatalogGpu) {
  EXPECT_EQ(catalog().system("dgx-h100").gpu.id, "h100-sxm-80gb");
  EXPECT_EQ(catalog().system("gb200-nvl72").gpu.id, "gb200");
}

TEST(HardwareCatalog, EverySystemHasPositiveBf16Peak) {
  for (const auto& id : catalog().system_ids()) {
    const auto& s = catalog().system(id);
    EXPECT_GT(s.gpu.peak(ct::PeakFormat::BF16), 0.0) << id;
    EXPECT_GT(s.gpu.hbm_bytes, 0.0) << id;
    EXPECT_GT(s.gpus_per_node, 0) << id;
  }
}

TEST(HardwareCatalog, UnknownSystemThrowsInputErrorNamingId) {
  try {
    catalog().system("no-such-system-xyz");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-system-xyz"), std::string::npos) << e.what();
  }
}

TEST(HardwareCatalog, UnknownGpuThrowsInputError) {
  EXPECT_THROW(catalog().gpu("no-such-gpu"), ct::InputError);
}

namespace fs = std::filesystem;

// A profile with `base` takes every field it does not give from the profile it refines.
TEST(Profiles, AStackVersionRefinesItsBase) {
  const fs::path dir = fs::temp_directory_path() / ("ct-profiles-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "profiles.yaml").string();
  const std::string base_yaml =
      "profiles:\n"
      "  - name: stack\n    attention: native\n    tp_comm_overlap: 0.5\n    elementwise_passes: 3\n"
      "    fp8_cast_passes: 1\n    grad_reduce_bytes: 2\n    dp_bucket_params: 40000000\n    step_overhead_ms: 0\n"
      "    microbatch_overhead_ms: 0.02\n    host_kernel_us: 28\n    weight_bytes_per_param: 2\n"
      "    master_bytes_per_param: 4\n    grad_bytes_per_param: 2\n    optimizer_state_bytes_per_param: 8\n"
      "    logits_bytes_per_element: 4\n";
  std::ofstream(path) << base_yaml << "  - name: stack@26.06\n    base: stack\n    stack_versions: [\"26.06\"]\n"
                      << "    host_kernel_us: 14\n";
  const auto profiles = ct::load_profiles(path);
  const ct::SoftwareProfile &b = profiles.at("stack"), &v = profiles.at("stack@26.06");
  EXPECT_DOUBLE_EQ(v.host_kernel_s, 14e-6);
  EXPECT_DOUBLE_EQ(b.host_kernel_s, 28e-6);
  EXPECT_DOUBLE_EQ(v.tp_comm_overlap, 0.5);
  EXPECT_DOUBLE_EQ(v.microbatch_overhead_s, 0.02e-3);
  EXPECT_EQ(v.base, "stack");
  EXPECT_EQ(v.stack(), "stack");
  ASSERT_EQ(v.stack_versions.size(), 1u);
  EXPECT_EQ(v.stack_versions[0], "26.06");
  // A base that is not defined above: a clear error naming the field.
  std::ofstream(path) << base_yaml << "  - name: orphan\n    base: nowhere\n";
  try {
    ct::load_profiles(path);
    ADD_FAILURE() << "expected an error";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("profiles(orphan).base"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// Whole units: 2,048 GPUs on GB200 NVL72 are 2048 / 72 = 28.44 racks (28 x 72 = 2016, 29 x 72 = 2088).
TEST(Granularity, PartRacksAndPartNodesAreNamed) {
  const ct::HardwareCatalog hw = ct::HardwareCatalog::load(ct::data_dir() + "/hardware");
  const ct::SystemSpec& nvl72 = hw.system("gb200-nvl72");
  EXPECT_EQ(ct::system_unit_gpus(nvl72), 72);
  const std::string note = ct::granularity_note(nvl72, 2048);
  EXPECT_NE(note.find("28.4 NVLink racks of 72"), std::string::npos) << note;
  EXPECT_NE(note.find("2016 or 2088"), std::string::npos) << note;
  EXPECT_EQ(ct::granularity_note(nvl72, 2016), "");
  const ct::SystemSpec& dgx = hw.system("dgx-h100");
  EXPECT_EQ(ct::system_unit_gpus(dgx), 8);
  EXPECT_EQ(ct::granularity_note(dgx, 1024), "");
  EXPECT_NE(ct::granularity_note(dgx, 12).find("1.5 nodes of 8"), std::string::npos);
  EXPECT_EQ(ct::granularity_note(dgx, 4), "") << "part of one node is a small job, not a purchase";
}
