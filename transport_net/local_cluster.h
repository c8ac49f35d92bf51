#pragma once
// An in-process cluster of real rrseq::Server objects on 127.0.0.1, ports from
// the OS, each run() on its own thread: for tests and rrseq-bench. Destroying
// it stops and joins them all.
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "transport_net/address.h"
#include "transport_net/server.h"

namespace rrseq {

// Parses an address the caller wrote itself; throws std::runtime_error if it is wrong.
Address must_parse(const std::string& text);

class LocalCluster {
 public:
  using Tweak = std::function<void(size_t node, ServerConfig&)>;

  // data_root empty: memory mode; otherwise each node gets data_root/nodeI.
  // `tweak` may change each node's configuration before it opens. On failure
  // error() says what went wrong; the nodes that did start are stopped later.
  LocalCluster(size_t n, const std::string& data_root, const Tweak& tweak = {});
  virtual ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Stops and destroys node i, closing its sockets as a crashed process would.
  void kill_node(size_t i);
  // Stops every node; returns, per node, why it stopped by itself ("" when asked to).
  std::vector<std::string> stop_all();

  const std::string& error() const { return error_; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  size_t size() const { return addresses_.size(); }
  Server& server(size_t i) { return *servers_.at(i); }

  // The servers list of client `i`: starting at node i % N, then the others in order.
  std::vector<std::string> rotated(size_t i) const;

 private:
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::string> addresses_;
  std::vector<std::thread> threads_;
  std::vector<std::string> stop_reasons_;
  std::string error_;
};

}  // namespace rrseq
