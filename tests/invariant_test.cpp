// Core invariants stay on in every build type and go to the installed handler.
#include "core/invariant.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rrseq {
namespace {

[[noreturn]] void throwing(const std::string& message) { throw std::runtime_error(message); }

TEST(Invariant, AHeldInvariantDoesNothing) {
  set_invariant_handler(&throwing);
  EXPECT_NO_THROW(RRSEQ_INVARIANT(1 + 1 == 2, "arithmetic"));
  set_invariant_handler(nullptr);
}

TEST(Invariant, ABrokenInvariantReachesTheHandlerWithFileLineAndCondition) {
  set_invariant_handler(&throwing);
  try {
    RRSEQ_INVARIANT(2 < 1, "two is below one");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("invariant_test.cpp:"), std::string::npos) << m;
    EXPECT_NE(m.find("invariant 2 < 1 (two is below one)"), std::string::npos) << m;
  }
  set_invariant_handler(nullptr);
}

TEST(InvariantDeathTest, WithoutAHandlerABrokenInvariantAbortsEvenInRelease) {
  EXPECT_DEATH(RRSEQ_INVARIANT(false, "release builds check too"), "invariant false \\(release builds check too\\)");
}

}  // namespace
}  // namespace rrseq
