#include "transport_net/server.h"

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/invariant.h"
#include "core/limits.h"
#include "core/node_host.h"
#include "transport_net/client_conns.h"
#include "transport_net/frame_conn.h"
#include "transport_net/handshake.h"
#include "transport_net/log.h"
#include "transport_net/door.h"
#include "transport_net/grpc_door.h"
#include "transport_net/http_door.h"
#include "transport_net/http_routes.h"
#include "transport_net/net_limits.h"
#include "transport_net/open_files.h"
#include "transport_net/peer_auth.h"
#include "transport_net/posix_env.h"
#include "transport_net/server_metrics.h"

namespace rrseq {

using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {
LogLevel host_log_level(HostLogLevel level) {
  switch (level) {
    case HostLogLevel::info: return LogLevel::info;
    case HostLogLevel::warn: return LogLevel::warn;
    case HostLogLevel::error: return LogLevel::error;
  }
  return LogLevel::error;
}
}  // namespace

class Server::Impl final : public NodeDoor {
 public:
  explicit Impl(ServerConfig cfg)
      : cfg_(std::move(cfg)), acceptor_(io_), accept_retry_(io_), timer_(io_), clients_(cfg_.max_client_connections) {
    set_log_level(cfg_.log_level);  // the log is process-wide
  }

  ~Impl() override {
    close_doors();
    stop_disk_thread();
  }

  Result open() {
    asio::error_code ec;
    const auto addr = asio::ip::make_address(cfg_.listen.listen_host(), ec);
    if (ec) return Result::error("listen address '" + cfg_.listen.text + "': " + ec.message());
    const tcp::endpoint ep(addr, cfg_.listen.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Result::error("listen on " + cfg_.listen.text + ": " + ec.message());
    if (cfg_.http) {
      routes_ = HttpRoutes{this, [this] { return render_metrics(); }, cfg_.admin_token};
      http_ = std::make_unique<HttpDoor>(io_, [this](const HttpRequest& req, HttpDoor::Reply reply) {
        route_http(routes_, req, std::move(reply));
      });
      if (Result r = http_->open(*cfg_.http); !r.is_ok()) return r;
    }
    if (cfg_.grpc) {
      grpc_ = std::make_unique<GrpcDoor>(*this, cfg_.admin_token);
      if (Result r = grpc_->open(*cfg_.grpc); !r.is_ok()) return r;
    }
    return Result::ok();
  }

  std::string http_address() const { return http_ ? http_->bound_address() : std::string(); }
  std::string grpc_address() const { return grpc_ ? grpc_->bound_address() : std::string(); }

  // ---- NodeDoor: the gRPC and HTTP doors' calls ----
  void call(DoorCall c, Done done) override {
    {
      std::lock_guard lock(door_mu_);
      if (door_open_) {
        asio::post(io_, [this, c = std::move(c), done = std::move(done)]() mutable { take_call(std::move(c), std::move(done)); });
        return;
      }
    }
    done(DoorAnswer{Status::not_ready});
  }

  void list(std::function<void(std::vector<SeqBound>)> done) override {
    asio::post(io_, [this, done = std::move(done)] {
      std::vector<SeqBound> out;
      if (host_) {
        for (const auto& [name, st] : host_->node().acceptor().state().sequences) out.push_back({name, st.value});
      }
      done(out);
    });
  }

  bool ready() const override {
    if (!host_ || !host_->node().serving()) return false;
    uint32_t up = 1;  // this node
    for (const auto& p : peers_) up += p && p->up;
    return up >= majority(nodes_);
  }

  std::string bound_address() const {
    asio::error_code ec;
    const auto port = acceptor_.local_endpoint(ec).port();
    return cfg_.listen.host + ":" + std::to_string(port);
  }

  Result start(const std::vector<Address>& peers) {
    if (Result r = place_nodes(peers); !r.is_ok()) return r;
    auth_cfg_ = PeerAuthConfig{cfg_.cluster_key ? std::make_shared<const std::string>(*cfg_.cluster_key) : nullptr,
                               cfg_.cluster, nodes_, self_};
    if (!cfg_.cluster_key) {
      log(LogLevel::warn, "peers are NOT authenticated: anyone who can reach " + bound_address() +
                              " can act as a peer and corrupt every sequence; give each node --cluster-key FILE");
    }
    if (nodes_ % 2 == 0) log(LogLevel::warn, "an even cluster size (" + std::to_string(nodes_) + ") tolerates no more failures than one node fewer");
    if (Result r = open_host(); !r.is_ok()) return r;
    set_connection_limits();
    if (!cfg_.data_dir.empty()) disk_thread_ = std::thread([this] { disk_loop(); });  // durable
    start_doors();
    accept_next();
    for (uint32_t i = 0; i < nodes_; ++i) {
      if (peers_[i]) connect_peer(i);
    }
    drain();
    return Result::ok();
  }

  std::string run() {
    io_.run();
    close_doors();
    return stop_reason_;
  }

  // Closes every socket first, so clients and peers see this node gone at once
  // instead of waiting out their timeouts, then ends run().
  void stop() {
    asio::post(io_, [this] {
      asio::error_code ignored;
      acceptor_.close(ignored);
      if (http_) http_->close();
      fail_door_calls();
      clients_.close_all("server stopping");
      for (auto& p : peers_) {
        if (p && p->conn) p->conn->close("server stopping");
      }
      io_.stop();
    });
  }

 private:
  // The node's index is its place in the sorted list of every address, so
  // all nodes agree on it when they are given the same address strings.
  Result place_nodes(const std::vector<Address>& peers) {
    std::vector<std::string> all{cfg_.listen.port == 0 ? bound_address() : cfg_.listen.text};
    for (const auto& p : peers) all.push_back(p.text);
    std::vector<std::string> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return Result::error("an address is listed twice: " + *std::adjacent_find(sorted.begin(), sorted.end()));
    }
    if (sorted.size() > cluster_nodes_max) {
      return Result::error("at most " + std::to_string(cluster_nodes_max) + " nodes in a cluster, got " +
                           std::to_string(sorted.size()));
    }
    nodes_ = static_cast<uint32_t>(sorted.size());
    self_ = static_cast<uint32_t>(std::find(sorted.begin(), sorted.end(), all[0]) - sorted.begin());
    name_ = "n" + std::to_string(self_);
    peers_.resize(nodes_);
    for (const auto& p : peers) {
      const auto idx = static_cast<uint32_t>(std::find(sorted.begin(), sorted.end(), p.text) - sorted.begin());
      peers_[idx] = std::make_unique<Peer>(io_, p);
    }
    return Result::ok();
  }

  // The node and its storage: recovered from the data directory, or in memory.
  Result open_host() {
    HostConfig hcfg;
    hcfg.node.self = self_;
    hcfg.node.nodes = nodes_;
    hcfg.node.protocol = cfg_.protocol;
    hcfg.node.speedups = cfg_.speedups;
    hcfg.node.durable = !cfg_.data_dir.empty();
    hcfg.data_dir = cfg_.data_dir;
    hcfg.rejoin_if_corrupt = cfg_.rejoin_if_corrupt;
    hcfg.compact_log_bytes = cfg_.compact_log_bytes;
    const bool durable = hcfg.node.durable;
    t0_ = SteadyClock::now();
    const uint64_t seed = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
    if (Result r = NodeHost::open(env_, std::move(hcfg), seed, now_us(), &host_); !r.is_ok()) return r;
    log(LogLevel::info, "listening on " + bound_address() + " as node " + std::to_string(self_) + " of " +
                            std::to_string(nodes_) + " (" + protocol_name(cfg_.protocol) + ", " +
                            (durable ? "durable in " + cfg_.data_dir : std::string("memory mode")) + ")");
    return Result::ok();
  }

  void start_doors() {
    if (http_) {
      http_->start();
      log(LogLevel::info, "HTTP at http://" + http_->bound_address() + " (/v1/sequences/NAME/next, /metrics)");
    }
    if (grpc_) log(LogLevel::info, "gRPC at " + grpc_->bound_address() + " (pb.RRAPI, rrseq.v1.Sequences)");
    if ((http_ || grpc_) && !cfg_.admin_token) log(LogLevel::info, "no --admin-token: admin calls (advance) are refused");
  }

  struct Peer {
    Peer(asio::io_context& io, Address a) : addr(std::move(a)), retry(io) {}
    Address addr;
    std::shared_ptr<FrameConn> conn;
    bool connecting = false;
    bool up = false;
    uint64_t backoff_ms = reconnect_delay_ms_min;
    asio::steady_timer retry;
  };

  TimeUs now_us() const {
    return static_cast<TimeUs>(
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0_).count());
  }

  void log(LogLevel level, const std::string& text) { log_line(level, name_ + ": " + text); }

  void fatal(const std::string& reason) {
    log(LogLevel::error, reason + "; stopping");
    if (stop_reason_.empty()) stop_reason_ = reason;
    io_.stop();
  }

  // ---- accepting connections: clients and peers ----
  // Peers have room beyond the clients' limit, so a node full of clients can
  // still be reached by its peers; the open files limit caps both.
  void set_connection_limits() {
    const uint64_t fds = open_files_limit();
    const size_t by_fds =
        fds > fds_reserved + cluster_nodes_max ? static_cast<size_t>(fds - fds_reserved) : cluster_nodes_max + 1;
    accepted_max_ = std::min(cfg_.max_client_connections + cluster_nodes_max, by_fds);
    clients_ = ClientConns(std::min(cfg_.max_client_connections, accepted_max_ - cluster_nodes_max));
    log(clients_.connections_max() < cfg_.max_client_connections ? LogLevel::warn : LogLevel::info,
        "serving up to " + std::to_string(clients_.connections_max()) + " client connections (asked for " +
            std::to_string(cfg_.max_client_connections) + ", open files limit " +
            (fds == UINT64_MAX ? std::string("unlimited") : std::to_string(fds)) + ")");
  }

  void accept_next() {
    acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors, say: pause instead of spinning on the error.
        log(LogLevel::warn, "accept: " + ec.message());
        accept_retry_.expires_after(std::chrono::milliseconds(accept_retry_delay_ms));
        accept_retry_.async_wait([this](const asio::error_code& e) {
          if (!e) accept_next();
        });
        return;
      }
      asio::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      const std::string label = remote.address().to_string() + ":" + std::to_string(remote.port());
      if (open_connections_ >= accepted_max_) {
        log(LogLevel::warn, "refusing " + label + ": " + std::to_string(open_connections_) + " connections open");
      } else {
        const auto nonce = random_nonce();
        if (!nonce) return fatal("OpenSSL gave no random bytes for a handshake nonce");
        auto conn = FrameConn::make(std::move(socket), label);
        conn->set_limits(client_conn_limits);  // until it proves to be a peer
        ++open_connections_;
        Session::start(*this, conn, Handshake::accepted(auth_cfg_, *nonce));
      }
      accept_next();
    });
  }

  // One TCP connection, accepted or dialled: its Handshake (handshake.h) until
  // done, then the frames of its plane only. The connection's callbacks own
  // it; it holds the connection weakly.
  class Session : public std::enable_shared_from_this<Session> {
   public:
    static void start(Impl& server, const std::shared_ptr<FrameConn>& conn, Handshake handshake) {
      auto session = std::shared_ptr<Session>(new Session(server, conn, std::move(handshake)));
      session->arm_deadline();
      conn->start([session](Message&& m) { session->on_frame(std::move(m)); },
                  [session](const std::string& reason) { session->on_closed(reason); });
      for (const auto& f : session->hs_.opening().send) conn->send(f);
    }

   private:
    Session(Impl& server, const std::shared_ptr<FrameConn>& conn, Handshake handshake)
        : s_(server), conn_(conn), hs_(std::move(handshake)) {}

    void arm_deadline() {
      deadline_ = std::make_unique<asio::steady_timer>(s_.io_, std::chrono::milliseconds(handshake_timeout_ms));
      deadline_->async_wait([weak = weak_from_this()](const asio::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->hs_.done()) return;
        if (auto c = self->conn_.lock()) {
          c->close("handshake not done within " + std::to_string(handshake_timeout_ms) + " ms");
        }
      });
    }

    void on_frame(Message&& m) {
      auto c = conn_.lock();
      if (!c) return;
      if (!hs_.done() || (hs_.role() == Role::peer && in_plane<HandshakeMessage>(m))) return handshake(*c, m);
      if (hs_.role() == Role::peer) {
        if (!in_plane<PeerMessage>(m)) {
          return s_.refuse(*c, std::string("a peer connection sent the client frame ") + message_name(m));
        }
        s_.host_->on_peer_message(hs_.peer(), *narrow<PeerMessage>(std::move(m)), s_.now_us());
      } else {
        // The only thing a client may ask for is a fresh range: never a value, never a peer message.
        auto* req = std::get_if<ClientRequest>(&m);
        if (!req) return s_.refuse(*c, "a client connection may only send ClientRequest, not " + describe(m));
        if (req->at_least != 0) {  // Advance is for admins, through a door that checks the token
          s_.clients_.reply(client_, ClientReply{req->client, req->request, Status::permission_denied});
          return;
        }
        s_.host_->on_client_request(client_, *req, s_.now_us());
      }
      s_.drain();
    }

    void handshake(FrameConn& c, const Message& m) {
      const bool was_done = hs_.done();
      Handshake::Step step = hs_.on_frame(m);
      if (!step.error.empty()) return s_.refuse(c, step.error);
      const bool settled = !was_done && hs_.done();
      if (settled && hs_.role() == Role::client && (client_ = s_.clients_.add(conn_.lock())) == 0) {
        return s_.refuse(c, std::to_string(s_.clients_.connections_max()) +
                                " client connections already open (client_connections_max)");
      }
      for (const auto& f : step.send) c.send(f);
      if (!settled) return;
      deadline_->cancel();
      if (hs_.role() == Role::peer) c.set_limits(peer_conn_limits);  // a proven peer
      if (hs_.dialled()) s_.peer_up(hs_.peer());
    }

    void on_closed(const std::string& reason) {
      if (client_) {
        s_.clients_.remove(client_);
        s_.host_->on_client_closed(client_);
      }
      if (hs_.dialled()) {
        // Said here: the peer may refuse us without sending a word.
        if (hs_.awaiting_proof()) {
          s_.log(LogLevel::warn, "handshake with peer n" + std::to_string(hs_.peer()) + " (" +
                                     s_.peers_[hs_.peer()]->addr.text +
                                     ") ended before it proved the cluster key: " + reason);
        }
        return s_.peer_failed(hs_.peer(), reason);
      }
      --s_.open_connections_;
      auto c = conn_.lock();
      const bool violation = c && c->closed_for_violation();
      if (violation || log_enabled(LogLevel::debug)) {
        s_.log(violation ? LogLevel::warn : LogLevel::debug,
               "closed " + (c ? c->label() : std::string("a connection")) + ": " + reason);
      }
    }

    Impl& s_;
    std::weak_ptr<FrameConn> conn_;
    Handshake hs_;
    ConnId client_ = 0;  // a greeted client's id in clients_
    std::unique_ptr<asio::steady_timer> deadline_;
  };

  // Logs why a connection is refused and closes it; every other connection goes on.
  void refuse(FrameConn& c, const std::string& why) {
    log(LogLevel::warn, "refusing " + c.label() + ": " + why);
    c.close(why);
  }

  // ---- outgoing connections to peers, reconnecting with jittered backoff ----
  void connect_peer(uint32_t i) {
    Peer& p = *peers_[i];
    if (p.connecting || (p.conn && p.conn->is_open())) return;
    p.connecting = true;
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(
        p.addr.connect_host(), std::to_string(p.addr.port),
        [this, i, resolver](const asio::error_code& ec, tcp::resolver::results_type results) {
          if (ec) return peer_failed(i, "resolve: " + ec.message());
          auto socket = std::make_shared<tcp::socket>(io_);
          asio::async_connect(*socket, results, [this, i, socket](const asio::error_code& ec2, const tcp::endpoint&) {
            if (ec2) return peer_failed(i, ec2.message());
            Peer& p = *peers_[i];
            p.connecting = false;
            const auto nonce = random_nonce();
            if (!nonce) return fatal("OpenSSL gave no random bytes for a handshake nonce");
            p.conn = FrameConn::make(std::move(*socket), p.addr.text);
            Session::start(*this, p.conn, Handshake::dialled(auth_cfg_, i, *nonce));
          });
        });
  }

  void peer_up(uint32_t i) {
    Peer& p = *peers_[i];
    if (!p.up) log(LogLevel::info, "peer n" + std::to_string(i) + " (" + p.addr.text + ") up");
    p.up = true;
    p.backoff_ms = reconnect_delay_ms_min;  // not at connect: a peer that refuses the handshake backs off too
  }

  void peer_failed(uint32_t i, const std::string& reason) {
    Peer& p = *peers_[i];
    p.connecting = false;
    if (p.up) log(LogLevel::warn, "peer n" + std::to_string(i) + " (" + p.addr.text + ") down: " + reason);
    p.up = false;
    const uint64_t delay = p.backoff_ms / 2 + jitter_() % (p.backoff_ms / 2 + 1);
    p.backoff_ms = std::min(p.backoff_ms * 2, reconnect_delay_ms_max);
    p.retry.expires_after(std::chrono::milliseconds(delay));
    p.retry.async_wait([this, i](const asio::error_code& ec) {
      if (!ec) connect_peer(i);
    });
  }

  // ---- the core loop: drain the host's outputs, then wait for its next timer ----
  void drain() {
    for (;;) {
      HostOutput out = host_->take_output();
      for (const auto& line : out.log) log(host_log_level(line.level), line.text);
      if (!out.fatal.empty()) return fatal(out.fatal);
      if (out.disk_job) start_disk_job(std::move(*out.disk_job));
      for (auto& ps : out.peer_sends) {
        if (ps.to == self_) {
          to_self_.push_back(std::move(ps.msg));
        } else if (peers_[ps.to] && peers_[ps.to]->up) {
          peers_[ps.to]->conn->send(ps.msg);  // a peer that is down misses it; rounds retry
        }
      }
      for (const auto& cs : out.client_sends) {
        if (cs.conn >= door_conn_first) {
          answer_door(cs.conn, cs.reply);
        } else {
          clients_.reply(cs.conn, cs.reply);
        }
      }
      if (to_self_.empty()) break;
      PeerMessage m = std::move(to_self_.front());
      to_self_.pop_front();
      host_->on_peer_message(self_, m, now_us());
    }
    arm_timer();
  }

  void arm_timer() {
    const auto next = host_->next_timer();
    if (!next) return;
    if (timer_armed_ && *next >= timer_at_) return;
    timer_armed_ = true;
    timer_at_ = *next;
    timer_.expires_at(t0_ + std::chrono::microseconds(*next));
    timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;  // replaced by an earlier deadline
      timer_armed_ = false;
      host_->on_timer(now_us());
      drain();
    });
  }

  // ---- door calls: each one a connection of its own to the host, for one request ----
  void take_call(DoorCall c, Done done) {
    if (!host_) return done(DoorAnswer{Status::not_ready});
    if (door_calls_.size() >= door_calls_max) return done(DoorAnswer{Status::overloaded});
    const ConnId conn = next_door_conn_++;
    door_calls_.emplace(conn, std::move(done));
    const uint64_t count = c.op == DoorOp::next ? c.count : 0;
    const uint64_t at_least = c.op == DoorOp::advance ? c.at_least : 0;
    RRSEQ_INVARIANT(c.op != DoorOp::advance || at_least > 0, "an advance names a value");
    host_->on_client_request(conn, ClientRequest{door_client_, conn, c.seq, count, false, at_least}, now_us());
    drain();
  }

  void answer_door(ConnId conn, const ClientReply& reply) {
    const auto it = door_calls_.find(conn);
    if (it == door_calls_.end()) return;
    Done done = std::move(it->second);
    door_calls_.erase(it);
    host_->on_client_closed(conn);
    done(DoorAnswer{reply.status, reply.from, reply.to});
  }

  void fail_door_calls() {
    for (auto& [conn, done] : std::exchange(door_calls_, {})) done(DoorAnswer{Status::not_ready});
  }

  // After run(): no call is taken any more; those still posted are answered,
  // then gRPC stops (its Shutdown waits for every call it started).
  void close_doors() {
    {
      std::lock_guard lock(door_mu_);
      if (!door_open_) return;
      door_open_ = false;
    }
    io_.restart();
    io_.poll();  // posted calls: take_call answers them; the host may be gone, so fail what is left
    fail_door_calls();
    if (grpc_) grpc_->shutdown();
  }

  // ---- the disk thread: fdatasync and compaction off the network thread ----
  void start_disk_job(DiskJob job) {
    std::lock_guard lock(disk_mu_);
    disk_jobs_.push_back(std::move(job));
    disk_cv_.notify_one();
  }

  void disk_loop() {
    for (;;) {
      auto job = std::make_shared<DiskJob>();
      {
        std::unique_lock lock(disk_mu_);
        disk_cv_.wait(lock, [this] { return disk_stop_ || !disk_jobs_.empty(); });
        if (disk_stop_) return;
        *job = std::move(disk_jobs_.front());
        disk_jobs_.pop_front();
      }
      const auto start = SteadyClock::now();
      Result r = host_->run_disk_job(*job);
      const std::chrono::duration<double> took = SteadyClock::now() - start;
      asio::post(io_, [this, job, r, took] {
        // Here, on the io thread: no lock needed.
        if (job->kind == DiskJob::Kind::sync) fsync_seconds_.observe(took.count());
        host_->on_disk_job_done(*job, r, now_us());
        drain();
      });
    }
  }

  // ---- metrics: read on the io thread at each scrape ----
  std::string render_metrics() const {
    ServerGauges g;
    for (const auto& p : peers_) {
      if (!p) continue;
      ++g.peers;
      g.peers_up += p->up;
    }
    g.connections_open = open_connections_;
    g.log_bytes = host_->log_bytes();
    g.metrics_connections_refused = http_->refused_connections();
    g.client_connections_refused = clients_.connections_refused();
    g.too_many_requests = host_->stats().too_many_requests;
    return render_server_metrics(host_->node(), g, fsync_seconds_);
  }

  void stop_disk_thread() {
    {
      std::lock_guard lock(disk_mu_);
      disk_stop_ = true;
      disk_cv_.notify_one();
    }
    if (disk_thread_.joinable()) disk_thread_.join();
  }

  ServerConfig cfg_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  TimeUs timer_at_ = 0;
  SteadyClock::time_point t0_;
  std::string name_ = "node";
  std::string stop_reason_;

  uint32_t self_ = 0;
  uint32_t nodes_ = 1;
  std::unique_ptr<NodeHost> host_;
  std::vector<std::unique_ptr<Peer>> peers_;  // by node index; null for self
  std::deque<PeerMessage> to_self_;
  ClientConns clients_;
  size_t accepted_max_ = 0;       // sockets held at once: clients, peers, and not yet greeted
  size_t open_connections_ = 0;
  std::minstd_rand jitter_{std::random_device{}()};
  PeerAuthConfig auth_cfg_;

  PosixEnv env_;
  std::thread disk_thread_;
  std::mutex disk_mu_;
  std::condition_variable disk_cv_;
  std::deque<DiskJob> disk_jobs_;  // the host issues one at a time
  bool disk_stop_ = false;

  std::unique_ptr<HttpDoor> http_;  // with cfg_.http
  HttpRoutes routes_;
  std::unique_ptr<GrpcDoor> grpc_;  // with cfg_.grpc
  std::mutex door_mu_;
  bool door_open_ = true;  // under door_mu_: false once run() returned
  // Door calls' connections to the host, numbered apart from the sockets' (ClientConns counts from 1).
  static constexpr ConnId door_conn_first = ConnId{1} << 62;
  ConnId next_door_conn_ = door_conn_first;
  const uint64_t door_client_ = std::random_device{}();
  std::map<ConnId, Done> door_calls_;  // io thread only
  Histogram fsync_seconds_ = make_fsync_histogram();  // io thread only
};

Server::Server(ServerConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
Server::~Server() = default;
Result Server::open() { return impl_->open(); }
std::string Server::bound_address() const { return impl_->bound_address(); }
std::string Server::http_address() const { return impl_->http_address(); }
std::string Server::grpc_address() const { return impl_->grpc_address(); }
Result Server::start(std::vector<Address> peers) { return impl_->start(peers); }
std::string Server::run() { return impl_->run(); }
void Server::stop() { impl_->stop(); }

}  // namespace rrseq
