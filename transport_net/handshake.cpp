#include "transport_net/handshake.h"

#include <utility>

#include "core/invariant.h"

namespace rrseq {

Handshake::Handshake(PeerAuthConfig cfg, bool dialled, uint32_t peer, const AuthBytes& nonce)
    : cfg_(std::move(cfg)), dialled_(dialled), peer_(peer), nonce_(nonce) {
  if (dialled_) auth_.emplace(cfg_, AuthSide::connector, peer_, nonce_);
}

Handshake Handshake::dialled(PeerAuthConfig cfg, uint32_t peer, const AuthBytes& nonce) {
  return Handshake(std::move(cfg), true, peer, nonce);
}

Handshake Handshake::accepted(PeerAuthConfig cfg, const AuthBytes& nonce) {
  return Handshake(std::move(cfg), false, 0, nonce);
}

Hello Handshake::hello() const {
  return Hello{static_cast<uint32_t>(Role::peer), cfg_.self, cfg_.nodes, cluster_id(cfg_.cluster)};
}

Handshake::Step Handshake::opening() const {
  if (!dialled_) return {};
  Step s{{hello()}, ""};
  for (auto& f : auth_->opening()) s.send.push_back(std::move(f));
  return s;
}

Handshake::Step Handshake::on_frame(const Message& m) {
  if (!greeted_) return on_hello(m);
  RRSEQ_INVARIANT(role_ == Role::peer, "a client connection has no handshake after its Hello");
  PeerAuth::Step s = auth_->on_frame(m);
  return Step{std::move(s.send), std::move(s.error)};
}

// The dialled side checks that the node it meant answered; the accepted side
// learns the caller's role, and a peer's claim must fit this cluster.
Handshake::Step Handshake::on_hello(const Message& m) {
  const auto* h = std::get_if<Hello>(&m);
  if (!h) return fail(std::string("first frame is ") + message_name(m) + ", not a Hello");
  if (h->cluster != cluster_id(cfg_.cluster)) {
    return fail(std::string(dialled_ ? "answers" : "Hello") +
                " from another cluster (is --cluster the same on every node?)");
  }
  if (dialled_) {
    if (h->role != static_cast<uint32_t>(Role::peer) || h->node != peer_) {
      return fail("answers as node " + std::to_string(h->node) + ", not n" + std::to_string(peer_) +
                  "; check every node's address list");
    }
    greeted_ = true;
    return {};
  }
  if (h->role == static_cast<uint32_t>(Role::client)) {
    greeted_ = true;
    role_ = Role::client;
    return Step{{hello()}, ""};
  }
  if (h->role != static_cast<uint32_t>(Role::peer)) return fail("Hello with unknown role " + std::to_string(h->role));
  if (h->nodes != cfg_.nodes || h->node >= cfg_.nodes || h->node == cfg_.self) {
    return fail("peer Hello claims node " + std::to_string(h->node) + " of " + std::to_string(h->nodes) +
                ", but this cluster has " + std::to_string(cfg_.nodes) + " nodes and this is node " +
                std::to_string(cfg_.self));
  }
  greeted_ = true;
  peer_ = h->node;
  auth_.emplace(cfg_, AuthSide::acceptor, peer_, nonce_);
  Step s{{hello()}, ""};
  for (auto& f : auth_->opening()) s.send.push_back(std::move(f));
  return s;
}

Handshake::Step Handshake::fail(std::string why) {
  if (auth_) auth_->abandon();
  return Step{{}, std::move(why)};
}

}  // namespace rrseq
