#include "transport_net/client_conns.h"

#include "core/limits.h"

namespace rrseq {

ConnId ClientConns::add(std::shared_ptr<FrameConn> conn) {
  if (conns_.size() >= connections_max_) {
    ++connections_refused_;
    return 0;
  }
  const ConnId id = next_id_++;
  conns_[id] = Entry{std::move(conn), 0};
  return id;
}

void ClientConns::remove(ConnId id) { conns_.erase(id); }

bool ClientConns::admit(ConnId id, const ClientRequest& req) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  Entry& e = it->second;
  if (e.in_flight >= conn_requests_in_flight_max) {
    ++requests_refused_;
    auto conn = e.conn;  // a failed send closes it, and on_close removes the entry
    conn->send(ClientReply{req.client, req.request, Status::too_many_requests, 0, 0});
    return false;
  }
  ++e.in_flight;
  return true;
}

void ClientConns::reply(ConnId id, const ClientReply& reply) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;  // the client left; its answer has nowhere to go
  if (it->second.in_flight > 0) --it->second.in_flight;
  auto conn = it->second.conn;  // a failed send closes it, and on_close removes the entry
  conn->send(reply);
}

void ClientConns::close_all(const std::string& reason) {
  // close() runs the connection's on_close, which calls remove(): work on a copy.
  auto conns = conns_;
  for (auto& [id, e] : conns) e.conn->close(reason);
}

}  // namespace rrseq
