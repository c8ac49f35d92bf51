#pragma once
// Who is talking on a connection: the first frame each side sends is a Hello.
// A client connection may only carry client frames; a peer connection only
// peer frames, and only from a node of the same cluster.
#include <cstdint>
#include <string>

#include "core/fnv1a.h"
#include "core/messages.h"

namespace rrseq {

// Cluster identity: a hash of the cluster name every node and client is given.
inline uint64_t cluster_id(const std::string& name) { return fnv1a(name); }

// The frames that set a connection up (Hello, then peer authentication); the node never sees them.
inline bool is_handshake_message(const Message& m) {
  return std::holds_alternative<Hello>(m) || std::holds_alternative<AuthChallenge>(m) ||
         std::holds_alternative<AuthProof>(m);
}

inline bool is_peer_message(const Message& m) {
  return !std::holds_alternative<ClientRequest>(m) && !std::holds_alternative<ClientReply>(m) &&
         !is_handshake_message(m);
}

}  // namespace rrseq
