#pragma once
// Faces of a plan: a table of the best layouts, JSON, CSV, and an SQLite file of every layout.
#include <nlohmann/json.hpp>
#include <string>

#include "clustertwin/plan/planner.hpp"

namespace ct {

std::string layout_label(const ParallelLayout& l);
std::string format_plan_text(const PlanRequest& req, const PlanResult& r);
nlohmann::ordered_json plan_to_json(const PlanRequest& req, const PlanResult& r);
std::string plan_to_csv(const PlanRequest& req, const PlanResult& r);
// Writes every enumerated layout (feasible or not, simulated or bounded) to table `layouts`.
void write_plan_sqlite(const std::string& path, const PlanRequest& req, const PlanResult& r);

}  // namespace ct
