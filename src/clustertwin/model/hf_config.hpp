#pragma once
// Reading HuggingFace config.json files (Llama, Mistral, Qwen2, Nemotron, GPT-2, GPT-NeoX, MPT,
// BLOOM, Falcon styles, and the MoE styles Mixtral, Qwen3-MoE, DeepSeek-V3).
#include <string>
#include <vector>

#include "clustertwin/model/model_spec.hpp"

namespace ct {

ModelSpec model_from_hf_json_text(const std::string& text, const std::string& source_name);
ModelSpec load_hf_config(const std::string& path);

// `name_or_path` is a catalog id (data/models/<id>.json) or a path to a config.json.
ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir);
std::vector<std::string> catalog_model_ids(const std::string& models_dir);

}  // namespace ct
