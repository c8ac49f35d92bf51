#pragma once
// Peer authentication with a shared cluster key (rrseq-server --cluster-key FILE).
//
// Right after the Hellos, each side of a peer connection sends a fresh random
// nonce and proves it holds the key with an HMAC-SHA256 over both nonces, its
// role on this connection (connector or acceptor), the cluster name and size,
// and the prover's and verifier's node indexes:
//
//   connector (dialled out)             acceptor
//   Hello, AuthChallenge(nc)      ->
//                                 <-    Hello, AuthChallenge(na)
//                                 <-    AuthProof(acceptor: nc, na)   once nc arrived
//   AuthProof(connector: nc, na)  ->    once the acceptor's proof checked
//
// Neither side takes a peer message before the other's proof checks. A proof
// fits one connection, one direction and one pair of nodes only: replayed on
// another connection it misses the fresh nonce, reflected back it has the
// wrong role. Frames after the handshake are not signed: the key decides who
// may open a peer connection, it does not stop an attacker on the network path
// from taking over an established TCP connection.
//
// PeerAuth is the state machine for one connection, without I/O: fed frames,
// it answers frames to send or an error that must close the connection.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/result.h"

namespace rrseq {

inline constexpr size_t cluster_key_bytes_min = 16;    // shorter keys are refused
inline constexpr size_t cluster_key_bytes_max = 4096;  // longer files are refused

// Reads a cluster key file. The key is every byte of the file, a trailing
// newline included: copy one file to every node rather than retyping it.
// Errors name the path and what is wrong; `warnings` gets a line when the file
// is readable by its group or by others.
Result load_cluster_key(const std::string& path, std::string* key, std::vector<std::string>* warnings);
// The same checks for any secret in a file (`kind` names it in every error):
// a regular file of bytes_min..bytes_max bytes, read whole.
Result load_secret_file(const std::string& path, const std::string& kind, size_t bytes_min, size_t bytes_max,
                        std::string* secret, std::vector<std::string>* warnings);

AuthBytes hmac_sha256(std::string_view key, std::string_view data);
// Random bytes from OpenSSL's generator; nullopt if it fails.
std::optional<AuthBytes> random_nonce();

enum class AuthSide : uint8_t { connector = 1, acceptor = 2 };

// What every connection of one node shares.
struct PeerAuthConfig {
  std::shared_ptr<const std::string> key;  // null: no --cluster-key, peers are not authenticated
  std::string cluster;                     // the cluster name, bound into every proof
  uint32_t nodes = 0;                      // cluster size
  uint32_t self = 0;                       // this node's index
};

class PeerAuth {
 public:
  // `peer`: the other node's index (the one dialled, or the one its Hello
  // claims). `nonce`: fresh random bytes for this connection only.
  PeerAuth(PeerAuthConfig cfg, AuthSide side, uint32_t peer, const AuthBytes& nonce);

  // What this side sends right after its Hello: an AuthChallenge when it has a key.
  std::vector<HandshakeMessage> opening() const;

  struct Step {
    std::vector<HandshakeMessage> send;  // answer these, in order
    std::string error;          // not empty: refuse the peer and close the connection
  };
  // Feed every frame after the peer's Hello until authenticated(), and every
  // AuthChallenge or AuthProof after that.
  Step on_frame(const Message& m);

  // With no key: at once. With a key: once the peer's proof checked.
  bool authenticated() const { return state_ == State::done; }
  // Waiting for the peer's challenge or proof: the connection ending now ends it unproved.
  bool pending() const { return state_ == State::await_challenge || state_ == State::await_proof; }
  // Ends the handshake because the connection is closed for another reason.
  void abandon() { state_ = State::failed; }

 private:
  enum class State : uint8_t { await_challenge, await_proof, done, failed };
  AuthBytes proof_by(AuthSide prover) const;
  Step fail(std::string why);
  std::string peer_name() const { return "n" + std::to_string(peer_); }

  PeerAuthConfig cfg_;
  AuthSide side_;
  uint32_t peer_;
  AuthBytes nonce_;       // ours
  AuthBytes peer_nonce_{};  // theirs, once their AuthChallenge came
  State state_;
};

}  // namespace rrseq
