#pragma once
// The client connections of one server, and how many may be open at once.
// (How many requests each may have unanswered is the host's to count:
// core/node_host.h.) Use from the io_context thread only.
#include <map>
#include <memory>
#include <string>

#include "core/messages.h"
#include "core/node_config.h"
#include "transport_net/frame_conn.h"

namespace rrseq {

class ClientConns {
 public:
  explicit ClientConns(size_t connections_max) : connections_max_(connections_max) {}

  size_t connections_max() const { return connections_max_; }
  size_t size() const { return conns_.size(); }
  uint64_t connections_refused() const { return connections_refused_; }  // add() returned 0
  // Registers a greeted client; 0 when connections_max() are already open.
  ConnId add(std::shared_ptr<FrameConn> conn);
  void remove(ConnId id);
  // Sends the node's answer, if the client is still there.
  void reply(ConnId id, const ClientReply& reply);
  void close_all(const std::string& reason);

 private:
  size_t connections_max_;
  std::map<ConnId, std::shared_ptr<FrameConn>> conns_;
  ConnId next_id_ = 1;
  uint64_t connections_refused_ = 0;
};

}  // namespace rrseq
