#pragma once
// The client side as a pure state machine: a buffer of IDs refilled from the
// cluster, the seed's double buffering, rotation over servers, deadlines and
// retries with jittered backoff. The simulator and the network client library
// drive the same code.
//
// Buffer size B: B = 0 asks for one ID per waiting caller and keeps nothing
// (callers who wait at once share one request, as timestamp oracles batch
// concurrent callers into one RPC); B > 0 asks for B IDs at a time and
// prefetches the next B once half of what is buffered is used. A caller who
// finds the buffer empty while a prefetch is still on its way uses IDs faster
// than one range per round trip: the client then keeps twice as many ranges
// ahead (keep_ahead), up to ranges_ahead_max requests in flight at once.
// Ranges are handed out lowest first, and one that arrives below an ID already
// handed out is dropped (a gap), so each client's IDs stay strictly increasing.
// A server grants one client's requests in the order they came, but answers
// may overtake each other on the way back: a range waits while an older
// request is still waiting at the server that granted it, whose range is
// then most likely lower, so a calm client stays gap-free (G5). A range
// counts as received (ClientOutput::grants) when it is no longer held.
// A retry reuses the request id and goes to the next server; if the first
// server did grant, that range is simply never used (a gap).
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/limits.h"
#include "core/messages.h"
#include "core/node_config.h"
#include "core/rng.h"

namespace rrseq {

struct ClientConfig {
  std::string seq;
  uint64_t buf_size = 0;
  uint32_t servers = 1;
  uint32_t first_server = 0;                 // where rotation starts
  // Start at the node the sequence name hashes to instead, so clients of one
  // sequence share a proposer and rarely collide; others serve when it is down.
  // Server index i must be node i (list addresses in sorted order).
  bool affinity = false;
  // Server index i is node i, so a redirect (which names a node) can be
  // followed. Without it no request of this client may be redirected.
  bool follow_redirects = false;
  // Under affinity, a client that moved away from the home node (it refused
  // or did not answer) sends new requests there again this long after: one
  // refusal at start-up must not leave it on another proposer for good.
  TimeUs home_retry_us = 1'000'000;
  // Adaptive buffer (B > 0 only, like Meituan Leaf's dynamic step): each range
  // should last about adaptive_period_us. A range used up in under half of that
  // doubles the next request, up to adaptive_ids_max; one lasting over twice as
  // long halves it, down to buf_size.
  bool adaptive = false;
  TimeUs adaptive_period_us = 1'000'000;
  uint64_t adaptive_ids_max = 1u << 20;
  TimeUs attempt_timeout_us = 300'000;       // no answer by then: retry elsewhere
  TimeUs retry_backoff_min_us = 1'000;       // after a refusal (not_ready, overloaded, timeout)
  TimeUs retry_backoff_max_us = 100'000;
  // B = 0: callers who wait at once share one request for as many IDs
  // (take_ids's `callers`); off, each caller's request asks for one.
  bool share_requests = true;
  // B > 0: when a prefetch arrives too late, keep more ranges ahead (see the
  // top); off, one request at a time, refilled at half use.
  bool keep_ahead = true;
};

struct ClientGrant {
  uint64_t request = 0;
  TimeUs sent_us = 0;  // first send
  TimeUs received_us = 0;
  uint64_t from = 0;
  uint64_t to = 0;
};

struct ClientOutput {
  std::vector<std::pair<uint32_t, ClientRequest>> sends;  // server index, request
  std::vector<ClientGrant> grants;                         // ranges accepted into the buffer
  std::vector<std::string> errors;                         // final errors (bad name, exhausted)
};

// The node a sequence prefers under affinity.
uint32_t home_server(std::string_view seq, uint32_t servers);

class ClientSession {
 public:
  ClientSession(ClientConfig cfg, uint64_t client_id, uint64_t rng_seed);

  // The next ID if one is buffered; otherwise makes sure a request is on its
  // way and returns nothing (call again after the next reply or timer).
  // `callers` as for take_ids.
  std::optional<uint64_t> take_id(TimeUs now, uint64_t callers = 1);
  // Up to `max` IDs at once, [from, to) from the oldest buffered range, for a
  // caller that hands them out itself; refills as if they were all used.
  // `callers`: how many callers wait for an ID now, this one included; with
  // B = 0 the next request asks for that many (up to shared_request_ids_max).
  std::optional<std::pair<uint64_t, uint64_t>> take_ids(TimeUs now, uint64_t max, uint64_t callers = 1);
  void on_reply(uint32_t server, const ClientReply& r, TimeUs now);
  // The connection to `server` closed (the process died, the server refused
  // us): a request waiting there will not be answered, so it moves on to the
  // next server now instead of waiting out its timeout.
  void on_connection_lost(uint32_t server, TimeUs now);
  void on_timer(TimeUs now);
  std::optional<TimeUs> next_timer() const;
  ClientOutput take_output();

  uint64_t buffered() const;
  // Requests in flight, and how many the client aims to keep (1 until a prefetch came too late).
  size_t in_flight() const { return in_flight_.size(); }
  uint32_t ranges_ahead() const { return ahead_; }
  bool failed() const { return failed_; }
  // The server's refusal that failed the session (meaningful once failed()).
  Status failed_status() const { return failed_status_; }
  const std::string& error() const { return error_; }

 private:
  struct InFlight {
    ClientRequest req;
    TimeUs first_sent_us = 0;
    TimeUs deadline_us = 0;
    TimeUs resend_at_us = 0;  // set while backing off after a refusal
    uint32_t attempts = 0;
    bool waiting = false;     // true: sent, waiting for the answer
    uint32_t sent_to = 0;     // the server of the latest attempt
    // A server this request was redirected to (or asked to serve it after a
    // redirect) that then failed it: no redirect there is followed again.
    uint32_t failed_target = UINT32_MAX;
    bool prefetch = false;    // sent while IDs were still buffered
    bool came_late = false;   // a caller found the buffer empty while it was on its way
  };
  void request(TimeUs now, bool prefetch);
  void note_dry();
  bool wants_refill(bool taken) const;
  void send_attempt(InFlight& f, TimeUs now);
  void back_off(InFlight& f, TimeUs now);
  InFlight* find(uint64_t request);
  void erase(uint64_t request);
  void add_range(uint32_t server, const ClientReply& r, TimeUs sent_us);
  void move_to(uint32_t server, TimeUs now);  // notes when the client leaves its home node
  uint64_t want() const {
    if (cfg_.buf_size > 0) return size_;
    return cfg_.share_requests ? std::clamp<uint64_t>(callers_, 1, shared_request_ids_max) : 1;
  }
  void adapt(TimeUs now);

  ClientConfig cfg_;
  uint64_t client_id_;
  Rng rng_;
  uint64_t next_request_ = 1;
  uint64_t size_ = 0;                      // IDs asked per request (B, or adapted)
  uint64_t callers_ = 1;                   // B = 0: callers waiting, as of the last take_ids
  std::optional<TimeUs> last_request_us_;  // when the previous refill was sent
  struct Range {
    uint64_t from = 0;
    uint64_t to = 0;
    uint64_t request = 0;  // the request it answered
    uint32_t server = 0;   // the server that granted it
    TimeUs sent_us = 0;    // the request's first send
    bool reported = false; // in out_.grants: no longer held
  };
  bool held(const Range& r) const;
  void report_released(TimeUs now);
  std::deque<Range> ranges_;  // buffered [from, to), lowest first
  uint64_t floor_ = 0;  // every ID handed out is below this
  std::deque<InFlight> in_flight_;  // oldest first
  uint32_t ahead_ = 1;  // B > 0: requests the client keeps in flight at most (keep_ahead)
  uint32_t server_ = 0;  // next server to try
  uint32_t home_ = 0;    // where rotation starts (the home node under affinity)
  TimeUs left_home_us_ = 0;  // when a retry last moved server_ off home_
  bool failed_ = false;
  Status failed_status_ = Status::ok;
  std::string error_;
  ClientOutput out_;
};

}  // namespace rrseq
