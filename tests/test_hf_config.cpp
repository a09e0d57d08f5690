// Reading HuggingFace config.json files and counting parameters: catalog models against their
// published parameter totals, hand-built configs against hand-written formulas, and the errors a
// bad config must raise.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/model/hf_config.hpp"
#include "clustertwin/model/model_spec.hpp"
#include "clustertwin/model/params.hpp"

namespace {

std::string models_dir() { return ct::data_dir() + "/models"; }

double catalog_params(const std::string& id) { return ct::total_params(ct::load_model(id, models_dir())); }

void expect_within(double actual, double expected, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * expected) << what << ": got " << actual << ", published " << expected;
}

}  // namespace

// ---- Catalog models against published totals -------------------------------------------------

TEST(HfConfigCatalog, Llama2_7B) {
  // Meta: "Llama 2 7B", 6.74B parameters (HF meta-llama/Llama-2-7b-hf).
  expect_within(catalog_params("llama2-7b"), 6.74e9, 0.01, "llama2-7b");
}

TEST(HfConfigCatalog, Llama2_7B_ExactHandCount) {
  // Llama-2-7B: h=4096, L=32, ffn=11008, MHA (32 kv heads), vocab 32000, untied, RMSNorm.
  // Per layer: Q,K,V,O = 4 h^2; SwiGLU = 3 h ffn; two RMSNorm weights = 2 h.
  const std::int64_t h = 4096, L = 32, f = 11008, V = 32000;
  const std::int64_t per_layer = 4 * h * h + 3 * h * f + 2 * h;
  const std::int64_t total = L * per_layer + V * h /*embed*/ + V * h /*lm head*/ + h /*final norm*/;
  EXPECT_EQ(total, 6738415616LL);  // the published count, as a check of the hand formula itself
  EXPECT_DOUBLE_EQ(catalog_params("llama2-7b"), static_cast<double>(total));
}

TEST(HfConfigCatalog, Llama3_70B) {
  // Meta Llama 3 70B: 70.6B parameters (HF model card, 70,553,706,496).
  expect_within(catalog_params("llama3-70b"), 70.6e9, 0.01, "llama3-70b");
}

TEST(HfConfigCatalog, Llama31_405B) {
  // Llama 3 paper / HF model card: 405.9B parameters (405,853,388,800).
  expect_within(catalog_params("llama3.1-405b"), 405.9e9, 0.01, "llama3.1-405b");
}

TEST(HfConfigCatalog, Gpt3_175B) {
  // Brown et al. 2020, Table 2.1: "GPT-3 175B".
  expect_within(catalog_params("gpt3-175b"), 175e9, 0.02, "gpt3-175b");
}

TEST(HfConfigCatalog, Mpt7B) {
  // MosaicML MPT-7B: "6.7B parameters".
  expect_within(catalog_params("mpt-7b"), 6.7e9, 0.03, "mpt-7b");
}

TEST(HfConfigCatalog, Bloom176B) {
  // BigScience BLOOM: 176,247,271,424 parameters (arXiv:2211.05100; HF model card "176B").
  expect_within(catalog_params("bloom-176b"), 176.2e9, 0.01, "bloom-176b");
}

TEST(HfConfigCatalog, Gpt2SmallExactCount) {
  // A LayerNorm with bias (GPT-2, BLOOM, MPT, GPT-NeoX) has weight AND bias = 2 * hidden, the final
  // one included (params.cpp norm_params).
  // Hand count (GPT-2 124M, HF openai-community/gpt2: sum(p.numel()) = 124,439,808):
  //   per layer: attn 4h^2+4h, MLP 8h^2+5h, two LayerNorms 4h  -> 12h^2 + 13h
  //   + token embedding V h + position table P h + final LayerNorm 2h (tied LM head).
  const std::int64_t h = 768, L = 12, V = 50257, P = 1024;
  const std::int64_t total = L * (12 * h * h + 13 * h) + V * h + P * h + 2 * h;
  ASSERT_EQ(total, 124439808LL);
  const double got = catalog_params("gpt2");
  EXPECT_DOUBLE_EQ(got, static_cast<double>(total));
}

// ---- Hand-built configs ----------------------------------------------------------------------

TEST(HfConfigParse, SmallLlamaMatchesHandFormula) {
  const std::string text = R"({
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "vocab_size": 100,
    "max_position_embeddings": 256,
    "hidden_act": "silu",
    "tie_word_embeddings": false
  })";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "tiny-llama.json");
  EXPECT_EQ(m.layers, 2);
  EXPECT_EQ(m.hidden, 64);
  EXPECT_EQ(m.heads, 4);
  EXPECT_EQ(m.kv_heads, 2);
  EXPECT_EQ(m.head_dim, 16);  // 64 / 4
  EXPECT_EQ(m.ffn_hidden, 128);
  EXPECT_EQ(m.vocab, 100);
  EXPECT_EQ(m.mlp, ct::MlpKind::SwiGlu);
  EXPECT_EQ(m.norm, ct::NormKind::RmsNorm);
  EXPECT_EQ(m.position, ct::PositionKind::Rope);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_FALSE(m.bias);

  // Hand count:
  //   head_dim = 16, q_dim = 4*16 = 64, kv_dim = 2*16 = 32
  //   attention: Wq 64x64 = 4096, Wk 64x32 = 2048, Wv 64x32 = 2048, Wo 64x64 = 4096 -> 12288
  //   SwiGLU MLP: gate 64x128 + up 64x128 + down 128x64 = 3 * 8192 = 24576
  //   two RMSNorm weights: 2 * 64 = 128
  //   per layer = 12288 + 24576 + 128 = 36992; 2 layers = 73984
  //   embedding 100*64 = 6400, LM head (untied) 6400, final norm 64
  //   total = 73984 + 6400 + 6400 + 64 = 86848
  const double per_layer = 12288 + 24576 + 128;
  EXPECT_DOUBLE_EQ(ct::attention_params(m), 12288.0);
  EXPECT_DOUBLE_EQ(ct::mlp_params(m), 24576.0);
  EXPECT_DOUBLE_EQ(ct::layer_params(m), per_layer);
  EXPECT_DOUBLE_EQ(ct::embedding_params(m), 6400.0);
  EXPECT_DOUBLE_EQ(ct::lm_head_params(m), 6400.0);
  EXPECT_DOUBLE_EQ(ct::total_params(m), 86848.0);
}

TEST(HfConfigParse, TiedEmbeddingsDropTheLmHead) {
  const std::string text = R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100,
    "tie_word_embeddings": true})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "tied.json");
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_DOUBLE_EQ(ct::lm_head_params(m), 0.0);
  EXPECT_DOUBLE_EQ(ct::total_params(m), 86848.0 - 6400.0);  // the untied total above less V*h
}

TEST(HfConfigParse, KvHeadsDefaultToHeads) {
  const std::string text = R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1,
    "num_attention_heads": 8, "intermediate_size": 128, "vocab_size": 10})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "mha.json");
  EXPECT_EQ(m.kv_heads, 8);
  EXPECT_EQ(m.head_dim, 8);
}

TEST(HfConfigParse, MinimalGpt2) {
  const std::string text = R"({"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4,
    "vocab_size": 1000, "n_positions": 128})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "gpt2-mini.json");
  EXPECT_EQ(m.hidden, 64);
  EXPECT_EQ(m.layers, 3);
  EXPECT_EQ(m.heads, 4);
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_EQ(m.vocab, 1000);
  EXPECT_EQ(m.max_seq, 128);
  EXPECT_EQ(m.mlp, ct::MlpKind::Gelu);
  EXPECT_EQ(m.ffn_hidden, 4 * 64);  // GPT-2 default n_inner = 4 * n_embd
  EXPECT_EQ(m.position, ct::PositionKind::Learned);
  EXPECT_EQ(m.norm, ct::NormKind::LayerNorm);
  EXPECT_TRUE(m.bias);
  EXPECT_TRUE(m.tied_embeddings);  // GPT-2 ties the LM head by default
  // Learned position table is part of the embedding: V h + P h = 1000*64 + 128*64 = 72192.
  EXPECT_DOUBLE_EQ(ct::embedding_params(m), 72192.0);
  // GELU MLP with biases: up 64x256 + 256, down 256x64 + 64 = 16384 + 256 + 16384 + 64 = 33088.
  EXPECT_DOUBLE_EQ(ct::mlp_params(m), 33088.0);
  // Attention with biases: 4 * 64*64 + 4 * 64 = 16640.
  EXPECT_DOUBLE_EQ(ct::attention_params(m), 16640.0);
}

TEST(HfConfigParse, Mistral) {
  const std::string text = R"({"model_type": "mistral", "hidden_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 448, "vocab_size": 320,
    "max_position_embeddings": 1024, "sliding_window": 256, "hidden_act": "silu"})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "mistral.json");
  EXPECT_EQ(m.hidden, 128);
  EXPECT_EQ(m.kv_heads, 2);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_EQ(m.mlp, ct::MlpKind::SwiGlu);
  EXPECT_EQ(m.norm, ct::NormKind::RmsNorm);
  EXPECT_FALSE(m.bias);
}

TEST(HfConfigParse, Qwen2HasQkvBias) {
  const std::string text = R"({"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100,
    "tie_word_embeddings": false})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "qwen2.json");
  EXPECT_EQ(m.kv_heads, 2);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_TRUE(m.bias);  // Qwen2 carries biases on Q, K, V
  // The biases can only add parameters over the same architecture without them (llama: 12288).
  EXPECT_GT(ct::attention_params(m), 12288.0);
}

TEST(HfConfigParse, CatalogMistralAndQwen2Load) {
  const ct::ModelSpec mistral = ct::load_model("mistral-7b", models_dir());
  EXPECT_EQ(mistral.kv_heads, 8);    // Mistral-7B-v0.1: GQA with 8 KV heads
  EXPECT_EQ(mistral.head_dim, 128);  // 4096 / 32
  // Mistral 7B: 7.24B parameters (HF model card).
  expect_within(ct::total_params(mistral), 7.24e9, 0.01, "mistral-7b");
  const ct::ModelSpec qwen = ct::load_model("qwen2-7b", models_dir());
  EXPECT_EQ(qwen.kv_heads, 4);  // Qwen2-7B: 28 heads, 4 KV heads
  EXPECT_EQ(qwen.layers, 28);
  // Qwen2-7B: 7.6B parameters (Qwen2 technical report, arXiv:2407.10671).
  expect_within(ct::total_params(qwen), 7.6e9, 0.02, "qwen2-7b");
}

TEST(HfConfigParse, MinimalMpt) {
  const std::string text = R"({"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 2,
    "expansion_ratio": 4, "vocab_size": 100, "max_seq_len": 512})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(text, "mpt.json");
  EXPECT_EQ(m.hidden, 64);
  EXPECT_EQ(m.heads, 4);
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.layers, 2);
  EXPECT_EQ(m.ffn_hidden, 256);  // expansion_ratio * d_model
  EXPECT_EQ(m.vocab, 100);
  EXPECT_EQ(m.max_seq, 512);
  EXPECT_EQ(m.mlp, ct::MlpKind::Gelu);
  EXPECT_EQ(m.norm, ct::NormKind::LayerNorm);
  EXPECT_TRUE(m.tied_embeddings);
}

TEST(HfConfigParse, MptAlibiIsReadFromAttnConfig) {
  // MosaicML's MPTConfig (llm-foundry configuration_mpt.py): positions are a learned table when
  // learned_pos_emb is true and attn_config.alibi is false; ALiBi only when attn_config.alibi is
  // true. data/models/mpt-7b.json relies on this (its _notes: learned_pos_emb=true, alibi=false
  // reproduce llm-foundry's NumParams 6,658,859,008 exactly).
  const std::string alibi = R"({"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 2,
    "expansion_ratio": 4, "vocab_size": 100, "max_seq_len": 512, "attn_config": {"alibi": true}})";
  EXPECT_EQ(ct::model_from_hf_json_text(alibi, "mpt-alibi.json").position, ct::PositionKind::Alibi);

  const std::string learned = R"({"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 2,
    "expansion_ratio": 4, "vocab_size": 100, "max_seq_len": 512, "learned_pos_emb": true,
    "attn_config": {"alibi": false}})";
  const ct::ModelSpec m = ct::model_from_hf_json_text(learned, "mpt-learned.json");
  EXPECT_EQ(m.position, ct::PositionKind::Learned);
  // Embedding = V h + max_seq h = 100*64 + 512*64 = 39168.
  EXPECT_DOUBLE_EQ(ct::embedding_params(m), 39168.0);
}

// ---- Errors ----------------------------------------------------------------------------------

TEST(HfConfigErrors, MalformedJsonThrowsInputError) {
  EXPECT_THROW(ct::model_from_hf_json_text("{\"model_type\": \"llama\", \"hidden_size\": ", "bad.json"),
               ct::InputError);
  EXPECT_THROW(ct::model_from_hf_json_text("not json at all", "bad.json"), ct::InputError);
}

TEST(HfConfigErrors, UnsupportedModelTypeNamesTheField) {
  const std::string text = R"({"model_type": "t5", "d_model": 512, "num_layers": 6, "num_heads": 8,
    "vocab_size": 32128})";
  try {
    ct::model_from_hf_json_text(text, "t5.json");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model_type"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t5.json"), std::string::npos) << e.what();
  }
}

TEST(HfConfigErrors, NegativeHiddenSizeThrows) {
  const std::string text = R"({"model_type": "llama", "hidden_size": -64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100})";
  try {
    ct::model_from_hf_json_text(text, "neg.json");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size"), std::string::npos) << e.what();
  }
}

TEST(HfConfigErrors, MissingRequiredFieldThrows) {
  const std::string text = R"({"model_type": "llama", "num_hidden_layers": 2, "num_attention_heads": 4,
    "intermediate_size": 128, "vocab_size": 100})";
  EXPECT_THROW(ct::model_from_hf_json_text(text, "nohidden.json"), ct::InputError);
}

TEST(HfConfigErrors, KvHeadsMustDivideHeads) {
  const std::string text = R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 128, "vocab_size": 100})";
  EXPECT_THROW(ct::model_from_hf_json_text(text, "kv.json"), ct::InputError);
}

TEST(HfConfigErrors, UnknownCatalogModelListsCatalog) {
  try {
    ct::load_model("no-such-model-xyz", models_dir());
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("catalog"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no-such-model-xyz"), std::string::npos) << msg;
    EXPECT_NE(msg.find("llama3-8b"), std::string::npos) << "should list known ids: " << msg;
  }
}

TEST(HfConfigErrors, MissingConfigFileThrows) {
  EXPECT_THROW(ct::load_hf_config("/nonexistent/dir/config.json"), ct::InputError);
}
