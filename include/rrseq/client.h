#pragma once
// RRSeq client library: unique, increasing 64-bit IDs from a named sequence.
//
//   rrseq::ClientOptions o;
//   o.servers = {"10.0.0.1:19001", "10.0.0.2:19001", "10.0.0.3:19001"};
//   o.sequence = "orders";
//   o.buffer_size = 1024;
//   std::string error;
//   auto client = rrseq::Client::connect(o, &error);
//   rrseq::NextResult r = client->next();   // thread-safe; r.id or r.error
//
// IDs come from a local buffer of `buffer_size` IDs (buffer_size 0: one
// request per ID, shared by the threads that wait at once: each gets one of
// its IDs, in the order they are served). The next range is asked for as soon as the current one is
// taken into use, and its answer is read by the call that needs it: the
// library has no thread of its own; callers of next() do its network work.
// IDs one Client hands out strictly increase; IDs of all clients are unique.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rrseq {

struct ClientOptions {
  std::vector<std::string> servers;  // "host:port"; ":port" means loopback
  std::string sequence;              // 1..64 of [A-Za-z0-9_.-]
  uint64_t buffer_size = 0;
  std::string cluster = "rrseq";     // must match the servers' --cluster
  std::chrono::milliseconds deadline{5'000};         // next() gives up after this long
  std::chrono::milliseconds request_timeout{1'000};  // one attempt at one server
  // Prefer the node the sequence name hashes to, so clients of one sequence
  // share a proposer; the others serve when it is down. Needs every client and
  // server to write the addresses the same way (the list is sorted here).
  bool affinity = false;
  // Grow the buffer (up to adaptive_ids_max) when a range lasts under half of
  // adaptive_period, shrink it (down to buffer_size) when it lasts over twice.
  bool adaptive = false;
  std::chrono::milliseconds adaptive_period{1'000};
  uint64_t adaptive_ids_max = 1u << 20;
  // buffer_size 0: threads that wait at once share one request for one ID
  // each. Off: one request per ID, the threads taking turns (for comparison).
  bool share_requests = true;
  // buffer_size > 0 and not adaptive: when the next range arrives after the
  // buffer ran dry, keep twice as many ranges requested ahead (up to 16,
  // ranges_ahead_max), so a steady caller does not wait on a round trip.
  // Off: one request at a time, sent at half use.
  bool keep_ahead = true;
};

// Why next() returned no ID, for a program to act on; `error` says it for people.
enum class NextError : uint8_t {
  none = 0,
  // Passing: no quorum answered within the deadline (nodes down, cut off,
  // overloaded). The same call may succeed later.
  unavailable,
  // Permanent: this Client fails every later call the same way.
  closed,              // close() was called
  invalid_sequence,    // the servers refuse the name
  exhausted,           // the sequence reached 2^64 - 1
  too_many_sequences,  // the servers hold as many sequences as they may
  refused,             // another refusal (a count over the limit, no permission)
};

struct NextResult {
  uint64_t id = 0;    // 0: no ID (see kind and error)
  std::string error;  // e.g. "no ID within 5000 ms: no quorum answered (servers ...)"
  NextError kind = NextError::none;
  bool ok() const { return id != 0; }
  // The call may succeed if made again (only `unavailable`).
  bool retryable() const { return kind == NextError::unavailable; }
};

class Client {
 public:
  // Checks the options and returns the client; it makes no connection (next()
  // connects on demand). Null, with `error` set, when an option is invalid.
  static std::unique_ptr<Client> connect(const ClientOptions& options, std::string* error);
  // Closes (see close()). Destroy a Client only once no next() runs on it.
  virtual ~Client() = default;

  // Blocks until an ID is available or the deadline passes. Thread-safe; from
  // a buffered range it costs one compare-and-swap and takes no lock. Never
  // throws: every failure is a NextResult with kind and error set.
  virtual NextResult next() = 0;
  // Closes the connections and returns once no call is doing network work.
  // next() calls waiting in other threads return at once with kind `closed`;
  // one racing close() may still get an ID from the range already leased.
  // Every later next() returns `closed`. Idempotent, thread-safe, never throws.
  virtual void close() = 0;
};

}  // namespace rrseq
