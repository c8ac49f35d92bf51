#include "core/messages.h"

#include <iterator>
#include <sstream>

#include "core/limits.h"

namespace rrseq {

const char* status_name(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::not_ready:
      return "not_ready";
    case Status::invalid_name:
      return "invalid_name";
    case Status::invalid_count:
      return "invalid_count";
    case Status::exhausted:
      return "exhausted";
    case Status::overloaded:
      return "overloaded";
    case Status::timeout:
      return "timeout";
    case Status::too_many_sequences:
      return "too_many_sequences";
    case Status::too_many_requests:
      return "too_many_requests";
    case Status::redirect:
      return "redirect";
    case Status::permission_denied:
      return "permission_denied";
  }
  return "unknown";
}

std::string status_text(Status s) {
  const std::string name = status_name(s);
  switch (s) {
    case Status::ok:
      return name;
    case Status::not_ready:
      return name + " (the node is rejoining or has no quorum yet)";
    case Status::invalid_name:
      return name + " (a sequence name is 1.." + std::to_string(seq_name_bytes_max) +
             " bytes of [A-Za-z0-9_.-], seq_name_bytes_max)";
    case Status::invalid_count:
      return name + " (a request asks for 1.." + std::to_string(range_ids_max) + " IDs, range_ids_max)";
    case Status::exhausted:
      return "sequence exhausted (its next ID would pass id_max, 2^64 - 2; it never wraps)";
    case Status::overloaded:
      return name + " (the node's request queue is full)";
    case Status::timeout:
      return name + " (the node reached no quorum in time)";
    case Status::too_many_sequences:
      return name + " (the node already holds sequences_max, " + std::to_string(sequences_max) +
             " sequences)";
    case Status::too_many_requests:
      return name + " (over conn_requests_in_flight_max, " + std::to_string(conn_requests_in_flight_max) +
             " unanswered requests on one connection)";
    case Status::redirect:
      return name + " (another node is granting this sequence; the reply names it)";
    case Status::permission_denied:
      return name + " (moving a sequence forward is for an admin, through the gRPC or HTTP door with the token)";
  }
  return name;
}

namespace {

std::ostream& operator<<(std::ostream& o, const Ballot& b) { return o << b.str(); }
const char* ok_word(bool ok) { return ok ? "ok" : "nack"; }

// One overload per message, printing "Name{field=value ..."; describe() closes the brace.
void print(std::ostream& o, const Prepare& m) { o << "Prepare{seq=" << m.seq << " b=" << m.ballot; }
void print(std::ostream& o, const Promise& m) {
  o << "Promise{seq=" << m.seq << " b=" << m.ballot << ' ' << ok_word(m.ok) << " p=" << m.promised
    << " acc=" << m.accepted << " v=" << m.value;
}
void print(std::ostream& o, const Accept& m) {
  o << "Accept{seq=" << m.seq << " b=" << m.ballot << " v=" << m.value;
  if (!m.next.is_zero()) o << " next=" << m.next;
  if (!m.voters.empty()) {
    o << " voters=";
    for (size_t i = 0; i < m.voters.size(); ++i) o << (i ? "," : "") << 'n' << m.voters[i].node << '@' << m.voters[i].epoch;
  }
}
void print(std::ostream& o, const Accepted& m) {
  o << "Accepted{seq=" << m.seq << " b=" << m.ballot << ' ' << ok_word(m.ok) << " p=" << m.promised;
}
void print(std::ostream& o, const ClassicRead& m) {
  o << "ClassicRead{seq=" << m.seq << " op=" << m.op;
}
void print(std::ostream& o, const ClassicReadReply& m) {
  o << "ClassicReadReply{seq=" << m.seq << " op=" << m.op << " v=" << m.value;
}
void print(std::ostream& o, const ClassicWrite& m) {
  o << "ClassicWrite{seq=" << m.seq << " op=" << m.op << " v=" << m.value;
}
void print(std::ostream& o, const ClassicWriteReply& m) {
  o << "ClassicWriteReply{seq=" << m.seq << " op=" << m.op;
}
void print(std::ostream& o, const EpochRequest& m) { o << "EpochRequest{attempt=" << m.attempt; }
void print(std::ostream& o, const EpochReply& m) {
  o << "EpochReply{attempt=" << m.attempt << (m.initialized ? " init" : " uninit")
    << " epoch=" << m.epoch << " maxp=" << m.max_promised;
  if (m.lost_state) o << " lost";
  if (m.founder) o << " founder";
}
void print(std::ostream& o, const FenceRequest& m) {
  o << "FenceRequest{attempt=" << m.attempt << " b=" << m.ballot;
}
void print(std::ostream& o, const FenceReply& m) {
  o << "FenceReply{attempt=" << m.attempt << ' ' << ok_word(m.ok) << " maxp=" << m.max_promised
    << " states=" << m.states.size();
}
void print(std::ostream& o, const ClientRequest& m) {
  o << "ClientRequest{c=" << m.client << " r=" << m.request << " seq=" << m.seq << " n=" << m.count;
  if (m.at_least) o << " at_least=" << m.at_least;
  if (m.may_redirect) o << " may-redirect";
}
void print(std::ostream& o, const ClientReply& m) {
  o << "ClientReply{c=" << m.client << " r=" << m.request << ' ' << status_name(m.status);
  if (m.status == Status::ok) o << " [" << m.from << ',' << m.to << ')';
  if (m.status == Status::redirect) o << " to=n" << m.redirect_to;
}

void print(std::ostream& o, const Hello& m) {
  o << "Hello{role=" << (m.role == static_cast<uint32_t>(Role::peer) ? "peer" : "client") << " node=" << m.node
    << " nodes=" << m.nodes << " cluster=" << m.cluster;
}

// Only the first bytes: enough to tell two apart in a trace.
void print_auth_bytes(std::ostream& o, const AuthBytes& b) {
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < 4; ++i) o << hex[b[i] >> 4] << hex[b[i] & 0xf];
  o << "..";
}
void print(std::ostream& o, const AuthChallenge& m) {
  o << "AuthChallenge{nonce=";
  print_auth_bytes(o, m.nonce);
}
void print(std::ostream& o, const AuthProof& m) {
  o << "AuthProof{mac=";
  print_auth_bytes(o, m.mac);
}

}  // namespace

template <class T>
  requires is_alternative_v<T, Message>
std::string describe(const T& m) {
  std::ostringstream o;
  print(o, m);
  o << '}';
  return o.str();
}
// clang-format off
template std::string describe(Prepare const&);
template std::string describe(Promise const&);
template std::string describe(Accept const&);
template std::string describe(Accepted const&);
template std::string describe(ClassicRead const&);
template std::string describe(ClassicReadReply const&);
template std::string describe(ClassicWrite const&);
template std::string describe(ClassicWriteReply const&);
template std::string describe(EpochRequest const&);
template std::string describe(EpochReply const&);
template std::string describe(FenceRequest const&);
template std::string describe(FenceReply const&);
template std::string describe(ClientRequest const&);
template std::string describe(ClientReply const&);
template std::string describe(Hello const&);
template std::string describe(AuthChallenge const&);
template std::string describe(AuthProof const&);
// clang-format on

namespace {
template <class Variant>
std::string describe_any(const Variant& m) {
  return std::visit([](const auto& x) { return describe(x); }, m);
}
}  // namespace

const char* message_name(const Message& m) {
  static constexpr const char* names[] = {
      "Prepare",      "Promise",       "Accept",        "Accepted",   "ClassicRead", "ClassicReadReply",
      "ClassicWrite", "ClassicWriteReply", "EpochRequest", "EpochReply", "FenceRequest", "FenceReply",
      "ClientRequest", "ClientReply",  "Hello",         "AuthChallenge", "AuthProof"};
  static_assert(std::size(names) == std::variant_size_v<Message>, "a name for every message");
  return names[m.index()];
}

std::string describe(const Message& m) { return describe_any(m); }
std::string describe(const PeerMessage& m) { return describe_any(m); }
std::string describe(const HandshakeMessage& m) { return describe_any(m); }

}  // namespace rrseq
