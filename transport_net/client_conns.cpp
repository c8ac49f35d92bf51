#include "transport_net/client_conns.h"

namespace rrseq {

ConnId ClientConns::add(std::shared_ptr<FrameConn> conn) {
  if (conns_.size() >= connections_max_) {
    ++connections_refused_;
    return 0;
  }
  const ConnId id = next_id_++;
  conns_[id] = std::move(conn);
  return id;
}

void ClientConns::remove(ConnId id) { conns_.erase(id); }

void ClientConns::reply(ConnId id, const ClientReply& reply) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;  // the client left; its answer has nowhere to go
  auto conn = it->second;  // a failed send closes it, and on_close removes the entry
  conn->send(reply);
}

void ClientConns::close_all(const std::string& reason) {
  // close() runs the connection's on_close, which calls remove(): work on a copy.
  auto conns = conns_;
  for (auto& [id, conn] : conns) conn->close(reason);
}

}  // namespace rrseq
