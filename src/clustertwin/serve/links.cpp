#include "clustertwin/serve/links.hpp"

#include <algorithm>

#include "clustertwin/core/error.hpp"
#include "clustertwin/parallel/topology.hpp"

namespace ct::serve {

namespace {

// A group of `span` consecutive GPUs leaves its NVLink domain but stays in one node.
bool crosses_pcie_only(int span, const SystemSpec& sys) {
  return span > sys.nvlink_domain_gpus && span <= sys.gpus_per_node;
}

}  // namespace

int max_tensor_parallel_gpus(const SystemSpec& sys) { return std::max(sys.nvlink_domain_gpus, sys.gpus_per_node); }

cost::Link pcie_link(const GpuSpec& gpu, const PcieCollectives& pcie) {
  if (gpu.pcie_bytes_per_s <= 0)
    throw InputError("data/hardware/gpus.yaml", gpu.id + ".pcie_unidir_gb_s",
                     "needed for GPUs of one node without NVLink between them");
  return {gpu.pcie_bytes_per_s * pcie.bus_fraction, pcie.latency_s};
}

cost::Link tp_all_reduce_link(const ReplicaSpec& r, const DeviceCalibration& dev, const NetworkCalibration& net,
                              const PcieCollectives& pcie) {
  if (crosses_pcie_only(r.tp, r.system)) return pcie_link(r.system.gpu, pcie);
  return group_all_reduce_link(place_group(r.tp, 1, r.system.nvlink_domain_gpus), r.system, dev, net);
}

cost::Link pp_hand_off_link(const ReplicaSpec& r, const DeviceCalibration& dev, const NetworkCalibration& net,
                            const PcieCollectives& pcie) {
  if (crosses_pcie_only(r.tp * r.pp, r.system)) return pcie_link(r.system.gpu, pcie);
  return group_link(place_group(r.pp, r.tp, r.system.nvlink_domain_gpus), r.system, dev, net);
}

}  // namespace ct::serve
