#include "harness/run.h"

namespace rrseq {

RunOutcome run_scenario(const Scenario& s, std::ostream* trace) {
  RunOutcome o;
  o.scenario = s;
  HistoryRecorder recorder;
  o.world = run_world(s, recorder, trace);
  o.history = std::move(recorder.history);
  o.report = check_history(o.history);
  for (const auto& f : o.world.failures) {
    const size_t colon = f.find(": ");
    o.report.violations.push_back(Violation{f.substr(0, colon), f.substr(colon + 2), {}});
  }
  return o;
}

RunOutcome run_seed(uint64_t seed, const SimOptions& opt, std::ostream* trace) {
  return run_scenario(make_scenario(seed, opt), trace);
}

std::string first_violation(const CheckReport& r) {
  if (r.violations.empty()) return "";
  const Violation& v = r.violations.front();
  std::string s = v.property + ": " + v.detail;
  if (!v.ids.empty()) {
    s += " (ids";
    for (uint64_t id : v.ids) s += " " + std::to_string(id);
    s += ")";
  }
  return s;
}

}  // namespace rrseq
