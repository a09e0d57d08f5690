#include "clustertwin/hw/granularity.hpp"

#include <fmt/format.h>

namespace ct {

int system_unit_gpus(const SystemSpec& sys) {
  return sys.nvlink_domain_gpus > sys.gpus_per_node ? sys.nvlink_domain_gpus : sys.gpus_per_node;
}

std::string granularity_note(const SystemSpec& sys, int gpus) {
  const int unit = system_unit_gpus(sys);
  if (unit <= 1 || gpus <= 0 || gpus % unit == 0 || gpus < unit) return "";
  const char* what = sys.nvlink_domain_gpus > sys.gpus_per_node ? "NVLink racks" : "nodes";
  const int below = gpus / unit * unit, above = below + unit;
  return fmt::format("{} GPUs are {:.1f} {} of {} on {}: the last one is partly used ({} or {} GPUs fill whole {})", gpus,
                     static_cast<double>(gpus) / unit, what, unit, sys.id, below, above, what);
}

}  // namespace ct
