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
  for (const auto& [from, to] : ranges_) n += to - from;
  return n;
}


std::optional<uint64_t> ClientSession::take_id(TimeUs now, uint64_t callers) {
  if (auto r = take_ids(now, 1, callers)) return r->first;
  return std::nullopt;
}

std::optional<std::pair<uint64_t, uint64_t>> ClientSession::take_ids(TimeUs now, uint64_t max, uint64_t callers) {
  if (failed_ || max == 0) return std::nullopt;
  callers_ = callers;
  while (!ranges_.empty() && ranges_.front().first == ranges_.front().second) ranges_.pop_front();
  std::optional<std::pair<uint64_t, uint64_t>> taken;
  if (!ranges_.empty()) {
    auto& [from, to] = ranges_.front();
    const uint64_t n = std::min(max, to - from);
    taken.emplace(from, from + n);
    from += n;
  }
  // Refill at half use (B > 0), or on demand when nothing is left (B = 0 or empty).
  const bool low = cfg_.buf_size > 0 ? buffered() <= size_ / 2 : !taken;
  if (low && !in_flight_) request(now);
  return taken;
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

void ClientSession::request(TimeUs now) {
  adapt(now);
  if (cfg_.affinity && server_ != home_ && now - left_home_us_ >= cfg_.home_retry_us) server_ = home_;
  InFlight f;
  f.req = ClientRequest{client_id_, next_request_++, cfg_.seq, want(), cfg_.follow_redirects};
  f.first_sent_us = now;
  in_flight_ = std::move(f);
  send_attempt(now);
}

void ClientSession::send_attempt(TimeUs now) {
  InFlight& f = *in_flight_;
  f.attempts += 1;
  f.waiting = true;
  f.deadline_us = now + cfg_.attempt_timeout_us;
  f.sent_to = server_;
  out_.sends.emplace_back(server_, f.req);
}

void ClientSession::move_to(uint32_t server, TimeUs now) {
  if (server_ == home_ && server != home_) left_home_us_ = now;
  server_ = server;
}

void ClientSession::back_off(TimeUs now) {
  InFlight& f = *in_flight_;
  f.waiting = false;
  if (cfg_.follow_redirects) {
    // The next server may redirect this attempt again (7 nodes, seed 12162:
    // requests that had followed one redirect were served wherever they went
    // next, and each such node preempted the one granting), but not back to
    // a server a redirect already sent it to and that failed it.
    if (!f.req.may_redirect) f.failed_target = f.sent_to;
    f.req.may_redirect = true;
  }
  move_to((server_ + 1) % cfg_.servers, now);
  f.resend_at_us = now + rng_.backoff(cfg_.retry_backoff_min_us, cfg_.retry_backoff_min_us,
                                      std::min(f.attempts, retry_backoff_doublings_max), cfg_.retry_backoff_max_us);
}

void ClientSession::on_reply(uint32_t server, const ClientReply& r, TimeUs now) {
  if (!in_flight_ || r.request != in_flight_->req.request || r.client != client_id_) return;
  switch (r.status) {
    case Status::ok:
      if (r.from == 0 || r.to <= r.from || r.to - r.from != in_flight_->req.count) {
        out_.errors.push_back("server sent a malformed range; retrying elsewhere");
        back_off(now);
        return;
      }
      ranges_.emplace_back(r.from, r.to);
      out_.grants.push_back(ClientGrant{r.request, in_flight_->first_sent_us, now, r.from, r.to});
      in_flight_.reset();
      return;
    case Status::not_ready:
    case Status::overloaded:
    case Status::timeout:
    case Status::too_many_requests:
      // Only from the server the attempt waits on: a late refusal from one it
      // already left says nothing of the next (5 nodes, seed 14701: n1's late
      // "timeout" moved a client past n4, the one node that would serve it,
      // and it waited 3 s for a grant).
      if (in_flight_->waiting && server == in_flight_->sent_to) back_off(now);
      return;
    case Status::redirect: {
      if (!in_flight_->waiting || server != in_flight_->sent_to) return;
      InFlight& f = *in_flight_;
      if (!f.req.may_redirect) {  // a node must serve it: a refusal, never a loop of resends
        out_.errors.push_back("server redirected a request that asked not to be; retrying elsewhere");
        back_off(now);
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
      send_attempt(now);
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
      in_flight_.reset();
      return;
  }
}

void ClientSession::on_connection_lost(uint32_t server, TimeUs now) {
  if (in_flight_ && in_flight_->waiting && in_flight_->sent_to == server) back_off(now);
}

void ClientSession::on_timer(TimeUs now) {
  if (!in_flight_) return;
  InFlight& f = *in_flight_;
  if (f.waiting && now >= f.deadline_us) {
    back_off(now);  // no answer: the next attempt goes to the next server
  } else if (!f.waiting && now >= f.resend_at_us) {
    send_attempt(now);
  }
}

std::optional<TimeUs> ClientSession::next_timer() const {
  if (!in_flight_) return std::nullopt;
  return in_flight_->waiting ? in_flight_->deadline_us : in_flight_->resend_at_us;
}

ClientOutput ClientSession::take_output() {
  ClientOutput o = std::move(out_);
  out_ = ClientOutput{};
  return o;
}

}  // namespace rrseq
