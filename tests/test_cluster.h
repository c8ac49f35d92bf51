#pragma once
// LocalCluster for tests: stopping it also checks that no node stopped by itself.
#include <gtest/gtest.h>

#include <string>

#include "transport_net/local_cluster.h"

namespace rrseq {

class TestCluster : public LocalCluster {
 public:
  using LocalCluster::LocalCluster;
  ~TestCluster() override { stop(); }

  void stop() {
    const std::vector<std::string> reasons = stop_all();
    for (size_t i = 0; i < reasons.size(); ++i) EXPECT_EQ(reasons[i], "") << "node " << i << " stopped by itself";
  }
};

}  // namespace rrseq
