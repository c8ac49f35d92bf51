// RapidCheck over whole fault schedules: under the ballot protocol no schedule
// breaks the contract; under the 2016 algorithm RapidCheck finds a duplicate on
// its own and shrinks the schedule to one a person can read.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "harness/run.h"

namespace rrseq {
namespace {

// Fixed RapidCheck seed so the suite is repeatable; RC_PARAMS in the
// environment still wins ("seed=N", "max_success=N").
const bool rc_seeded = (setenv("RC_PARAMS", "seed=20161127", 0), true);

constexpr TimeUs heal_us = 1'000'000;

}  // namespace

// How RapidCheck prints a counterexample.
void showValue(const Scenario& s, std::ostream& os) { os << s.describe(); }

namespace {

rc::Gen<Scenario> gen_scenario(Protocol protocol) {
  return rc::gen::exec([protocol] {
    Scenario s;
    s.protocol = protocol;
    s.seed = *rc::gen::inRange<uint64_t>(0, 1000);
    s.nodes = *rc::gen::element(3u, 5u);
    s.durable = *rc::gen::arbitrary<bool>();
    s.heal_us = heal_us;
    s.liveness_bound_us = 3'000'000;
    const size_t clients = *rc::gen::inRange<size_t>(1, 5);
    for (size_t c = 0; c < clients; ++c) {
      ClientSpec spec;
      spec.buf_size = *rc::gen::element<uint64_t>(0, 1, 2, 3, 7, 1024);
      spec.first_server = *rc::gen::inRange<uint32_t>(0, s.nodes);
      spec.think_max_us = *rc::gen::element<TimeUs>(0, 500, 2'000);
      s.clients.push_back(spec);
    }
    s.net.loss_ppm = *rc::gen::inRange<uint32_t>(0, 50'000);
    s.net.dup_ppm = *rc::gen::inRange<uint32_t>(0, 50'000);
    s.net.tail_ppm = *rc::gen::inRange<uint32_t>(0, 20'000);
    s.net.tail_max_us = *rc::gen::inRange<TimeUs>(0, 200'000);
    s.disk.tear = s.durable && *rc::gen::arbitrary<bool>();
    const size_t faults = *rc::gen::inRange<size_t>(0, 12);
    for (size_t i = 0; i < faults; ++i) {
      FaultEvent f;
      f.at_us = *rc::gen::inRange<TimeUs>(0, heal_us);
      f.kind = *rc::gen::element(FaultKind::crash, FaultKind::crash_wipe, FaultKind::restart, FaultKind::cut,
                                 FaultKind::heal, FaultKind::client_crash, FaultKind::client_restart,
                                 FaultKind::crash_after_ack, FaultKind::crash_in_sync, FaultKind::slow_link,
                                 FaultKind::pause, FaultKind::client_pause);
      const bool on_client = f.kind == FaultKind::client_crash || f.kind == FaultKind::client_restart ||
                             f.kind == FaultKind::client_pause;
      f.a = *rc::gen::inRange<uint32_t>(0, on_client ? static_cast<uint32_t>(clients) : s.nodes);
      f.b = f.kind == FaultKind::crash_after_ack ? *rc::gen::inRange<uint32_t>(0, 2)
                                                 : *rc::gen::inRange<uint32_t>(0, s.nodes);
      if (f.kind == FaultKind::slow_link) f.us = *rc::gen::inRange<TimeUs>(0, 400'000);
      if (f.kind == FaultKind::pause || f.kind == FaultKind::client_pause) f.us = *rc::gen::inRange<TimeUs>(10'000, 2'000'000);
      s.faults.push_back(f);
    }
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const FaultEvent& x, const FaultEvent& y) { return x.at_us < y.at_us; });
    return s;
  });
}

bool has_duplicate(const RunOutcome& r) {
  return std::any_of(r.report.violations.begin(), r.report.violations.end(),
                     [](const Violation& v) { return v.property == "G1"; });
}

RC_GTEST_PROP(ScenarioProperty, BallotProtocolKeepsTheContractUnderAnySchedule, ()) {
  const Scenario s = *gen_scenario(Protocol::ballot);
  const RunOutcome r = run_scenario(s);
  RC_LOG() << s.describe() << first_violation(r.report) << "\n";
  RC_ASSERT(r.ok());
}

TEST(ScenarioProperty, ClassicDuplicateIsFoundAndShrunkToASmallSchedule) {
  (void)rc_seeded;
  std::optional<Scenario> smallest;
  auto size = [](const Scenario& s) { return s.clients.size() + s.faults.size(); };
  const bool held = rc::check("the 2016 algorithm never grants an ID twice", [&] {
    const Scenario s = *gen_scenario(Protocol::classic);
    const bool dup = has_duplicate(run_scenario(s));
    if (dup && (!smallest || size(s) < size(*smallest))) smallest = s;
    RC_ASSERT(!dup);
  });
  EXPECT_FALSE(held) << "RapidCheck found no duplicate under the classic protocol";
  ASSERT_TRUE(smallest);
  std::cout << "shrunk classic counterexample: " << smallest->clients.size() << " clients, "
            << smallest->faults.size() << " faults\n  " << smallest->describe();
  // Two clients with different batch sizes are enough; no fault is needed.
  EXPECT_LE(smallest->clients.size(), 2u);
  EXPECT_EQ(smallest->faults.size(), 0u);
  EXPECT_TRUE(has_duplicate(run_scenario(*smallest)));
}

}  // namespace
}  // namespace rrseq
