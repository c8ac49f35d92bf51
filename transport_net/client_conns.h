#pragma once
// The client connections of one server, and the limits on them: how many may
// be open at once, and how many requests each may have unanswered
// (conn_requests_in_flight_max). Requests over that get `too_many_requests`
// at once, so one client that pipelines without bound cannot fill the node's
// queue for everyone else. Use from the io_context thread only.
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
  uint64_t requests_refused() const { return requests_refused_; }        // too_many_requests sent
  // Registers a greeted client; 0 when connections_max() are already open.
  ConnId add(std::shared_ptr<FrameConn> conn);
  void remove(ConnId id);
  // True: hand the request to the node, which answers it once (see reply()).
  // False: it was refused with too_many_requests here.
  bool admit(ConnId id, const ClientRequest& req);
  // Sends the node's answer to an admitted request, if the client is still there.
  void reply(ConnId id, const ClientReply& reply);
  void close_all(const std::string& reason);

 private:
  struct Entry {
    std::shared_ptr<FrameConn> conn;
    size_t in_flight = 0;  // admitted requests not yet answered
  };
  size_t connections_max_;
  std::map<ConnId, Entry> conns_;
  ConnId next_id_ = 1;
  uint64_t connections_refused_ = 0;
  uint64_t requests_refused_ = 0;
};

}  // namespace rrseq
