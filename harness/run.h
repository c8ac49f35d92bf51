#pragma once
// One simulated run, checked: the world plus the checker.
#include <cstdint>
#include <ostream>
#include <string>

#include "harness/checker.h"
#include "harness/history.h"
#include "harness/sim_options.h"
#include "transport_sim/world.h"

namespace rrseq {

struct RunOutcome {
  Scenario scenario;
  WorldResult world;
  History history;     // what the clients saw
  CheckReport report;  // world failures (codec, storage) are added as violations
  bool ok() const { return report.ok(); }
};

RunOutcome run_scenario(const Scenario& s, std::ostream* trace = nullptr);
RunOutcome run_seed(uint64_t seed, const SimOptions& opt, std::ostream* trace = nullptr);

// "G1: id 17 granted twice ... (ids 17 18)" for the first violation.
std::string first_violation(const CheckReport& r);

}  // namespace rrseq
