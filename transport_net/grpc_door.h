#pragma once
// rrseq-server --grpc ADDR: plain-text HTTP/2 serving the 2016 package's API
// (pb.RRAPI, proto/rr_seq.proto, wire-compatible with its generated clients)
// and RRSeq's own (rrseq.v1.Sequences, proto/rrseq/v1/sequences.proto). Every
// call goes to the node of this process through a NodeDoor; gRPC's own
// threads only translate and never block on the node.
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "transport_net/address.h"
#include "transport_net/door.h"

namespace rrseq {

inline constexpr int grpc_message_bytes_max = 4096;         // a request holds a name and a number
inline constexpr int grpc_metadata_bytes_max = 8192;        // all headers of one call
inline constexpr int grpc_streams_per_connection_max = 100; // concurrent calls on one connection
inline constexpr int grpc_handshake_timeout_ms = 5'000;     // a connection that trickles its preface is closed
inline constexpr int grpc_idle_timeout_ms = 300'000;        // a connection without calls is closed
inline constexpr size_t grpc_memory_bytes_max = 64u << 20;  // gRPC's buffers, all connections
inline constexpr int grpc_shutdown_grace_ms = 1'000;        // calls in flight at stop get this long

class GrpcDoor {
 public:
  // `admin_token` empty: admin calls (GRPCSetID, Advance) are refused.
  GrpcDoor(NodeDoor& node, std::optional<std::string> admin_token);
  ~GrpcDoor();
  GrpcDoor(const GrpcDoor&) = delete;
  GrpcDoor& operator=(const GrpcDoor&) = delete;

  // Binds (port 0 picks one) and serves at once; calls wait for the node.
  Result open(const Address& addr);
  std::string bound_address() const { return bound_; }
  // Stops taking calls, gives those in flight grpc_shutdown_grace_ms. Idempotent.
  void shutdown();

 private:
  class Services;
  std::unique_ptr<Services> services_;
  std::string bound_;
};

}  // namespace rrseq
