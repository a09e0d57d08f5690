#pragma once
// Systems are bought and scheduled in whole units: nodes, or whole NVLink racks (GB200 NVL72).
#include <string>

#include "clustertwin/hw/hardware.hpp"

namespace ct {

// GPUs per unit the system is built of: the NVLink domain when it spans several nodes (a rack),
// else a node.
int system_unit_gpus(const SystemSpec& sys);
// "" when `gpus` fills whole units; else a note such as "2048 GPUs are 28.4 NVL72 racks of 72: the
// last one is partly used (2016 or 2088 GPUs fill whole racks)".
std::string granularity_note(const SystemSpec& sys, int gpus);

}  // namespace ct
