#include "core/client_session.h"

#include <algorithm>

#include "core/fnv1a.h"

namespace rrseq {
namespace {
// A retry's backoff window doubles with each attempt, this many times at most
// (retry_backoff_max_us caps it well before).
constexpr uint32_t retry_backoff_doublings_max = 10;
}  // namespace

ClientSession::ClientSession(ClientConfig cfg, uint64_t client_id, uint64_t rng_seed)
    : cfg_(std::move(cfg)), client_id_(client_id), rng_(rng_seed) {
  home_ = (cfg_.affinity ? home_server(cfg_.seq, cfg_.servers) : cfg_.first_server) % cfg_.servers;
  server_ = home_;
  size_ = cfg_.buf_size;
}

uint32_t home_server(std::string_view seq, uint32_t servers) {
  return static_cast<uint32_t>(fnv1a(seq) % servers);  // stable across processes and builds
}

uint64_t ClientSession::buffered() const {
  uint64_t n = 0;
  for (const Range& r : ranges_) n += r.to - r.from;
  return n;
}


std::optional<uint64_t> ClientSession::take_id(TimeUs now, uint64_t callers) {
  if (auto r = take_ids(now, 1, callers)) return r->first;
  return std::nullopt;
}

std::optional<std::pair<uint64_t, uint64_t>> ClientSession::take_ids(TimeUs now, uint64_t max, uint64_t callers) {
  if (failed_ || max == 0) return std::nullopt;
  callers_ = callers;
  // Spent ranges, and any that arrived below an ID already handed out (a gap).
  while (!ranges_.empty() && ranges_.front().to <= floor_) ranges_.pop_front();
  std::optional<std::pair<uint64_t, uint64_t>> taken;
  if (!ranges_.empty() && !held(ranges_.front())) {
    Range& r = ranges_.front();
    r.from = std::max(r.from, floor_);  // only a server granting overlapping ranges gets here
    const uint64_t n = std::min(max, r.to - r.from);
    taken.emplace(r.from, r.from + n);
    r.from += n;
    floor_ = r.from;
  } else if (cfg_.buf_size > 0 && cfg_.keep_ahead && !cfg_.adaptive) {
    note_dry();
  }
  while (wants_refill(taken.has_value())) request(now, taken.has_value());
  return taken;
}

// A caller found the buffer empty: if a prefetch is still on its way, it was
// sent too late for this rate of use, so twice as many ranges are kept ahead.
// Once per request, however many callers look meanwhile.
void ClientSession::note_dry() {
  bool late = false;
  for (InFlight& f : in_flight_) {
    late = late || (f.prefetch && !f.came_late);
    f.came_late = true;
  }
  if (late) ahead_ = std::min(ahead_ * 2, ranges_ahead_max);
}

bool ClientSession::wants_refill(bool taken) const {
  if (cfg_.buf_size == 0) return !taken && in_flight_.empty();  // on demand
  if (in_flight_.size() >= ahead_) return false;
  uint64_t coming = 0;
  for (const InFlight& f : in_flight_) coming += f.req.count;
  // At half use of the last range: with one range kept ahead (ahead_ = 1),
  // the seed's double buffering.
  return buffered() + coming <= (ahead_ - 1) * size_ + size_ / 2;
}

void ClientSession::adapt(TimeUs now) {
  if (cfg_.adaptive && cfg_.buf_size > 0 && last_request_us_) {
    const TimeUs lasted = now - *last_request_us_;
    if (lasted < cfg_.adaptive_period_us / 2) {
      size_ = std::min(size_ * 2, std::max(cfg_.adaptive_ids_max, cfg_.buf_size));
    } else if (lasted > cfg_.adaptive_period_us * 2) {
      size_ = std::max(size_ / 2, cfg_.buf_size);
    }
  }
  last_request_us_ = now;
}

void ClientSession::request(TimeUs now, bool prefetch) {
  adapt(now);
  if (cfg_.affinity && server_ != home_ && now - left_home_us_ >= cfg_.home_retry_us) server_ = home_;
  InFlight f;
  f.req = ClientRequest{client_id_, next_request_++, cfg_.seq, want(), cfg_.follow_redirects};
  f.first_sent_us = now;
  f.prefetch = prefetch;
  in_flight_.push_back(std::move(f));
  send_attempt(in_flight_.back(), now);
}

void ClientSession::send_attempt(InFlight& f, TimeUs now) {
  f.attempts += 1;
  f.waiting = true;
  f.deadline_us = now + cfg_.attempt_timeout_us;
  f.sent_to = server_;
  out_.sends.emplace_back(server_, f.req);
}

ClientSession::InFlight* ClientSession::find(uint64_t request) {
  for (InFlight& f : in_flight_) {
    if (f.req.request == request) return &f;
  }
  return nullptr;
}

void ClientSession::erase(uint64_t request) {
  std::erase_if(in_flight_, [&](const InFlight& f) { return f.req.request == request; });
}

void ClientSession::add_range(uint32_t server, const ClientReply& r, TimeUs sent_us) {
  if (r.to <= floor_) return;  // arrived after higher IDs were handed out: never used (a gap)
  auto at = std::upper_bound(ranges_.begin(), ranges_.end(), r.from,
                             [](uint64_t from, const Range& x) { return from < x.from; });
  ranges_.insert(at, Range{r.from, r.to, r.request, server, sent_us});
}

// Ranges no longer held become grants, received now.
void ClientSession::report_released(TimeUs now) {
  for (Range& r : ranges_) {
    if (r.reported || held(r)) continue;
    r.reported = true;
    out_.grants.push_back(ClientGrant{r.request, r.sent_us, now, r.from, r.to});
  }
}

bool ClientSession::held(const Range& r) const {
  for (const InFlight& f : in_flight_) {
    if (f.req.request < r.request && f.waiting && f.sent_to == r.server) return true;
  }
  return false;
}

void ClientSession::move_to(uint32_t server, TimeUs now) {
  if (server_ == home_ && server != home_) left_home_us_ = now;
  server_ = server;
}

void ClientSession::back_off(InFlight& f, TimeUs now) {
  f.waiting = false;
  if (cfg_.follow_redirects) {
    // The next server may redirect this attempt again (7 nodes, seed 12162:
    // requests that had followed one redirect were served wherever they went
    // next, and each such node preempted the one granting), but not back to
    // a server a redirect already sent it to and that failed it.
    if (!f.req.may_redirect) f.failed_target = f.sent_to;
    f.req.may_redirect = true;
  }
  // Once per failing server: other requests in flight there may fail with this one.
  if (server_ == f.sent_to) move_to((server_ + 1) % cfg_.servers, now);
  f.resend_at_us = now + rng_.backoff(cfg_.retry_backoff_min_us, cfg_.retry_backoff_min_us,
                                      std::min(f.attempts, retry_backoff_doublings_max), cfg_.retry_backoff_max_us);
  report_released(now);  // ranges it held are free now
}

void ClientSession::on_reply(uint32_t server, const ClientReply& r, TimeUs now) {
  if (r.client != client_id_) return;
  InFlight* fp = find(r.request);
  if (!fp) return;
  InFlight& f = *fp;
  switch (r.status) {
    case Status::ok:
      if (r.from == 0 || r.to <= r.from || r.to - r.from != f.req.count) {
        out_.errors.push_back("server sent a malformed range; retrying elsewhere");
        back_off(f, now);
        return;
      }
      add_range(server, r, f.first_sent_us);
      erase(f.req.request);
      report_released(now);
      return;
    case Status::not_ready:
    case Status::overloaded:
    case Status::timeout:
    case Status::too_many_requests:
      // Only from the server the attempt waits on: a late refusal from one it
      // already left says nothing of the next (5 nodes, seed 14701: n1's late
      // "timeout" moved a client past n4, the one node that would serve it,
      // and it waited 3 s for a grant).
      if (f.waiting && server == f.sent_to) back_off(f, now);
      return;
    case Status::redirect: {
      if (!f.waiting || server != f.sent_to) return;
      if (!f.req.may_redirect) {  // a node must serve it: a refusal, never a loop of resends
        out_.errors.push_back("server redirected a request that asked not to be; retrying elsewhere");
        back_off(f, now);
        return;
      }
      if (r.redirect_to >= cfg_.servers) {
        out_.errors.push_back("server sent a redirect to node " + std::to_string(r.redirect_to) + " of " +
                              std::to_string(cfg_.servers) + "; asking it to serve the request itself");
      }
      // One redirect per attempt: more could chase a leadership that keeps moving.
      if (r.redirect_to < cfg_.servers && r.redirect_to != server && r.redirect_to != f.failed_target) {
        move_to(r.redirect_to, now);
      }  // else the server that redirected is asked to serve it
      f.req.may_redirect = false;
      send_attempt(f, now);
      report_released(now);  // ranges it held at the server that redirected are free now
      return;
    }
    case Status::invalid_name:
    case Status::invalid_count:
    case Status::exhausted:
    case Status::too_many_sequences:  // sequences are never removed: waiting does not help
    case Status::permission_denied:
      failed_ = true;
      failed_status_ = r.status;
      error_ = "server refused the request: " + status_text(r.status);
      out_.errors.push_back(error_);
      in_flight_.clear();
      return;
  }
}

void ClientSession::on_connection_lost(uint32_t server, TimeUs now) {
  for (InFlight& f : in_flight_) {
    if (f.waiting && f.sent_to == server) back_off(f, now);
  }
}

void ClientSession::on_timer(TimeUs now) {
  for (InFlight& f : in_flight_) {
    if (f.waiting && now >= f.deadline_us) {
      back_off(f, now);  // no answer: the next attempt goes to the next server
    } else if (!f.waiting && now >= f.resend_at_us) {
      send_attempt(f, now);
    }
  }
}

std::optional<TimeUs> ClientSession::next_timer() const {
  std::optional<TimeUs> t;
  for (const InFlight& f : in_flight_) {
    const TimeUs at = f.waiting ? f.deadline_us : f.resend_at_us;
    if (!t || at < *t) t = at;
  }
  return t;
}

ClientOutput ClientSession::take_output() {
  ClientOutput o = std::move(out_);
  out_ = ClientOutput{};
  return o;
}

}  // namespace rrseq
