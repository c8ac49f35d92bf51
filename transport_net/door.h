#pragma once
// What the gRPC and HTTP doors of rrseq-server ask of the node in their
// process. A door turns its callers' requests into the core's ClientRequest
// (Next, Current, Advance: see core/messages.h) and this node serves each one
// itself: a door call is never redirected, and a node that cannot serve it
// answers with a status the caller can act on (retry elsewhere, or not).
//
// The doors check their callers (the admin token) and their bytes (sizes,
// names, counts) where the bytes enter; the node checks names and counts
// again, as for every client.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/result.h"

namespace rrseq {

inline constexpr size_t door_calls_max = 4096;  // unanswered door calls per node; more: overloaded
inline constexpr size_t admin_token_bytes_min = 16;   // a shorter --admin-token is refused at start
inline constexpr size_t admin_token_bytes_max = 4096;

enum class DoorOp : uint8_t { next, current, advance };

struct DoorCall {
  DoorOp op = DoorOp::next;
  std::string seq;
  uint64_t count = 0;     // next: 1..range_ids_max
  uint64_t at_least = 0;  // advance: 1..id_max
};

struct DoorAnswer {
  Status status = Status::ok;
  uint64_t from = 0;  // next: the range [from, to); current, advance: the bound is `to`
  uint64_t to = 0;
};

struct SeqBound {
  std::string seq;
  uint64_t bound = 0;  // the value this node last accepted: every ID it saw granted is below
};

class NodeDoor {
 public:
  using Done = std::function<void(const DoorAnswer&)>;
  virtual ~NodeDoor() = default;
  // Thread-safe. `done` runs exactly once, on the server's io thread, or on
  // the caller's thread when the server is stopping.
  virtual void call(DoorCall c, Done done) = 0;
  // Thread-safe: the sequences this node holds, from its own acceptor (a local view).
  virtual void list(std::function<void(std::vector<SeqBound>)> done) = 0;
  // The node serves and reaches a majority of the cluster (io thread only).
  virtual bool ready() const = 0;
};

// A refusal as the doors report it: the gRPC status code (grpc::StatusCode's
// numbers) and the HTTP status.
struct DoorError {
  int grpc_code = 0;
  int http_status = 200;
};
DoorError door_error(Status s);

// The token of "authorization: Bearer TOKEN", if the header has that form.
std::optional<std::string_view> bearer_token(std::string_view authorization);
// Constant time in the contents of both (it compares digests): a caller
// learns nothing of the token from how long a refusal takes.
bool token_matches(const std::string& expected, std::string_view given);
// Reads --admin-token FILE: one line of admin_token_bytes_min..max visible
// ASCII characters (it travels in an HTTP header), a trailing newline allowed.
// Errors name the file and what is wrong; `warnings` as for the cluster key.
Result load_admin_token(const std::string& path, std::string* token, std::vector<std::string>* warnings);

}  // namespace rrseq
