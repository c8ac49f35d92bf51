#pragma once
// The five-node cluster a benchmark runs against, started once per set of
// knobs and kept until the next set: by default five rrseq-server processes on
// loopback, as a deployment runs (each node has its own process, threads and
// scheduler share), or with --servers in-process five rrseq::Server objects in
// rrseq-bench itself (cheaper hand-offs, no process boundary).
#include <memory>
#include <string>
#include <vector>

#include "core/speedups.h"
#include "transport_net/server.h"

namespace rrseq::bench {

inline constexpr size_t cluster_nodes = 5;

// One small struct per family: each distinct label() gets its own cluster.
struct ClusterKnobs {
  bool durable = false;
  bool doors = false;   // every node also serves --grpc and --http
  SpeedUps speedups{};  // ServerConfig::speedups / rrseq-server --no-...

  std::string label() const;
};

enum class Servers { process, in_process };

class BenchCluster {
 public:
  virtual ~BenchCluster() = default;
  // Why the cluster did not start ("" when it did).
  virtual const std::string& error() const = 0;
  // The servers list of client `i`: starting at node i % N, then the others in order.
  virtual std::vector<std::string> rotated(size_t i) const = 0;
  virtual std::string grpc_address(size_t node) const = 0;
  virtual std::string http_address(size_t node) const = 0;
};

// `server_bin` is the rrseq-server to run (Servers::process only). Durable
// nodes keep their data in a fresh directory under `data_parent`, removed with
// the cluster.
std::unique_ptr<BenchCluster> start_cluster(Servers servers, const ClusterKnobs& knobs,
                                            const std::string& server_bin, const std::string& data_parent);

}  // namespace rrseq::bench
