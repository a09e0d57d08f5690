#pragma once
// Faces of a plan: a table of the best layouts, JSON, CSV, and an SQLite file of every layout.
#include <nlohmann/json.hpp>
#include <string>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/plan/planner.hpp"

namespace ct {

std::string layout_label(const ParallelLayout& l);
// `errors`: the held-out errors that give each simulated layout's figures a range (none: no ranges).
std::string format_plan_text(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors = {});
nlohmann::ordered_json plan_to_json(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors = {});
std::string plan_to_csv(const PlanRequest& req, const PlanResult& r, const HeldOutErrors& errors = {});
// A picture: time to train of the best layout at each GPU count (a scaling curve) when the plan
// covers several counts, else the Pareto front of cost against time.
std::string plan_svg(const PlanRequest& req, const PlanResult& r);
// Writes every enumerated layout (feasible or not, simulated or bounded) to table `layouts`.
void write_plan_sqlite(const std::string& path, const PlanRequest& req, const PlanResult& r);

}  // namespace ct
