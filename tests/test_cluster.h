#pragma once
// An in-process cluster of real rrseq::Server objects on 127.0.0.1, ports from
// the OS, each run() on its own thread. Destroying it stops and joins them all.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "transport_net/address.h"
#include "transport_net/log.h"
#include "transport_net/server.h"

namespace rrseq {

inline Address must_parse(const std::string& text) {
  std::string err;
  auto a = parse_address(text, &err);
  if (!a) throw std::runtime_error(err);
  return *a;
}

class TestCluster {
 public:
  using Tweak = std::function<void(size_t node, ServerConfig&)>;

  // data_root empty: memory mode; otherwise each node gets data_root/nodeI.
  // `tweak` may change each node's configuration before it opens.
  TestCluster(size_t n, const std::string& data_root, const Tweak& tweak = {}) {
    set_log_level(LogLevel::warn);  // the server logs through a process-wide level
    for (size_t i = 0; i < n; ++i) {
      ServerConfig cfg;
      cfg.listen = must_parse("127.0.0.1:0");
      cfg.log_level = LogLevel::warn;
      if (!data_root.empty()) {
        cfg.data_dir = data_root + "/node" + std::to_string(i);
        std::filesystem::create_directories(cfg.data_dir);
      }
      if (tweak) tweak(i, cfg);
      servers_.push_back(std::make_unique<Server>(cfg));
    }
    for (auto& s : servers_) {
      Result r = s->open();
      if (!r.is_ok()) {
        error_ = "open: " + r.message();
        return;
      }
      addresses_.push_back(s->bound_address());
    }
    for (size_t i = 0; i < n; ++i) {
      std::vector<Address> peers;
      for (size_t j = 0; j < n; ++j)
        if (j != i) peers.push_back(must_parse(addresses_[j]));
      Result r = servers_[i]->start(peers);
      if (!r.is_ok()) {
        error_ = "start node " + std::to_string(i) + ": " + r.message();
        return;
      }
    }
    stop_reasons_.resize(n);
    for (size_t i = 0; i < n; ++i)
      threads_.emplace_back([this, i] { stop_reasons_[i] = servers_[i]->run(); });
  }
  ~TestCluster() { stop(); }

  // Stops and destroys node i, closing its sockets as a crashed process would.
  void kill_node(size_t i) {
    servers_.at(i)->stop();
    if (threads_.at(i).joinable()) threads_[i].join();
    servers_[i].reset();
  }

  void stop() {
    for (auto& s : servers_)
      if (s) s->stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
    for (size_t i = 0; i < stop_reasons_.size(); ++i)
      EXPECT_EQ(stop_reasons_[i], "") << "node " << i << " stopped by itself";
    stop_reasons_.clear();
  }

  const std::string& error() const { return error_; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  size_t size() const { return addresses_.size(); }
  Server& server(size_t i) { return *servers_.at(i); }

  // The servers list of client `i`: starting at node i % N, then the others in order.
  std::vector<std::string> rotated(size_t i) const {
    std::vector<std::string> v;
    for (size_t k = 0; k < size(); ++k) v.push_back(addresses_[(i + k) % size()]);
    return v;
  }

 private:
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::string> addresses_;
  std::vector<std::thread> threads_;
  std::vector<std::string> stop_reasons_;
  std::string error_;
};

}  // namespace rrseq
