#pragma once
// Every message nodes and clients exchange. The codec (codec.h) turns them
// into frames; the protocol code only ever sees these structs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/ballot.h"

namespace rrseq {

// ---- CASPaxos register per sequence (protocol "ballot") ----
// A node whose promise a proposer counted, and the epoch of that node's life
// then (incarnation_epoch). A node that lost its state rejoins in a higher
// epoch; an accept resting on a promise of its earlier life is refused by
// every node that knows the new epoch (rejoin.h).
struct Voter {
  uint32_t node = 0;
  uint32_t epoch = 0;

  bool operator==(const Voter&) const = default;
};

struct Prepare {
  std::string seq;
  Ballot ballot;

  bool operator==(const Prepare&) const = default;
};
struct Promise {
  std::string seq;
  Ballot ballot;     // the ballot this answers
  bool ok = false;   // false: `promised` is higher than `ballot`
  Ballot promised;   // acceptor's promise after handling the prepare
  Ballot accepted;   // ballot of the accepted value (zero: none yet)
  uint64_t value = 0;  // next ID to grant; 0 when nothing was accepted
  uint32_t epoch = 0;  // the acceptor's epoch when it promised
  // Every other node's latest life this acceptor knows of (nonzero epochs):
  // the proposer never counts a promise from an earlier life (proposer.h).
  std::vector<Voter> lives;

  bool operator==(const Promise&) const = default;
};
struct Accept {
  std::string seq;
  Ballot ballot;
  uint64_t value = 0;
  // Fast path: also promise this higher ballot (zero: no). The proposer's next
  // round then starts with Accept(next), one round trip per grant.
  Ballot next;
  // The promise quorum this accept rests on (ballot protocol): a majority.
  std::vector<Voter> voters;

  bool operator==(const Accept&) const = default;
};
struct Accepted {
  std::string seq;
  Ballot ballot;
  bool ok = false;
  Ballot promised;
  uint32_t epoch = 0;  // the acceptor's epoch; with Accept::next, this ack is a promise
  // As in Promise. Safety does not rest on it (the fence of a later life lies
  // fence_round_margin rounds above any promise an ack made: see the fast-path
  // scenario of amnesia_scenario_test); it spares the proposer a next accept
  // that the fenced nodes refuse.
  std::vector<Voter> lives;

  bool operator==(const Accepted&) const = default;
};

// ---- The 2016 algorithm (protocol "classic"), kept as a negative control ----
struct ClassicRead {
  std::string seq;
  uint64_t op = 0;  // proposer-chosen id matching replies to their round

  bool operator==(const ClassicRead&) const = default;
};
struct ClassicReadReply {
  std::string seq;
  uint64_t op = 0;
  uint64_t value = 0;

  bool operator==(const ClassicReadReply&) const = default;
};
struct ClassicWrite {
  std::string seq;
  uint64_t op = 0;
  uint64_t value = 0;  // "set if larger"

  bool operator==(const ClassicWrite&) const = default;
};
struct ClassicWriteReply {
  std::string seq;
  uint64_t op = 0;

  bool operator==(const ClassicWriteReply&) const = default;
};

// ---- Rejoining without state (see rejoin.h) ----
// Step 1: peers hand out a fresh epoch for the asking node.
struct EpochRequest {
  uint64_t attempt = 0;
  uint64_t nonce = 0;  // the asking node's DurableState::nonce

  bool operator==(const EpochRequest&) const = default;
};
struct EpochReply {
  uint64_t attempt = 0;
  bool initialized = false;  // false: the peer has no state either
  uint32_t epoch = 0;        // peer's counter for the asking node, after increment
  Ballot max_promised;       // highest ballot the peer promised for any sequence
  // Uninitialized, but knows it had state or that a cluster exists: never
  // counted as empty (rejoin.h).
  bool lost_state = false;
  uint64_t nonce = 0;        // the peer's DurableState::nonce (when uninitialized)
  // The peer founded the cluster counting the asker, with this very nonce, as
  // empty: the asker founds it too (it has answered no quorum since).
  bool founder = false;

  bool operator==(const EpochReply&) const = default;
};
// Step 2: a node-wide prepare that fences every older ballot, answered with all state.
struct SeqState {
  std::string seq;
  Ballot promised;
  Ballot accepted;
  uint64_t value = 0;

  bool operator==(const SeqState&) const = default;
};
struct FenceRequest {
  uint64_t attempt = 0;
  Ballot ballot;

  bool operator==(const FenceRequest&) const = default;
};
// What a node knows of another node's epochs: the counter it hands out to it
// (seen) and the epoch of its latest rejoin (live).
struct PeerEpoch {
  uint32_t node = 0;
  uint32_t seen = 0;
  uint32_t live = 0;

  bool operator==(const PeerEpoch&) const = default;
};
struct FenceReply {
  uint64_t attempt = 0;
  bool ok = false;
  Ballot max_promised;
  std::vector<SeqState> states;  // every sequence the peer knows, when ok
  Ballot ballot;                 // the fence ballot this answers
  // The peer's epoch knowledge, itself included (when ok): a rejoining node
  // keeps it, so epochs are never handed out twice after rolling restarts.
  std::vector<PeerEpoch> epochs;

  bool operator==(const FenceReply&) const = default;
};

// ---- Client <-> node ----
enum class Status : uint8_t {
  ok = 0,
  not_ready = 1,      // node is rejoining, or has no quorum yet; try another node
  invalid_name = 2,   // sequence name empty, too long, or bad characters
  invalid_count = 3,  // count above range_ids_max
  exhausted = 4,      // the sequence would pass id_max
  overloaded = 5,     // the node's request queue is full; try again or elsewhere
  timeout = 6,        // the node could not reach a quorum in time
  too_many_sequences = 7,  // a new sequence would pass sequences_max on this node
  too_many_requests = 8,   // over conn_requests_in_flight_max unanswered on this connection
  redirect = 9,            // another node is granting this sequence: ask node `redirect_to`
  permission_denied = 10,  // an Advance (at_least) from a caller not allowed to make one
};
inline constexpr Status status_last = Status::permission_denied;  // a new status goes above it
const char* status_name(Status s);
// What a refusal means, naming the limit behind it: "too_many_sequences (the node ...)".
std::string status_text(Status s);

// A client names a sequence and how many IDs it wants, never a value to set:
// no request can move a sequence backwards (the seed's open SetID). One round
// serves three kinds:
//   Next     count 1..range_ids_max, at_least 0: grants [from, from + count)
//   Current  count 0, at_least 0: [bound, bound), every ID granted before lies
//            below the bound (linearizable: the round writes the value it read)
//   Advance  count 0, at_least X: raises the sequence to at least X first;
//            admin only, which the door it came through checks (never the
//            native client port).
struct ClientRequest {
  uint64_t client = 0;
  uint64_t request = 0;  // unique per client; a retry reuses it
  std::string seq;
  uint64_t count = 0;    // IDs wanted, 0..range_ids_max
  // The client can follow a redirect for this attempt (its server i is node
  // i, and it has not followed one for this attempt yet). Only such a request
  // is ever redirected: the node it reaches serves every other.
  bool may_redirect = false;
  uint64_t at_least = 0;  // Advance: every ID after this request is at least this

  bool operator==(const ClientRequest&) const = default;
};
struct ClientReply {
  uint64_t client = 0;
  uint64_t request = 0;
  Status status = Status::ok;
  uint64_t from = 0;  // granted [from, to) when ok
  uint64_t to = 0;
  uint32_t redirect_to = 0;  // a node index, when redirect

  bool operator==(const ClientReply&) const = default;
};

// ---- Connection handshake: the first frame on every TCP connection ----
enum class Role : uint32_t { client = 1, peer = 2 };
struct Hello {
  uint32_t role = 0;      // Role
  uint32_t node = 0;      // the sender's node index (peers only)
  uint32_t nodes = 0;     // cluster size as the sender sees it (peers only)
  uint64_t cluster = 0;   // cluster identity; must match
  bool operator==(const Hello&) const = default;
};

// ---- Peer authentication after the Hello (transport_net/peer_auth.h) ----
inline constexpr size_t auth_bytes = 32;  // a nonce, and an HMAC-SHA256, on the wire
using AuthBytes = std::array<uint8_t, auth_bytes>;
struct AuthChallenge {
  AuthBytes nonce{};  // fresh random bytes the other side must prove its key over
  bool operator==(const AuthChallenge&) const = default;
};
struct AuthProof {
  AuthBytes mac{};  // HMAC-SHA256 with the cluster key over both nonces and who is who
  bool operator==(const AuthProof&) const = default;
};

// One type per plane, so that what may arrive on a connection is decided by
// the type system: the node handles PeerMessage only; a connection's Hello and
// peer authentication are a HandshakeMessage the node never sees; a client
// sends ClientRequest and gets ClientReply.
using PeerMessage = std::variant<Prepare, Promise, Accept, Accepted, ClassicRead, ClassicReadReply,
                                 ClassicWrite, ClassicWriteReply, EpochRequest, EpochReply,
                                 FenceRequest, FenceReply>;
using HandshakeMessage = std::variant<Hello, AuthChallenge, AuthProof>;

// Every frame on the wire, the codec's union; a frame's type byte is the index
// here (codec.h), so an alternative is only ever appended.
using Message = std::variant<Prepare, Promise, Accept, Accepted, ClassicRead, ClassicReadReply,
                             ClassicWrite, ClassicWriteReply, EpochRequest, EpochReply,
                             FenceRequest, FenceReply, ClientRequest, ClientReply, Hello,
                             AuthChallenge, AuthProof>;

template <class T, class Variant>
inline constexpr bool is_alternative_v = false;
template <class T, class... Ts>
inline constexpr bool is_alternative_v<T, std::variant<Ts...>> = (std::is_same_v<T, Ts> || ...);

// The wire type byte of message T: its index in Message.
template <class T, class Variant>
inline constexpr size_t alternative_index_v = 0;
template <class T, class... Ts>
inline constexpr size_t alternative_index_v<T, std::variant<Ts...>> = [] {
  size_t i = 0;
  ((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
  return i;
}();
template <class T>
constexpr uint8_t message_type() {
  static_assert(is_alternative_v<T, Message>, "a message on the wire is an alternative of Message");
  return static_cast<uint8_t>(alternative_index_v<T, Message>);
}

// Plane is a message type or a variant of them; T belongs to it.
template <class T, class Plane>
inline constexpr bool belongs_to_v = std::is_same_v<T, Plane> || is_alternative_v<T, Plane>;

// A decoded frame moved into its plane, or nullopt when it belongs to another.
template <class Plane>
std::optional<Plane> narrow(Message&& m) {
  return std::visit(
      []<class T>(T&& x) -> std::optional<Plane> {
        if constexpr (belongs_to_v<std::decay_t<T>, Plane>) {
          return Plane{std::forward<T>(x)};
        } else {
          return std::nullopt;
        }
      },
      std::move(m));
}

// A plane's message as a frame of the wire's union.
template <class... T>
Message widen(const std::variant<T...>& m) {
  return std::visit([](const auto& x) { return Message{x}; }, m);
}

// Whether a frame belongs to Plane, without moving it.
template <class Plane>
bool in_plane(const Message& m) {
  return std::visit([]<class T>(const T&) { return belongs_to_v<T, Plane>; }, m);
}

// The type's name: "Prepare".
const char* message_name(const Message& m);

// Short readable form for traces: "Prepare{seq=a b=3.1.0}".
template <class T>
  requires is_alternative_v<T, Message>
std::string describe(const T& m);  // instantiated for each in messages.cpp
std::string describe(const Message& m);
std::string describe(const PeerMessage& m);
std::string describe(const HandshakeMessage& m);

}  // namespace rrseq
