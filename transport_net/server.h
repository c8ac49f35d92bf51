#pragma once
// rrseq-server's engine: drives one core Node with Asio over TCP and, in durable
// mode, real files. One thread runs the io_context (all protocol work); a disk
// thread runs fdatasync so a slow disk never stalls the network. Records the
// node writes while a sync runs are covered by the next sync (group commit).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node_config.h"
#include "core/result.h"
#include "transport_net/address.h"
#include "transport_net/net_limits.h"

namespace rrseq {

enum class LogLevel : uint8_t { error, warn, info, debug };

struct ServerConfig {
  Address listen;
  std::vector<Address> peers;   // every other node of the cluster
  std::string data_dir;         // empty: memory mode
  std::string cluster = "rrseq";
  Protocol protocol = Protocol::ballot;
  SpeedUps speedups;
  LogLevel log_level = LogLevel::info;
  uint64_t compact_log_bytes = 64u << 20;  // rewrite the log as a snapshot past this size
  // The doors for every language (http_routes.h, grpc_door.h); /metrics is on the HTTP one.
  std::optional<Address> http;
  std::optional<Address> grpc;
  // Admin calls (advance) must carry it; none: they are refused.
  std::optional<std::string> admin_token;
  // The shared secret peers must prove they hold (peer_auth.h); none: peers are not authenticated.
  std::optional<std::string> cluster_key;
  // A log corrupt in the middle is set aside (rrseq.log.corrupt-<n>) and the node
  // rejoins without state, instead of refusing to start.
  bool rejoin_if_corrupt = false;
  // Client connections held at once, at most rrseq::client_connections_max;
  // fewer if the open files limit (less fds_reserved) is lower.
  size_t max_client_connections = client_connections_max;
};

class Server {
 public:
  explicit Server(ServerConfig cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket (port 0 picks a free port). Nothing is served yet.
  Result open();
  // The bound address as "host:port", for peers and clients to use.
  std::string bound_address() const;
  // The bound HTTP (metrics) and gRPC addresses as "host:port"; empty without them.
  std::string http_address() const;
  std::string grpc_address() const;
  // Recovers storage, takes the node's index in the cluster (its place in the
  // sorted list of all addresses), connects to peers. Call after open().
  Result start(std::vector<Address> peers);
  // Runs until stop(); returns the reason it stopped (empty when asked to).
  std::string run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rrseq
