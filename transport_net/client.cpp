// rrseq::Client over TCP: a thin driver of core/ClientSession.
//
// An asio::io_context owns every connection (one FrameConn per server, made on
// demand) and the session's timer, and turns replies into session inputs. No
// thread of its own runs it: a caller of next() that has to wait drives it
// (one at a time; the others wait on a condition variable), so a reply wakes
// the thread that wants it and nothing else. The session sits behind one mutex.
// next() first claims an ID from the window, the range it leased from the
// session last, with one compare-and-swap and no lock; only when the window is
// empty does it take the mutex and lease the next range (the session then
// prefetches another, which the caller sends before it returns). Unbuffered,
// the callers waiting at once share one request for as many IDs.
#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/client_session.h"
#include "core/codec.h"
#include "core/limits.h"
#include "rrseq/client.h"
#include "transport_net/address.h"
#include "transport_net/frame_conn.h"
#include "transport_net/handshake.h"

namespace rrseq {
namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

// Bounds on options, with units.
inline constexpr int64_t client_deadline_ms_max = 24 * 3600 * 1000;         // one day
inline constexpr int64_t client_request_timeout_ms_max = 3600 * 1000;       // one hour
inline constexpr size_t cluster_name_bytes_max = 255;

uint64_t random_u64() {
  std::random_device rd;
  uint64_t v = 0;
  while (v == 0) v = (uint64_t{rd()} << 32) ^ uint64_t{rd()};
  return v;
}

std::optional<std::string> check_options(const ClientOptions& o, std::vector<Address>* servers) {
  if (o.servers.empty()) return "servers: at least one server address is needed";
  if (o.servers.size() > cluster_nodes_max)
    return "servers: " + std::to_string(o.servers.size()) + " given, at most " + std::to_string(cluster_nodes_max) +
           " (cluster_nodes_max)";
  for (const auto& text : o.servers) {
    std::string err;
    auto a = parse_address(text, &err);
    if (!a) return "servers: " + err;
    if (a->port == 0) return "servers: address '" + text + "' has port 0; give the port the server listens on";
    servers->push_back(*a);
  }
  if (!valid_seq_name(o.sequence))
    return "sequence: '" + o.sequence + "' is not a valid name (1.." + std::to_string(seq_name_bytes_max) +
           " of [A-Za-z0-9_.-])";
  if (o.buffer_size > range_ids_max)
    return "buffer_size: " + std::to_string(o.buffer_size) + " is over range_ids_max (" +
           std::to_string(range_ids_max) + ")";
  if (o.cluster.empty() || o.cluster.size() > cluster_name_bytes_max)
    return "cluster: name must be 1.." + std::to_string(cluster_name_bytes_max) + " bytes";
  if (o.deadline.count() <= 0 || o.deadline.count() > client_deadline_ms_max)
    return "deadline: " + std::to_string(o.deadline.count()) + " ms is not in 1.." +
           std::to_string(client_deadline_ms_max) + " ms";
  if (o.request_timeout.count() <= 0 || o.request_timeout.count() > client_request_timeout_ms_max)
    return "request_timeout: " + std::to_string(o.request_timeout.count()) + " ms is not in 1.." +
           std::to_string(client_request_timeout_ms_max) + " ms";
  if (o.adaptive && (o.adaptive_period.count() <= 0 || o.adaptive_ids_max < o.buffer_size ||
                     o.adaptive_ids_max > range_ids_max))
    return "adaptive: adaptive_period must be > 0 and adaptive_ids_max in buffer_size.." +
           std::to_string(range_ids_max);
  // Under affinity server index i must be node i: the servers sort their addresses too.
  if (o.affinity) {
    std::sort(servers->begin(), servers->end(), [](const Address& a, const Address& b) { return a.text < b.text; });
  }
  return std::nullopt;
}

// What a refusal that fails the session means to a program.
NextError refusal_kind(Status s) {
  switch (s) {
    case Status::invalid_name: return NextError::invalid_sequence;
    case Status::exhausted: return NextError::exhausted;
    case Status::too_many_sequences: return NextError::too_many_sequences;
    default: return NextError::refused;
  }
}

class NetClient final : public Client {
 public:
  NetClient(const ClientOptions& o, std::vector<Address> servers)
      : options_(o),
        client_id_(random_u64()),
        start_(Clock::now()),
        attempt_timeout_us_(static_cast<TimeUs>(o.request_timeout.count()) * 1000),
        session_(session_config(o, servers.size()), client_id_, random_u64()),
        work_(asio::make_work_guard(io_)),
        timer_(io_) {
    for (auto& a : servers) {
      slots_.emplace_back();
      slots_.back().addr = std::move(a);
    }
  }
  ~NetClient() override { close(); }

  NextResult next() override;
  void close() override;

 private:
  // Claims the window's next ID, if any is left; lock-free.
  std::optional<uint64_t> claim();
  // Under mu_: makes [from, to) the window.
  void lease(uint64_t from, uint64_t to);

  // One server: its connection, or the attempt to make one.
  struct Slot {
    Address addr;
    std::shared_ptr<FrameConn> conn;  // set while open
    bool hello_seen = false;          // the server answered our Hello on this connection
    bool connecting = false;
    uint64_t generation = 0;          // tells this connection's callbacks from older ones
    std::shared_ptr<tcp::socket> connect_socket;
    std::shared_ptr<tcp::resolver> resolver;
    std::shared_ptr<asio::steady_timer> connect_timer;
    std::vector<ClientRequest> queued;  // waiting for the connection
    std::string last_error;             // shown when next() gives up
  };
  // The request the session last sent, so a dead connection can be reported to it.
  struct Pending {
    bool active = false;
    uint32_t server = 0;
    uint64_t request = 0;
    TimeUs sent_us = 0;
  };
  using Sends = std::vector<std::pair<uint32_t, ClientRequest>>;

  static ClientConfig session_config(const ClientOptions& o, size_t servers) {
    ClientConfig c;
    c.seq = o.sequence;
    c.buf_size = o.buffer_size;
    c.servers = static_cast<uint32_t>(servers);
    c.attempt_timeout_us = static_cast<TimeUs>(o.request_timeout.count()) * 1000;  // as attempt_timeout_us_
    c.affinity = o.affinity;
    c.follow_redirects = o.affinity;  // then the list is sorted: server i is node i (check_options)
    c.adaptive = o.adaptive;
    c.adaptive_period_us = static_cast<TimeUs>(o.adaptive_period.count()) * 1000;
    c.adaptive_ids_max = o.adaptive_ids_max;
    c.share_requests = o.share_requests;
    c.keep_ahead = o.keep_ahead;
    return c;
  }
  TimeUs now_us() const {
    return static_cast<TimeUs>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count());
  }

  // All below run on the io thread with mu_ held.
  void dispatch(const Sends& sends, TimeUs now);
  void pump(TimeUs now);
  void arm_timer();
  void on_timer_fired(uint64_t gen);
  void connect(uint32_t i);
  void on_connected(uint32_t i, tcp::socket socket);
  void connect_failed(uint32_t i, const std::string& reason);
  void on_message(uint32_t i, uint64_t gen, Message&& m);
  void on_conn_closed(uint32_t i, uint64_t gen, const std::string& reason);
  void connection_lost(uint32_t i);
  void shutdown_io();
  // Runs the io_context without mu_: until one handler ran or `until` passed,
  // or (no time given) only what is ready now. One thread at a time.
  void drive(std::unique_lock<std::mutex>& lock, std::optional<Clock::time_point> until);
  NextResult next_locked(std::unique_lock<std::mutex>& lock, Clock::time_point deadline);
  std::string give_up_message() const;

  const ClientOptions options_;
  const uint64_t client_id_;
  const Clock::time_point start_;
  const TimeUs attempt_timeout_us_;

  // The window: IDs [window_next_, window_end_) are granted and not yet handed
  // out. Both only grow (ranges granted to one client increase), so a claim
  // that read an old end can never take an ID of a newer window by mistake.
  std::atomic<uint64_t> window_next_{0};
  std::atomic<uint64_t> window_end_{0};
  std::atomic<bool> closed_flag_{false};  // closed_, readable without mu_

  std::mutex mu_;  // guards everything below except io_/work_
  std::condition_variable cv_;
  ClientSession session_;
  bool closed_ = false;
  bool driving_ = false;  // a thread is running io_
  size_t waiters_ = 0;    // threads blocked on cv_
  uint64_t callers_ = 0;  // threads in next() past the window: an unbuffered request asks one ID each
  Pending pending_;
  std::optional<TimeUs> timer_at_;
  uint64_t timer_gen_ = 0;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer timer_;
  std::vector<Slot> slots_;  // after io_: destroyed before it
  std::mutex close_mu_;
};

std::optional<uint64_t> NetClient::claim() {
  // Load the end first: lease() publishes the start before the end, so an end
  // read here is never ahead of the start read next.
  const uint64_t end = window_end_.load(std::memory_order_acquire);
  uint64_t id = window_next_.load(std::memory_order_acquire);
  // A compare-and-swap, not fetch_add: the cursor never passes the end, so it
  // cannot wrap when a window ends at 2^64 - 1.
  while (id < end) {
    if (window_next_.compare_exchange_weak(id, id + 1, std::memory_order_acq_rel)) return id;
  }
  return std::nullopt;
}

void NetClient::lease(uint64_t from, uint64_t to) {
  window_next_.store(from, std::memory_order_release);
  window_end_.store(to, std::memory_order_release);
}

NextResult NetClient::next() {
  if (closed_flag_.load(std::memory_order_relaxed)) return NextResult{0, "client is closed", NextError::closed};
  if (auto id = claim()) return NextResult{*id, {}};
  const auto deadline = Clock::now() + options_.deadline;
  std::unique_lock lock(mu_);
  ++callers_;
  NextResult r = next_locked(lock, deadline);
  --callers_;
  // IDs left in the window (a shared request's): every waiter may take one.
  // Otherwise pass the baton: one waiter wakes to drive, and each that leaves
  // wakes the next, so waiters do not all wake for nothing.
  if (waiters_ > 0) {
    if (window_next_.load(std::memory_order_relaxed) < window_end_.load(std::memory_order_relaxed)) {
      cv_.notify_all();
    } else {
      cv_.notify_one();
    }
  }
  return r;
}

NextResult NetClient::next_locked(std::unique_lock<std::mutex>& lock, Clock::time_point deadline) {
  // Leases the session's oldest range and hands out its first ID.
  bool leased = false;
  auto take = [this, &leased](TimeUs now) -> std::optional<uint64_t> {
    if (auto id = claim()) return id;  // another thread leased meanwhile
    auto range = session_.take_ids(now, range_ids_max, callers_);
    if (!range) return std::nullopt;
    lease(range->first + 1, range->second);
    leased = true;
    return range->first;
  };
  while (true) {
    if (closed_) return NextResult{0, "client is closed", NextError::closed};
    if (session_.failed()) {
      return NextResult{0, "sequence '" + options_.sequence + "': " + session_.error(),
                        refusal_kind(session_.failed_status())};
    }
    const TimeUs now = now_us();
    std::optional<uint64_t> id = take(now);
    ClientOutput out = session_.take_output();
    const bool sending = !out.sends.empty();
    if (sending) {
      // A request (or a prefetch): whoever drives io_ next sends it and arms the timer.
      asio::post(io_, [this, sends = std::move(out.sends), now] {
        std::lock_guard g(mu_);
        if (closed_) return;
        dispatch(sends, now);
        arm_timer();
      });
    }
    if (id) {
      // The prefetch leaves now; and with ranges on their way, those that
      // arrived are taken in, so the next refill is not held back until the
      // buffer runs dry.
      if ((sending || (leased && session_.in_flight() > 0)) && !driving_) drive(lock, std::nullopt);
      return NextResult{*id, {}};
    }
    if (Clock::now() >= deadline) return NextResult{0, give_up_message(), NextError::unavailable};
    if (!driving_) {
      drive(lock, deadline);
    } else {
      ++waiters_;
      cv_.wait_until(lock, deadline);
      --waiters_;
    }
  }
}

void NetClient::drive(std::unique_lock<std::mutex>& lock, std::optional<Clock::time_point> until) {
  driving_ = true;
  lock.unlock();
  if (until) {
    io_.run_one_until(*until);
  } else {
    io_.poll();
  }
  lock.lock();
  driving_ = false;
  // The driver loops until it has its ID, then passes the baton (next()): no
  // need to wake anyone here, except close() waiting for the driver to leave.
  if (closed_) cv_.notify_all();
}

std::string NetClient::give_up_message() const {
  std::string m = "no ID within " + std::to_string(options_.deadline.count()) +
                  " ms: no quorum answered (servers ";
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (i) m += ", ";
    m += slots_[i].addr.text;
  }
  m += "; last errors: ";
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (i) m += "; ";
    m += slots_[i].addr.text + ": " + (slots_[i].last_error.empty() ? "no error seen" : slots_[i].last_error);
  }
  return m + ")";
}

void NetClient::dispatch(const Sends& sends, TimeUs now) {
  for (const auto& [i, req] : sends) {
    pending_ = Pending{true, i, req.request, now};
    Slot& s = slots_.at(i);
    if (s.conn && s.conn->is_open()) {
      s.conn->send(req);  // on failure the connection closes and on_conn_closed reports it
    } else {
      // Only the latest attempt of each request matters.
      std::erase_if(s.queued, [&](const ClientRequest& q) { return q.request == req.request; });
      s.queued.push_back(req);
      connect(i);
    }
  }
}

void NetClient::pump(TimeUs now) {
  ClientOutput out = session_.take_output();
  dispatch(out.sends, now);
  arm_timer();
  // Grants need no wake-up: this runs on the driving thread, which looks again
  // once the handler returns and passes the baton on when it leaves next().
  if (session_.failed()) cv_.notify_all();
}

void NetClient::arm_timer() {
  const std::optional<TimeUs> at = session_.next_timer();
  if (at == timer_at_) return;
  timer_at_ = at;
  const uint64_t gen = ++timer_gen_;
  if (!at) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(start_ + std::chrono::microseconds(*at));
  timer_.async_wait([this, gen](const asio::error_code& ec) {
    if (ec) return;
    on_timer_fired(gen);
  });
}

void NetClient::on_timer_fired(uint64_t gen) {
  std::lock_guard g(mu_);
  if (closed_ || gen != timer_gen_) return;
  timer_at_.reset();
  const TimeUs now = now_us();
  if (pending_.active && now >= pending_.sent_us + attempt_timeout_us_) {
    slots_[pending_.server].last_error =
        "no answer within " + std::to_string(options_.request_timeout.count()) + " ms (request_timeout)";
    pending_.active = false;
  }
  session_.on_timer(now);
  pump(now);
}

void NetClient::connect(uint32_t i) {
  Slot& s = slots_[i];
  if (s.connecting) return;
  s.conn.reset();
  s.connecting = true;
  const uint64_t gen = ++s.generation;
  s.connect_socket = std::make_shared<tcp::socket>(io_);
  s.resolver = std::make_shared<tcp::resolver>(io_);
  s.connect_timer = std::make_shared<asio::steady_timer>(io_);
  auto stale = [this, i, gen] { return closed_ || slots_[i].generation != gen || !slots_[i].connecting; };

  // A connect that hangs (a black-holed address) counts as failed after request_timeout.
  s.connect_timer->expires_after(options_.request_timeout);
  s.connect_timer->async_wait([this, i, stale](const asio::error_code& ec) {
    if (ec) return;
    std::lock_guard g(mu_);
    if (stale()) return;
    connect_failed(i, "connect timed out after " + std::to_string(options_.request_timeout.count()) + " ms");
  });
  s.resolver->async_resolve(
      s.addr.connect_host(), std::to_string(s.addr.port),
      [this, i, stale, socket = s.connect_socket](const asio::error_code& ec, tcp::resolver::results_type results) {
        std::lock_guard g(mu_);
        if (stale()) return;
        if (ec) return connect_failed(i, "cannot resolve '" + slots_[i].addr.connect_host() + "': " + ec.message());
        asio::async_connect(*socket, results, [this, i, stale, socket](const asio::error_code& ec2, const tcp::endpoint&) {
          std::lock_guard g2(mu_);
          if (stale()) return;
          if (ec2) return connect_failed(i, "connect: " + ec2.message());
          on_connected(i, std::move(*socket));
        });
      });
}

void NetClient::connect_failed(uint32_t i, const std::string& reason) {
  Slot& s = slots_[i];
  s.connecting = false;
  s.last_error = reason;
  s.queued.clear();
  asio::error_code ignored;
  if (s.connect_socket) s.connect_socket->close(ignored);
  if (s.resolver) s.resolver->cancel();
  if (s.connect_timer) s.connect_timer->cancel();
  s.connect_socket.reset();
  s.resolver.reset();
  s.connect_timer.reset();
  connection_lost(i);
}

void NetClient::on_connected(uint32_t i, tcp::socket socket) {
  Slot& s = slots_[i];
  s.connecting = false;
  if (s.connect_timer) s.connect_timer->cancel();
  s.connect_socket.reset();
  s.resolver.reset();
  s.connect_timer.reset();
  const uint64_t gen = s.generation;
  s.hello_seen = false;
  s.conn = FrameConn::make(std::move(socket), s.addr.text);
  s.conn->start(
      [this, i, gen](Message&& m) {
        std::lock_guard g(mu_);
        on_message(i, gen, std::move(m));
      },
      // close() may run while mu_ is held: handle it later, from the io loop.
      [this, i, gen](const std::string& reason) {
        asio::post(io_, [this, i, gen, reason] {
          std::lock_guard g(mu_);
          on_conn_closed(i, gen, reason);
        });
      });
  s.conn->send(HandshakeMessage{Hello{static_cast<uint32_t>(Role::client), 0, 0, cluster_id(options_.cluster)}});
  for (const auto& req : s.queued) s.conn->send(req);
  s.queued.clear();
}

void NetClient::on_message(uint32_t i, uint64_t gen, Message&& m) {
  Slot& s = slots_[i];
  if (closed_ || s.generation != gen || !s.conn) return;
  // A client connection: the server's Hello, then replies only (handshake.h).
  if (!s.hello_seen) {
    const auto* h = std::get_if<Hello>(&m);
    if (!h) return s.conn->close(std::string("server sent ") + message_name(m) + " before its Hello");
    s.hello_seen = true;
    if (h->cluster != cluster_id(options_.cluster))
      s.conn->close("server belongs to another cluster (is --cluster '" + options_.cluster + "' right?)");
    return;
  }
  const auto* r = std::get_if<ClientReply>(&m);
  if (!r) return s.conn->close(std::string("server sent ") + message_name(m) + " on a client connection");
  if (r->client != client_id_) return;
  if (r->status != Status::ok && r->status != Status::redirect) {
    s.last_error = "refused: " + status_text(r->status);  // a redirect is no refusal
  }
  if (pending_.active && pending_.request == r->request) pending_.active = false;
  const TimeUs now = now_us();
  session_.on_reply(i, *r, now);
  pump(now);
}

void NetClient::on_conn_closed(uint32_t i, uint64_t gen, const std::string& reason) {
  Slot& s = slots_[i];
  if (closed_ || s.generation != gen) return;
  s.conn.reset();
  s.last_error = "connection lost: " + reason;
  if (!s.hello_seen)
    s.last_error += " before answering our Hello (is the cluster name '" + options_.cluster +
                    "' right, or is the server at its client connection limit?)";
  connection_lost(i);
}

// The connection to server i is gone: the session decides what that means for its request.
void NetClient::connection_lost(uint32_t i) {
  if (pending_.active && pending_.server == i) pending_.active = false;
  const TimeUs now = now_us();
  session_.on_connection_lost(i, now);
  pump(now);
}

void NetClient::shutdown_io() {
  std::lock_guard g(mu_);
  asio::error_code ignored;
  timer_.cancel();
  for (auto& s : slots_) {
    if (s.conn) s.conn->close("client closed");
    s.conn.reset();
    if (s.connect_socket) s.connect_socket->close(ignored);
    if (s.resolver) s.resolver->cancel();
    if (s.connect_timer) s.connect_timer->cancel();
    s.connecting = false;
  }
}

void NetClient::close() {
  std::lock_guard close_guard(close_mu_);
  std::unique_lock lock(mu_);
  if (closed_) return;
  closed_ = true;
  closed_flag_.store(true, std::memory_order_relaxed);
  cv_.notify_all();
  // Shut the connections from io_; the post also wakes a driver waiting in it.
  asio::post(io_, [this] { shutdown_io(); });
  ++waiters_;
  cv_.wait(lock, [this] { return !driving_; });
  --waiters_;
  drive(lock, std::nullopt);
  work_.reset();
  io_.stop();  // handlers still queued are destroyed with io_
}

}  // namespace

std::unique_ptr<Client> Client::connect(const ClientOptions& options, std::string* error) {
  std::vector<Address> servers;
  if (auto e = check_options(options, &servers)) {
    if (error) *error = *e;
    return nullptr;
  }
  return std::make_unique<NetClient>(options, std::move(servers));
}

}  // namespace rrseq
