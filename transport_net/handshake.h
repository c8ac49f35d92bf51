#pragma once
// Who is talking on a connection, decided the same way for the connections a
// node dials and those it accepts. The first frame each side sends is a Hello;
// on a peer connection both sides then prove the cluster key (peer_auth.h):
//
//   dialled                                accepted
//   Hello(peer, self), opening       ->    checks cluster, role, node claim
//                                    <-    Hello, and to a peer its opening
//   ... the peer authentication of peer_auth.h, until both proved ...
//
// Handshake is the state machine of one connection, without I/O: fed every
// frame until done(), it answers frames to send or an error that must close
// the connection. Once done, the connection carries one plane only: a peer's
// carries PeerMessage, a client's carries ClientRequest in and ClientReply out.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/fnv1a.h"
#include "core/messages.h"
#include "transport_net/peer_auth.h"

namespace rrseq {

// Cluster identity: a hash of the cluster name every node and client is given.
inline uint64_t cluster_id(const std::string& name) { return fnv1a(name); }

class Handshake {
 public:
  // A connection this node dialled to node `peer`. `nonce`: fresh random bytes
  // for this connection only (peer_auth.h).
  static Handshake dialled(PeerAuthConfig cfg, uint32_t peer, const AuthBytes& nonce);
  // A connection this node accepted: the first frame says who calls.
  static Handshake accepted(PeerAuthConfig cfg, const AuthBytes& nonce);

  struct Step {
    std::vector<HandshakeMessage> send;  // send these, in order
    std::string error;                   // not empty: refuse the connection and close it
  };
  // What this side sends first: a dialled connection its Hello and its
  // authentication opening; an accepted one nothing (it answers the Hello).
  Step opening() const;
  // Every frame until done(); on a peer connection, every HandshakeMessage after.
  Step on_frame(const Message& m);

  bool done() const { return greeted_ && (role_ == Role::client || auth_->authenticated()); }
  bool dialled() const { return dialled_; }
  // Known once the other side's Hello came (a dialled connection: at once).
  Role role() const { return role_; }
  uint32_t peer() const { return peer_; }  // the other node's index, on a peer connection
  // Greeted, and waiting for the peer to prove the cluster key.
  bool awaiting_proof() const { return auth_ && auth_->pending(); }

 private:
  Handshake(PeerAuthConfig cfg, bool dialled, uint32_t peer, const AuthBytes& nonce);
  Step on_hello(const Message& m);
  Hello hello() const;
  Step fail(std::string why);

  PeerAuthConfig cfg_;
  bool dialled_;
  uint32_t peer_;
  AuthBytes nonce_;
  bool greeted_ = false;  // the other side's Hello came and was right
  Role role_ = Role::peer;
  std::optional<PeerAuth> auth_;  // peers only: from the start when dialled, after the Hello when accepted
};

}  // namespace rrseq
