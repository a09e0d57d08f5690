#pragma once
// Faces of a training-step result: a readable report, one JSON object, a Chrome/Perfetto trace.
#include <nlohmann/json.hpp>
#include <string>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace ct {

// `range`: how far to trust the step time and throughput (accuracy/prediction_range.hpp); none: no range line.
std::string format_train_text(const TrainResult& r, const PredictionRange& range = {});
nlohmann::ordered_json train_to_json(const TrainResult& r, const PredictionRange& range = {});
// The range of a training step's figures from the held-out errors of comparable measured runs.
PredictionRange training_range(const HeldOutErrors& errors, const TrainScenario& s);
// Chrome trace event format (chrome://tracing, ui.perfetto.dev): one process per pipeline stage,
// one thread per stream, every op of every pass named.
std::string train_chrome_trace(const TrainResult& r);

}  // namespace ct
