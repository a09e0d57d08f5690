#pragma once
// Building catalog scenarios in tests the way the CLI does (config/train_request.hpp), and
// reading the timeline back.
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/parallel/topology.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "clustertwin/workload/ops.hpp"

namespace ct::testing {

inline const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

inline TrainScenario scenario(const TrainRequest& r) { return make_scenario(r, catalogs(), "test"); }

// The op lists of one layer of kind `spec` in scenario `s`, as the step simulator builds them.
inline LayerPasses layer_passes_of(const TrainScenario& s, const LayerSpec& spec = {}) {
  const Calibration& cal = catalogs().calibration;
  const DeviceCalibration& dev = cal.device(s.system.gpu.id);
  const LayoutTopology topo = map_layout(s.layout, s.system, dev, cal.network);
  return layer_passes({s.model, s.layout, s.system, dev, cal.kernels, cal.network, s.profile, topo}, spec);
}

// Seconds of data-parallel gradient reduction in the step's timeline (overlapped or not).
inline double dp_reduce_s(const TrainResult& r) {
  double total = 0;
  for (const auto& t : r.graph.tasks())
    if (t.tag == kTagDpReduce) total += t.duration_s;
  return total;
}

}  // namespace ct::testing
