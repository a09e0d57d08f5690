#pragma once
// Which links a replica's collectives cross. Inside an NVLink domain and across the scale-out
// fabric the shared topology model decides (parallel/topology.hpp); GPUs of one node that share no
// NVLink domain (PCIe cards, NVLink-bridged pairs or quads of a PCIe server) talk over their PCIe
// links, whose achievable bus bandwidth is a calibrated fraction of the card's one-way PCIe rate.
#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/cost/collective.hpp"
#include "clustertwin/serve/replica.hpp"

namespace ct::serve {

// Largest tensor-parallel group one node holds: its NVLink domain, or the whole node over PCIe.
int max_tensor_parallel_gpus(const SystemSpec& sys);

// Link of the TP all-reduce (ranks 0..tp-1 of the replica).
cost::Link tp_all_reduce_link(const ReplicaSpec& r, const DeviceCalibration& dev, const NetworkCalibration& net,
                              const PcieCollectives& pcie);
// Link of a pipeline hand-off between consecutive stages (tp ranks apart).
cost::Link pp_hand_off_link(const ReplicaSpec& r, const DeviceCalibration& dev, const NetworkCalibration& net,
                            const PcieCollectives& pcie);
// The PCIe link of one GPU; InputError when the catalog has no PCIe rate for it.
cost::Link pcie_link(const GpuSpec& gpu, const PcieCollectives& pcie);

}  // namespace ct::serve
