#pragma once
// Numeric formats of training compute and the tensor-core peak each one runs at.
#include <optional>
#include <string>
#include <string_view>

namespace ct {

// The GEMM input format of a training run. Attention, norms, the router and the optimizer stay
// in BF16/FP32 whatever this says (as in Transformer Engine).
enum class Precision { BF16, FP16, FP8, FP8Block, MXFP8, NVFP4 };

// Tensor-core peaks a GPU data sheet lists.
enum class PeakFormat { BF16, FP16, FP8, FP4, TF32 };

inline PeakFormat gemm_peak_format(Precision p) {
  switch (p) {
    case Precision::BF16: return PeakFormat::BF16;
    case Precision::FP16: return PeakFormat::FP16;
    case Precision::FP8:
    case Precision::FP8Block:
    case Precision::MXFP8: return PeakFormat::FP8;
    case Precision::NVFP4: return PeakFormat::FP4;
  }
  return PeakFormat::BF16;
}

// Bytes of one GEMM operand element as stored for the tensor cores (scales counted separately).
inline double gemm_operand_bytes(Precision p) {
  switch (p) {
    case Precision::BF16:
    case Precision::FP16: return 2.0;
    case Precision::FP8:
    case Precision::FP8Block:
    case Precision::MXFP8: return 1.0;
    case Precision::NVFP4: return 0.5;
  }
  return 2.0;
}

// Bytes of block scales per operand element: MXFP8 one E8M0 per 32 elements, NVFP4 one E4M3 per
// 16, FP8 blockwise one FP32 per 128 (1x128 tiles); per-tensor FP8 has a single scale.
inline double gemm_scale_bytes_per_element(Precision p) {
  switch (p) {
    case Precision::MXFP8: return 1.0 / 32;
    case Precision::NVFP4: return 1.0 / 16;
    case Precision::FP8Block: return 4.0 / 128;
    default: return 0.0;
  }
}

// Quantised copies Transformer Engine makes of a GEMM operand: a row-wise and a column-wise one
// (the backward GEMMs read the transpose), except per-tensor FP8 on GPUs whose FP8 GEMMs accept
// any operand layout (Blackwell), where the one copy serves both.
inline int quantized_copies(Precision p, bool fp8_gemm_any_layout) {
  return p == Precision::FP8 && fp8_gemm_any_layout ? 1 : 2;
}

inline bool is_low_precision(Precision p) { return p != Precision::BF16 && p != Precision::FP16; }

inline std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::BF16: return "bf16";
    case Precision::FP16: return "fp16";
    case Precision::FP8: return "fp8";
    case Precision::FP8Block: return "fp8-block";
    case Precision::MXFP8: return "mxfp8";
    case Precision::NVFP4: return "nvfp4";
  }
  return "?";
}

inline std::optional<Precision> parse_precision(std::string_view s) {
  if (s == "bf16") return Precision::BF16;
  if (s == "fp16") return Precision::FP16;
  if (s == "fp8" || s == "fp8-tensor" || s == "fp8-delayed" || s == "fp8-current") return Precision::FP8;
  if (s == "fp8-block" || s == "fp8-blockwise") return Precision::FP8Block;
  if (s == "mxfp8") return Precision::MXFP8;
  if (s == "nvfp4" || s == "fp4") return Precision::NVFP4;
  return std::nullopt;
}

}  // namespace ct
