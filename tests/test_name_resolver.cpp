// Names as people write them (config/name_resolver.hpp): published spellings of hardware, models,
// precisions and data-parallel modes, each with the catalog entry derived by hand.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/paths.hpp"

namespace {

const ct::HardwareCatalog& hw() {
  static const ct::HardwareCatalog cat = ct::HardwareCatalog::load(ct::data_dir() + "/hardware");
  return cat;
}

const ct::Catalogs& catalogs() {
  static const ct::Catalogs cat = ct::Catalogs::load(ct::data_dir());
  return cat;
}

std::string system_of(const std::string& text) {
  const auto r = ct::resolve_system(text, hw());
  return r ? r->id : "<none>";
}

std::vector<std::string> assumptions_of(const std::string& text) {
  const auto r = ct::resolve_system(text, hw());
  return r ? r->assumptions : std::vector<std::string>{"<none>"};
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

std::string model_of(const std::string& text) {
  const auto id = ct::resolve_model_name(text, catalogs().model_ids(), catalogs().model_aliases);
  return id ? *id : "<none>";
}

}  // namespace

// ---- Hardware -------------------------------------------------------------------------------

// MLPerf Inference submission system names (mlcommons/inference_results_v4.1..v5.1, the
// directories under closed/<submitter>/results/ cited by data/measured/measured_inference.csv).
TEST(NameResolver, MlperfSystemNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GB200-NVL72_GB200-186GB_aarch64x72_TRT", "gb200-nvl72"},
      {"GB300-NVL72_GB300-288GB_aarch64x72_TRT", "gb300-nvl72"},  // 288 GB physical, 279 usable
      {"GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT", "gh200-node"},
      {"HPE_ProLiant_DL380a_H100_NVL_94GBx4_TRT", "h100-nvl-server"},
      {"SR675_V3_8xH100_NVL_TRT", "h100-nvl-server"},
      {"DGX-H100_H100-SXM-80GBx8_TRT", "dgx-h100"},
      {"HGX-H100_H100-SXM-80GBx16_TRT", "dgx-h100"},
      {"XE9680_H100_SXM_80GBx8_TRT", "dgx-h100"},
      {"HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "hgx-h200"},
      {"C845A_H200_NVLx8_TRT", "h200-nvl-server"},
      {"D75E-4U_H200-NVL-141GBx4_TRT", "h200-nvl-server"},
      {"XE7745_H200_NVL_141GBx8_TRT", "h200-nvl-server"},
      {"B200-SXM-180GBx8_TRT", "dgx-b200"},
      {"SR680a_V3_B200SXMx8_TRT", "dgx-b200"},
      {"AS-4126GS-NBR-LCC_B200-SXM-180GBx8_TRT", "dgx-b200"},
      {"ND_GB200_v6", "gb200-nvl72"},
      {"Lenovo_8xH200_TRT", "hgx-h200"},
  };
  for (const auto& [text, id] : cases) EXPECT_EQ(system_of(text), id) << text;
}

// nvidia-smi product names, GKE accelerator types (cloud.google.com/kubernetes-engine/docs/how-to/gpus)
// and NVIDIA product names.
TEST(NameResolver, DriverCloudAndProductNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"NVIDIA A100-SXM4-80GB", "dgx-a100"},
      {"NVIDIA A100-SXM4-40GB", "mosaicml-a100-40gb"},  // name_defaults.yaml: DGX A100 320GB's 1x200G per GPU
      {"NVIDIA H100 80GB HBM3", "dgx-h100"},
      {"NVIDIA H100 NVL", "h100-nvl-server"},
      {"NVIDIA H200", "hgx-h200"},
      {"NVIDIA B200", "dgx-b200"},
      {"NVIDIA GB200", "gb200-nvl72"},
      {"nvidia-a100-80gb", "dgx-a100"},
      {"nvidia-h100-80gb", "dgx-h100"},
      {"nvidia-h100-mega-80gb", "dgx-h100"},
      {"nvidia-h200-141gb", "hgx-h200"},
      {"nvidia-b200", "dgx-b200"},
      {"NVIDIA DGX A100", "dgx-a100"},
      {"NVIDIA DGX H100", "dgx-h100"},
      {"NVIDIA DGX B200", "dgx-b200"},
      {"NVIDIA DGX B300", "dgx-b300"},
      {"NVIDIA GB200 NVL72", "gb200-nvl72"},
      {"NVIDIA GB300 NVL72", "gb300-nvl72"},
      {"HGX H100 8-GPU", "dgx-h100"},
      {"RTX PRO 6000 Blackwell Server Edition", "rtx-pro-6000-server"},
      {"NVIDIA Eos", "dgx-h100"},  // DGX H100 SuperPOD (name_defaults.yaml node_words)
  };
  for (const auto& [text, id] : cases) EXPECT_EQ(system_of(text), id) << text;
}

// AWS, Google Cloud and Azure instance types (their GPU is implied by name_defaults.yaml node_words).
TEST(NameResolver, CloudInstanceTypes) {
  EXPECT_EQ(system_of("p4d.24xlarge"), "aws-p4d");
  EXPECT_EQ(system_of("ml.p4d.24xlarge"), "aws-p4d");
  EXPECT_EQ(system_of("p5.48xlarge"), "dgx-h100");
  EXPECT_EQ(system_of("a2-ultragpu-8g"), "dgx-a100");
  EXPECT_EQ(system_of("a3-megagpu-8g"), "dgx-h100");
  EXPECT_EQ(system_of("a3-ultragpu-8g"), "hgx-h200");
  EXPECT_EQ(system_of("Standard_ND96isr_H100_v5"), "dgx-h100");
  // No EFA system for H100 in the catalog: the InfiniBand node is used and that is said.
  EXPECT_TRUE(any_contains(assumptions_of("p5.48xlarge"), "efa stated")) << assumptions_of("p5.48xlarge")[0];
}

// The spellings of the measured CSVs' gpu columns, as the validators' tables mapped them.
TEST(NameResolver, MeasuredCsvSpellings) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GB200 (NVL72)", "gb200-nvl72"},
      {"GB300 (NVL72)", "gb300-nvl72"},
      {"H100 SXM 80GB (DGX H100)", "dgx-h100"},
      {"H100 SXM 80GB", "dgx-h100"},
      {"H100 SXM 96GB HBM2e @500W (Meta Grand Teton)", "grand-teton-h100"},
      {"H200 SXM 141GB", "hgx-h200"},
      {"H200 SXM 141GB (8/node, 400Gb/s/GPU RDMA)", "hgx-h200"},
      {"H200 SXM 141GB (DGX H200)", "hgx-h200"},
      {"B200 (DGX, 8-GPU HGX)", "dgx-b200"},
      {"B200 (DGX B200)", "dgx-b200"},
      {"B200 SXM 180GB", "dgx-b200"},
      {"B200 180GB (DGX B200)", "dgx-b200"},
      {"B300 (DGX, 8-GPU HGX)", "dgx-b300"},
      {"A100 SXM4 40GB (1600 Gbps RoCE node-node)", "mosaicml-a100-40gb"},
      {"A100 SXM4 80GB (1600 Gbps RoCE node-node)", "mosaicml-a100-80gb"},
      {"A100 SXM4 80GB", "dgx-a100"},
      {"A100 SXM4 80GB (DGX A100, Selene)", "selene-dgx-a100"},
      {"A100 SXM4 80GB (Jean Zay, Omni-Path)", "jean-zay-a100"},
      {"A100 40GB (AWS SageMaker P4d)", "aws-p4d"},
      {"H200 NVL 141GB (PCIe)", "h200-nvl-server"},
      {"H200 NVL 141GB", "h200-nvl-server"},
      {"H100 NVL 94GB", "h100-nvl-server"},
      {"GB200", "gb200-nvl72"},
      {"GB200 192GB (GB200 NVL72)", "gb200-nvl72"},  // 192 GB physical, 186 usable
      {"GB300", "gb300-nvl72"},
      {"GH200 144GB", "gh200-node"},
  };
  for (const auto& [text, id] : cases) EXPECT_EQ(system_of(text), id) << text;
}

TEST(NameResolver, FabricAndNicHintsPickTheCluster) {
  EXPECT_EQ(system_of("A100 80GB, RoCE"), "mosaicml-a100-80gb");
  EXPECT_EQ(system_of("A100 80GB, 4x Omni-Path 100 Gb/s per node"), "jean-zay-a100");
  EXPECT_EQ(system_of("A100 40GB, 400 Gbps EFA"), "aws-p4d");
  EXPECT_EQ(system_of("H100 80GB CoreWeave"), "mosaicml-h100");
  EXPECT_EQ(system_of("8x H100 80GB, 8x400Gb/s InfiniBand NDR"), "dgx-h100");
}

TEST(NameResolver, DefaultsTakenAreListedAsAssumptions) {
  // No SKU: the family default, memory named as assumed.
  const auto a100 = ct::resolve_system("A100 (SKU not stated)", hw());
  ASSERT_TRUE(a100.has_value());
  EXPECT_EQ(a100->id, "dgx-a100");
  EXPECT_TRUE(any_contains(a100->assumptions, "A100 SXM4 80GB (memory not stated)"));
  EXPECT_TRUE(any_contains(a100->assumptions, "node not stated"));
  // A bare memory picks the variant; the node is still assumed.
  EXPECT_EQ(hw().system(system_of("A100 40GB")).gpu.id, "a100-sxm-40gb");
  EXPECT_TRUE(any_contains(assumptions_of("A100 40GB"), "node not stated"));
  EXPECT_FALSE(any_contains(assumptions_of("A100 40GB"), "memory not stated"));
  // Family defaults of the brief.
  EXPECT_EQ(system_of("H100"), "dgx-h100");
  EXPECT_TRUE(any_contains(assumptions_of("H100"), "form factor and memory not stated"));
  EXPECT_EQ(system_of("H200"), "hgx-h200");
  EXPECT_TRUE(any_contains(assumptions_of("H200"), "form factor not stated"));
  EXPECT_EQ(system_of("B200"), "dgx-b200");
  EXPECT_EQ(system_of("GB200"), "gb200-nvl72");
  // Everything stated: nothing assumed.
  EXPECT_TRUE(assumptions_of("A100 SXM4 80GB (DGX A100, Selene)").empty());
  EXPECT_TRUE(assumptions_of("H100 SXM 80GB (DGX H100)").empty());
  EXPECT_TRUE(assumptions_of("GB200 (NVL72)").empty());
  // A power limit the catalog does not model is said.
  EXPECT_TRUE(any_contains(assumptions_of("B200 SXM 180GB @700W"), "700 W stated"));
}

TEST(NameResolver, UnrecognisedOrMissingHardwareIsNullopt) {
  for (const char* text : {"", "AMD Instinct MI300X", "TPU v5p", "NVIDIA L4", "nvidia-tesla-t4",
                           "NVIDIA RTX 6000 Ada Generation", "Intel Gaudi 3", "some cluster"})
    EXPECT_FALSE(ct::resolve_system(text, hw()).has_value()) << text;
  // Recognised family, but what is stated has no catalog entry: no silent substitute.
  for (const char* text : {"NVIDIA H100 PCIe", "H100 PCIe 80GB", "NVIDIA GH200 480GB",
                           "GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT", "NVIDIA H800", "A100 PCIe 40GB"})
    EXPECT_FALSE(ct::resolve_system(text, hw()).has_value()) << text;
}

TEST(NameResolver, NameDefaultsAreConsistentWithTheCatalog) {
  const ct::NameDefaults& d = ct::builtin_name_defaults();
  const std::vector<std::string> gpus = hw().gpu_ids();
  for (const auto& f : d.families) {
    EXPECT_NE(std::find(gpus.begin(), gpus.end(), f.default_gpu), gpus.end()) << f.family;
    EXPECT_FALSE(f.written.empty()) << f.family;
  }
  for (const auto& [gpu, system] : d.default_systems) {
    ASSERT_TRUE(hw().has_system(system)) << gpu << " -> " << system;
    EXPECT_EQ(hw().system(system).gpu.id, gpu) << system;
  }
  // Every GPU that has a system has a default node.
  for (const std::string& s : hw().system_ids()) EXPECT_TRUE(d.default_systems.count(hw().system(s).gpu.id)) << s;
  EXPECT_GT(d.memory_tolerance, 0.0);
  EXPECT_LT(d.memory_tolerance, 0.17);  // below the gap between distinct variants (H100 80 vs 94 GB)
}

// ---- Models ---------------------------------------------------------------------------------

// Hugging Face model ids (huggingface.co/<id>) and names as papers and vendors write them.
TEST(NameResolver, ModelNamesAsPublished) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Llama 3 70B", "llama3-70b"},
      {"Meta-Llama-3.1-405B-Instruct", "llama3.1-405b"},
      {"meta-llama/Llama-2-70b-hf", "llama2-70b"},
      {"meta-llama/Llama-2-7b-hf", "llama2-7b"},
      {"meta-llama/Meta-Llama-3-8B", "llama3-8b"},
      {"meta-llama/Meta-Llama-3-70B-Instruct", "llama3-70b"},
      {"meta-llama/Llama-3.1-8B-Instruct", "llama3.1-8b"},
      {"meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama4-scout-17b-16e"},
      {"meta-llama/Llama-4-Maverick-17B-128E-Instruct", "llama4-maverick-17b-128e"},
      {"GPT-3 175B", "gpt3-175b"},
      {"MPT-7B", "mpt-7b"},
      {"mosaicml/mpt-30b", "mpt-30b"},
      {"Mixtral 8x7B", "mixtral-8x7b"},
      {"mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"},
      {"mistralai/Mixtral-8x22B-Instruct-v0.1", "mixtral-8x22b"},
      {"mistralai/Mistral-7B-v0.1", "mistral-7b"},
      {"Qwen3-30B-A3B", "qwen3-30b-a3b"},
      {"Qwen/Qwen3-235B-A22B", "qwen3-235b-a22b"},
      {"Qwen/Qwen2-7B", "qwen2-7b"},
      {"DeepSeek V3", "deepseek-v3"},
      {"deepseek-ai/DeepSeek-V3-Base", "deepseek-v3"},
      {"moonshotai/Kimi-K2-Instruct", "kimi-k2"},
      {"openai/gpt-oss-120b", "gpt-oss-120b"},
      {"openai/gpt-oss-20b", "gpt-oss-20b"},
      {"tiiuae/falcon-180B", "falcon-180b"},
      {"bigscience/bloom", "bloom-176b"},  // the one BLOOM in the catalog
      {"EleutherAI/gpt-neox-20b", "gpt-neox-20b"},
      {"openai-community/gpt2", "gpt2"},
      {"nvidia/Nemotron-4-340B-Base", "nemotron4-340b"},
      {"llm-jp/llm-jp-3-172b", "llmjp3-172b"},
      {"llm-jp/llm-jp-3-13b", "llmjp3-13b"},
  };
  for (const auto& [text, id] : cases) EXPECT_EQ(model_of(text), id) << text;
}

// The measured CSVs' model column: today's special cases keep their ids.
TEST(NameResolver, ModelSpecialCasesOfTheMeasuredCsv) {
  EXPECT_EQ(model_of("GPT 175B (GPT-3)"), "gpt3-175b");
  EXPECT_EQ(model_of("GPT-3-175B (MLPerf gpt3)"), "gpt3-175b");
  EXPECT_EQ(model_of("GPT-3 175B (Megatron, 131072 vocab => ~177B)"), "gpt3-175b");
  EXPECT_EQ(model_of("GPT 22B"), "gpt-22b");
  EXPECT_EQ(model_of("GPT 530B (MT-NLG)"), "gpt-530b");
  EXPECT_EQ(model_of("GPT 1T"), "gpt-1t");
  EXPECT_EQ(model_of("GPT-3 5B (NeMo)"), "nemo-gpt3-5b");
  EXPECT_EQ(model_of("GPT-3 20B (NeMo)"), "nemo-gpt3-20b");
  EXPECT_EQ(model_of("Llama-2-70B LoRA fine-tune (MLPerf llama2_70b_lora)"), "llama2-70b");
  EXPECT_EQ(model_of("Llama-3.1-405B (MLPerf llama31_405b pretrain)"), "llama3.1-405b");
  EXPECT_EQ(model_of("Llama-4-Scout-17B-16E (LLM only)"), "llama4-scout-17b-16e");
  EXPECT_EQ(model_of("Nemotron-3.5-Lightning-30B-A3B"), "nemotron-3.5-lightning-30b-a3b");
  EXPECT_EQ(model_of("MPT-7b"), "mpt-7b");
  EXPECT_EQ(model_of("LLM (MLPerf gpt3)"), "gpt3-175b");  // the note names the benchmark model
}

TEST(NameResolver, ModelRulesOnAGivenCatalog) {
  const std::vector<std::string> ids = {"gpt3-175b", "gpt-39b", "gpt-3.6b", "megatron-gpt-16b", "gpt-18b",
                                        "llama3.1-70b", "llama3-70b", "mixtral-8x7b", "mixtral-8x22b"};
  const std::map<std::string, std::string> aliases = {{"llama3.3-70b", "llama3.1-70b"}, {"gone", "not-in-catalog"}};
  auto of = [&](const std::string& t) { return ct::resolve_model_name(t, ids, aliases).value_or("<none>"); };
  EXPECT_EQ(of("meta-llama/Llama-3.3-70B-Instruct"), "llama3.1-70b");  // alias, normalised
  EXPECT_EQ(of("GPT 16B (Megatron weak-scaling)"), "megatron-gpt-16b");  // a note naming a namespace
  EXPECT_EQ(of("GPT 18B (Megatron weak-scaling)"), "gpt-18b");           // no megatron-gpt-18b
  EXPECT_EQ(of("GPT-3"), "gpt3-175b");                                   // not gpt-3.6b nor gpt-39b
  EXPECT_EQ(of("Mixtral"), "<none>");                                    // two sizes
  EXPECT_EQ(of("Llama 70B"), "<none>");                                  // two families
  EXPECT_EQ(of("gone"), "<none>");                                       // alias to a missing id
}

TEST(NameResolver, UnknownModelIsNullopt) {
  for (const char* text : {"", "Grok-3", "GPT-4", "gemma-2-9b", "Falcon 7B", "BLOOM-7b1", "Llama 70B"})
    EXPECT_EQ(model_of(text), "<none>") << text;
}

// ---- Precision and recompute ----------------------------------------------------------------

TEST(NameResolver, Precision) {
  using ct::Precision;
  const std::vector<std::pair<std::string, Precision>> cases = {
      {"MXFP8", Precision::MXFP8},
      {"MXFP8 (32x32 blocks)", Precision::MXFP8},
      {"FP8-MX", Precision::MXFP8},
      {"NVFP4", Precision::NVFP4},
      {"FP8 blockwise (128x128 weights, 1x128 activations)", Precision::FP8Block},
      {"FP8-CS", Precision::FP8},
      {"FP8 (torchao float8 linears)+BF16", Precision::FP8},
      {"FP8 float8 rowwise", Precision::FP8},
      {"BF16 (AMP)", Precision::BF16},
      {"16-bit mixed precision", Precision::BF16},
      {"not stated (MFU consistent with BF16 dense peak 989 TF)", Precision::BF16},
      {"amp_bf16", Precision::BF16},  // Composer / llm-foundry precision setting
      {"amp_fp8", Precision::FP8},
      {"bf16-mixed", Precision::BF16},  // Lightning / NeMo trainer.precision
      {"float8", Precision::FP8},       // torchtitan --model.converters float8
      {"fp16", Precision::FP16},
  };
  for (const auto& [text, p] : cases) EXPECT_EQ(ct::resolve_precision(text), std::optional<Precision>(p)) << text;
  for (const char* text : {"", "INT4", "MXFP4", "not stated"}) EXPECT_FALSE(ct::resolve_precision(text).has_value()) << text;
}

TEST(NameResolver, Recompute) {
  using ct::Recompute;
  EXPECT_EQ(ct::resolve_recompute(""), std::optional<Recompute>(Recompute::None));
  EXPECT_EQ(ct::resolve_recompute("none"), std::optional<Recompute>(Recompute::None));
  EXPECT_EQ(ct::resolve_recompute("full (activation checkpointing)"), std::optional<Recompute>(Recompute::Full));
  EXPECT_EQ(ct::resolve_recompute("full (DeepSpeed activation checkpointing)"), std::optional<Recompute>(Recompute::Full));
  EXPECT_EQ(ct::resolve_recompute("activation checkpointing"), std::optional<Recompute>(Recompute::Full));
  EXPECT_EQ(ct::resolve_recompute("selective (attention)"), std::optional<Recompute>(Recompute::Selective));
  EXPECT_EQ(ct::resolve_recompute("selective (per-op)"), std::optional<Recompute>(Recompute::Selective));
  EXPECT_FALSE(ct::resolve_recompute("bogus").has_value());
}

// ---- Data-parallel modes --------------------------------------------------------------------

TEST(NameResolver, DpModes) {
  using ct::DpSharding;
  struct Case {
    std::string text;
    int year;
    DpSharding sharding;
    std::string profile;
    int shard_group;
  };
  const std::vector<Case> cases = {
      {"", 2025, DpSharding::Zero1, "megatron-core", 0},
      {"", 2021, DpSharding::Zero1, "megatron-2022", 0},  // before FlashAttention
      {"DDP (FSDP=0)", 2025, DpSharding::Zero1, "megatron-core", 0},
      {"DDP", 2025, DpSharding::Zero1, "megatron-core", 0},
      {"--use-distributed-optimizer", 2024, DpSharding::Zero1, "megatron-core", 0},
      {"distributed optimizer", 2022, DpSharding::Zero1, "megatron-2022", 0},
      {"FSDP FULL_SHARD", 2023, DpSharding::Zero3, "pytorch-fsdp", 0},
      {"FSDP SHARD_GRAD_OP", 2023, DpSharding::Zero2, "pytorch-fsdp", 0},
      {"NO_SHARD", 2023, DpSharding::None, "pytorch-fsdp", 0},
      {"FSDP (FSDP2) 8", 2025, DpSharding::Zero3, "pytorch-fsdp", 8},
      {"FSDP2", 2025, DpSharding::Zero3, "pytorch-fsdp", 0},
      {"HSDP", 2025, DpSharding::Zero3, "pytorch-fsdp", 0},  // one node of the system: shard_within_node
      {"FSDP", 2025, DpSharding::Zero3, "megatron-core", 0},
      {"FSDP (Megatron-FSDP, value=64)", 2025, DpSharding::Zero3, "megatron-core", 0},
      {"FSDP (MaxText)", 2024, DpSharding::Zero3, "maxtext-fsdp", 0},
      {"ZeRO-1 (DeepSpeed BF16_Optimizer)", 2022, DpSharding::Zero1, "deepspeed-megatron", 0},
      {"ZeRO (with 3D parallelism, Gigatron)", 2022, DpSharding::Zero1, "deepspeed-megatron", 0},
      {"ZeRO-3", 2023, DpSharding::Zero3, "deepspeed-megatron", 0},
      {"DeepSpeed ZeRO stage 3", 2023, DpSharding::Zero3, "deepspeed-megatron", 0},
      {"zero_optimization.stage=2", 2023, DpSharding::Zero2, "deepspeed-megatron", 0},
  };
  for (const auto& c : cases) {
    const auto m = ct::resolve_dp_mode(c.text, c.year);
    ASSERT_TRUE(m.has_value()) << c.text;
    EXPECT_EQ(m->sharding, c.sharding) << c.text;
    EXPECT_EQ(m->profile, c.profile) << c.text;
    EXPECT_EQ(m->shard_group, c.shard_group) << c.text;
    EXPECT_EQ(m->shard_within_node, c.text == "HSDP") << c.text;
    EXPECT_NO_THROW(catalogs().profile(m->profile)) << c.text << " -> " << m->profile;
  }
  for (const char* text : {"Some Other Sharding", "FSDP (FSDP2) 0", "ZeRO-7"})
    EXPECT_FALSE(ct::resolve_dp_mode(text, 2024).has_value()) << text;
}
