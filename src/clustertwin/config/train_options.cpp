#include "clustertwin/config/train_options.hpp"

#include "clustertwin/core/error.hpp"

namespace ct {

Recompute parse_recompute(const std::string& s, const std::string& source) {
  if (s == "none") return Recompute::None;
  if (s == "selective") return Recompute::Selective;
  if (s == "full") return Recompute::Full;
  throw InputError(source, "recompute", "unknown mode '" + s + "' (none, selective, full)");
}

DpSharding parse_sharding(const std::string& s, const std::string& source) {
  if (s == "ddp" || s == "none" || s == "0") return DpSharding::None;
  if (s == "zero1" || s == "1" || s == "dist-opt" || s == "distributed-optimizer") return DpSharding::Zero1;
  if (s == "zero2" || s == "2") return DpSharding::Zero2;
  if (s == "zero3" || s == "3" || s == "fsdp") return DpSharding::Zero3;
  throw InputError(source, "zero", "unknown data-parallel sharding '" + s + "' (ddp, zero1, zero2, zero3/fsdp)");
}

Precision parse_precision_or_throw(const std::string& s, const std::string& source) {
  if (auto p = parse_precision(s)) return *p;
  throw InputError(source, "precision", "unknown precision '" + s + "' (bf16, fp16, fp8, fp8-block, mxfp8, nvfp4)");
}

}  // namespace ct
