#pragma once
// Faces of a training-step result: a readable report, one JSON object, a Chrome/Perfetto trace.
#include <nlohmann/json.hpp>
#include <string>

#include "clustertwin/train/step_simulator.hpp"

namespace ct {

std::string format_train_text(const TrainResult& r);
nlohmann::ordered_json train_to_json(const TrainResult& r);
// Chrome trace event format (chrome://tracing, ui.perfetto.dev): one process per pipeline stage,
// one thread per stream, every op of every pass named.
std::string train_chrome_trace(const TrainResult& r);

}  // namespace ct
