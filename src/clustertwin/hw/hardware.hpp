#pragma once
// Hardware as the cost models see it: peaks and capacities in SI units, loaded from
// data/hardware/*.yaml (every figure there cites its source).
#include <map>
#include <string>

#include "clustertwin/hw/precision.hpp"

namespace ct {

struct GpuSpec {
  std::string id, name, arch;
  std::map<PeakFormat, double> peak_flops;  // dense FLOP/s per format; absent = unsupported
  double hbm_bytes = 0;
  double hbm_bytes_per_s = 0;
  double nvlink_bytes_per_s = 0;  // per GPU, one direction
  double pcie_bytes_per_s = 0;    // host link (PCIe) per GPU, one direction; 0 = not in the catalog
  int sm_count = 0;
  double l2_bytes = 0;
  double tdp_w = 0;
  double idle_w = 0;
  bool fp8_gemm_any_layout = false;  // FP8 GEMMs take non-TN layouts: no transposed FP8 copy needed

  double peak(PeakFormat f) const {
    auto it = peak_flops.find(f);
    return it == peak_flops.end() ? 0.0 : it->second;
  }
};

struct FabricSpec {
  std::string id, name, technology, topology;
  double link_bytes_per_s = 0;
  int tiers = 1;
  double oversubscription = 1.0;
  double hop_latency_s = 0;
  double nic_achievable_fraction = 1.0;
  bool sharp = false;
};

struct SystemSpec {
  std::string id, name;
  GpuSpec gpu;
  FabricSpec fabric;
  int gpus_per_node = 8;
  int nvlink_domain_gpus = 8;
  bool nvls = false;
  double nics_per_gpu = 1;
  double nic_bytes_per_s = 0;  // line rate of one NIC
  double node_power_max_w = 0;
  double rack_power_w = 0;
  double storage_write_bytes_per_s_per_node = 0;
  // Host (CPU) memory for offloaded optimizer state: capacity and bandwidth one GPU's share
  // gets, and the GPU-CPU link one way (NVLink-C2C on Grace systems, PCIe elsewhere). 0: unknown.
  double host_memory_bytes_per_gpu = 0;
  double host_memory_bytes_per_s_per_gpu = 0;
  double host_link_bytes_per_s = 0;

  // Scale-out bandwidth one GPU can drive (line rate), bytes/s.
  double scale_out_bytes_per_s_per_gpu() const { return nics_per_gpu * nic_bytes_per_s; }
};

}  // namespace ct
