#include "transport_net/local_cluster.h"

#include <filesystem>
#include <stdexcept>
#include <utility>

#include "transport_net/log.h"

namespace rrseq {

Address must_parse(const std::string& text) {
  std::string err;
  auto a = parse_address(text, &err);
  if (!a) throw std::runtime_error("address '" + text + "': " + err);
  return *a;
}

LocalCluster::LocalCluster(size_t n, const std::string& data_root, const Tweak& tweak) {
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
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this, i] { stop_reasons_[i] = servers_[i]->run(); });
}

LocalCluster::~LocalCluster() { stop_all(); }

void LocalCluster::kill_node(size_t i) {
  servers_.at(i)->stop();
  if (i < threads_.size() && threads_[i].joinable()) threads_[i].join();
  servers_[i].reset();
}

std::vector<std::string> LocalCluster::stop_all() {
  for (auto& s : servers_)
    if (s) s->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  return std::exchange(stop_reasons_, {});
}

std::vector<std::string> LocalCluster::rotated(size_t i) const {
  std::vector<std::string> v;
  for (size_t k = 0; k < size(); ++k) v.push_back(addresses_[(i + k) % size()]);
  return v;
}

}  // namespace rrseq
