#include "transport_sim/world.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "core/client_session.h"
#include "core/codec.h"
#include "core/node.h"
#include "core/rng.h"
#include "core/storage.h"
#include "transport_sim/fiber.h"
#include "transport_sim/protocol_audit.h"
#include "transport_sim/sim_env.h"

namespace rrseq {
namespace {

constexpr const char* data_dir = "/data";
constexpr TimeUs self_delivery_us = 1;     // a node's messages to itself stay in the process
constexpr TimeUs liveness_margin_us = 100'000;  // run a little past the bound
constexpr uint64_t ppm = 1'000'000;
constexpr TimeUs adaptive_period_us = 50'000;  // short, so buffers adapt within a run
constexpr uint64_t adaptive_ids_max = 128;      // keeps a run's history small
// A node whose disk failed (EIO, ENOSPC) stops; it restarts after a delay in this range.
constexpr TimeUs disk_restart_min_us = 1'000;
constexpr TimeUs disk_restart_max_us = 200'000;
constexpr TimeUs full_disk_retry_us = 50'000;  // a node whose disk is full tries to start again

enum class EventType : uint8_t {
  to_node,      // frame from a node (from) or a client (conn in arg) to node `target`
  to_client,    // frame from node `from` to client `target`
  node_timer,
  sync_done,    // arg = sync id
  fault,        // arg = index into Scenario::faults
  client_timer,
  client_wake,  // think time over
  heal,
  node_restart,  // after a disk error; life = the life it stopped in
};

struct Event {
  TimeUs at = 0;
  uint64_t order = 0;  // insertion order breaks ties: deterministic
  EventType type = EventType::heal;
  uint32_t target = 0;
  uint64_t life = 0;   // target's life when scheduled; a restart makes the event stale
  uint32_t from = 0;
  bool from_client = false;
  uint64_t arg = 0;
  std::string bytes;
};
struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.at != b.at ? a.at > b.at : a.order > b.order;
  }
};

struct NodeSlot {
  bool up = false;
  uint64_t life = 0;
  SimEnv env;
  bool disk_stateless = true;  // durable mode, while down: nothing to recover from
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Node> node;
  std::optional<TimeUs> timer_at;  // sim time of the pending timer event
  int64_t skew_ppm = 0;
  std::optional<FaultEvent> armed;  // a crash waiting for its trigger
  uint32_t syncs_in_flight = 0;
  bool disk_full = false;
};

struct ClientSlot {
  bool up = false;
  uint64_t life = 0;
  enum class State { waiting, thinking, stopped } state = State::waiting;
  std::unique_ptr<ClientSession> session;
  std::unique_ptr<Fiber> fiber;
  std::optional<TimeUs> timer_at;
  Rng think_rng;
};

class World {
 public:
  World(const Scenario& s, std::ostream* trace)
      : s_(s),
        trace_(trace),
        net_rng_(Rng::derive(s.seed, "net")),
        disk_rng_(Rng::derive(s.seed, "disk")),
        nodes_(s.nodes),
        clients_(s.clients.size()),
        blocked_(s.nodes * s.nodes, false),
        audit_(s.nodes) {
    Rng skew = Rng::derive(s.seed, "skew");
    for (auto& n : nodes_) {
      if (s.skew_ppm_max > 0) {
        n.skew_ppm = static_cast<int64_t>(skew.below(2 * s.skew_ppm_max + 1)) - s.skew_ppm_max;
      }
    }
    for (size_t c = 0; c < clients_.size(); ++c) clients_[c].think_rng = Rng::derive(s.seed, "think", c);
  }

  WorldResult run() {
    result_.history.calm = s_.calm;
    result_.history.heal_us = s_.heal_us;
    result_.history.liveness_bound_us = s_.liveness_bound_us;
    // All nodes come up together, so none misses the others' first messages.
    for (uint32_t n = 0; n < s_.nodes; ++n) power_on(n);
    for (uint32_t n = 0; n < s_.nodes; ++n) boot(n);
    // A calm run's client starts once the cluster has formed: G5 holds on a
    // healthy cluster, not on one whose nodes are still joining.
    if (!s_.calm) start_clients();
    for (size_t i = 0; i < s_.faults.size(); ++i) {
      Event e;
      e.at = s_.faults[i].at_us;
      e.type = EventType::fault;
      e.arg = i;
      push(std::move(e));
    }
    Event heal;
    heal.at = s_.heal_us;
    heal.type = EventType::heal;
    push(std::move(heal));

    const TimeUs end = s_.heal_us + s_.liveness_bound_us + liveness_margin_us;
    while (!queue_.empty() && queue_.front().at <= end) {
      std::pop_heap(queue_.begin(), queue_.end(), Later{});
      Event e = std::move(queue_.back());
      queue_.pop_back();
      now_ = e.at;
      ++result_.stats.events;
      hash_event(e);
      dispatch(e);
    }
    // Unwind every fiber before the world goes away.
    for (auto& c : clients_) c.fiber.reset();
    for (const auto& f : audit_.failures()) result_.failures.push_back(f);
    return std::move(result_);
  }

 private:
  // ---- events and trace ----
  void push(Event e) {
    e.order = next_order_++;
    queue_.push_back(std::move(e));
    std::push_heap(queue_.begin(), queue_.end(), Later{});
  }

  void hash_mix(uint64_t v) {
    for (int i = 0; i < 8; ++i) hash_ = (hash_ ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  }
  void hash_event(const Event& e) {
    hash_mix(e.at);
    hash_mix(static_cast<uint64_t>(e.type) | (uint64_t{e.target} << 8) | (uint64_t{e.from} << 40));
    hash_mix(e.arg);
    for (char ch : e.bytes) hash_ = (hash_ ^ static_cast<uint8_t>(ch)) * 0x100000001b3ull;
    result_.trace_hash = hash_;
  }
  void trace(const std::string& line) {
    if (trace_) *trace_ << "[" << now_ << "us] " << line << "\n";
  }
  static std::string node_name(uint32_t n) { return "n" + std::to_string(n); }
  static std::string client_name(uint32_t c) { return "c" + std::to_string(c); }

  // ---- clocks: each node's timers run at its own (skewed) rate ----
  TimeUs local_now(const NodeSlot& n) const {
    return static_cast<TimeUs>(static_cast<int128>(now_) * (static_cast<int64_t>(ppm) + n.skew_ppm) / ppm);
  }
  TimeUs sim_time_of(const NodeSlot& n, TimeUs local) const {
    const int128 rate = static_cast<int64_t>(ppm) + n.skew_ppm;
    const int128 t = (static_cast<int128>(local) * ppm + rate - 1) / rate;
    return std::max<TimeUs>(static_cast<TimeUs>(t), now_);
  }

  // ---- network ----
  TimeUs net_delay() {
    if (s_.net.tail_ppm && net_rng_.chance_ppm(s_.net.tail_ppm)) {
      return s_.net.delay_min_us + net_rng_.below(s_.net.tail_max_us + 1);
    }
    return s_.net.delay_min_us + net_rng_.below(s_.net.delay_spread_us + 1);
  }

  // Schedules delivery of `e` (type, target, life, from, bytes set) under the network model.
  void transmit(Event e, bool subject_to_partition) {
    ++result_.stats.messages;
    if (subject_to_partition && blocked_[e.from * s_.nodes + e.target]) {
      ++result_.stats.dropped;
      return;
    }
    if (s_.net.loss_ppm && net_rng_.chance_ppm(s_.net.loss_ppm)) {
      ++result_.stats.dropped;
      return;
    }
    if (s_.net.dup_ppm && net_rng_.chance_ppm(s_.net.dup_ppm)) {
      ++result_.stats.duplicated;
      Event copy = e;
      // A replayed copy often comes late, after newer rounds: stale frames matter most.
      const bool late = s_.net.tail_max_us > 0 && net_rng_.below(2) == 0;
      copy.at = now_ + (late ? s_.net.delay_min_us + net_rng_.below(s_.net.tail_max_us + 1) : net_delay());
      push(std::move(copy));
    }
    e.at = now_ + net_delay();
    push(std::move(e));
  }

  void send_to_node(uint32_t from, bool from_client, uint64_t conn, uint32_t to, const Message& m) {
    NodeSlot& dst = nodes_[to];
    if (!dst.up) {
      ++result_.stats.dropped;  // connection refused
      return;
    }
    Event e;
    e.type = EventType::to_node;
    e.target = to;
    e.life = dst.life;
    e.from = from;
    e.from_client = from_client;
    e.arg = conn;
    e.bytes = encode_frame(m);
    if (!from_client && from == to) {
      ++result_.stats.messages;
      e.at = now_ + self_delivery_us;
      push(std::move(e));
      return;
    }
    transmit(std::move(e), !from_client);
  }

  std::optional<Message> decode(const Event& e) {
    auto r = decode_frame(std::span(reinterpret_cast<const uint8_t*>(e.bytes.data()), e.bytes.size()));
    if (auto* err = std::get_if<DecodeError>(&r)) {
      result_.failures.push_back("codec: a frame the codec wrote did not decode: " + err->reason);
      return std::nullopt;
    }
    return std::get<Message>(std::move(r));
  }

  // ---- nodes ----
  uint64_t node_seed(uint32_t n) { return Rng::derive(s_.seed, "node", n * 1000003ull + nodes_[n].life).next(); }

  NodeConfig node_config(uint32_t n) const {
    NodeConfig cfg;
    cfg.self = n;
    cfg.nodes = s_.nodes;
    cfg.protocol = s_.protocol;
    cfg.durable = s_.durable;
    cfg.combine = s_.combine;
    cfg.fast_path = s_.fast_path;
    cfg.group_commit = s_.group_commit;
    return cfg;
  }

  SimEnv::CrashModel crash_model() const { return {s_.disk.tear, s_.disk.reorder, s_.disk.lose_dir_ops}; }

  // A failed sync is final, and a failed append may have left half a batch: the
  // process stops as if the power went out, and recovers from the disk later.
  void stop_on_disk_error(uint32_t n, const std::string& what, const Result& r) {
    trace(node_name(n) + " stops: " + what + ": " + r.message());
    crash_node(n, false);
    schedule_restart(n, disk_rng_.between(disk_restart_min_us, disk_restart_max_us));
  }

  void schedule_restart(uint32_t n, TimeUs after) {
    Event e;
    e.at = now_ + after;
    e.type = EventType::node_restart;
    e.target = n;
    e.life = nodes_[n].life;
    push(std::move(e));
  }

  // The simulator's compaction policy: past a few KiB, as the server does past
  // its --compact-log-bytes, with the real Storage::compact.
  void maybe_compact(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    if (!s_.disk.compact_log_bytes || slot.storage->log_bytes() < s_.disk.compact_log_bytes) return;
    const bool cut = slot.armed && slot.armed->kind == FaultKind::crash_in_compaction;
    if (cut) {
      slot.env.cut_power_after(slot.armed->b);
      slot.armed.reset();
    }
    const uint64_t before = slot.storage->log_bytes();
    Result r = slot.storage->compact(slot.node->acceptor().state());
    ++result_.stats.compactions;
    if (cut && slot.env.power_cut()) {
      ++result_.stats.compaction_crashes;
      trace(node_name(n) + " loses power inside a compaction: " + r.message());
      crash_node(n, false);
      schedule_restart(n, disk_rng_.between(disk_restart_min_us, disk_restart_max_us));
      return;
    }
    slot.env.cut_power_after(std::nullopt);
    if (r.is_ok()) {
      trace(node_name(n) + " compacted its log from " + std::to_string(before) + " to " +
            std::to_string(slot.storage->log_bytes()) + " bytes");
    } else if (slot.storage->usable()) {
      ++result_.stats.compaction_errors;
      trace(node_name(n) + " compaction failed, keeps its old log: " + r.message());
    } else {
      ++result_.stats.enospc_stops;
      stop_on_disk_error(n, "compaction", r);
    }
  }

  void start_node(uint32_t n) {
    power_on(n);
    boot(n);
  }

  // The process exists: frames sent to it from now on reach this life.
  void power_on(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    ++slot.life;
    slot.up = true;
    slot.timer_at.reset();
  }

  // The process recovers its storage and starts its node.
  void boot(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    DurableState recovered;
    if (s_.durable) {
      OpenedStorage opened;
      Result r = Storage::open(slot.env, data_dir, &slot.storage, &opened);
      if (!r.is_ok() && slot.disk_full) {
        // Recovery needs room for its sync mark: stay down until the disk has room.
        trace(node_name(n) + " cannot start on a full disk: " + r.message());
        slot.storage.reset();
        slot.up = false;
        ++slot.life;
        schedule_restart(n, full_disk_retry_us);
        return;
      }
      if (!r.is_ok()) {
        result_.failures.push_back("storage: " + node_name(n) + " cannot recover: " + r.message());
        slot.up = false;
        return;
      }
      for (const auto& note : opened.notes) trace(node_name(n) + " " + note);
      recovered = std::move(opened.state);
    }
    trace(node_name(n) + " starts (life " + std::to_string(slot.life) + ")");
    slot.node = std::make_unique<Node>(node_config(n), std::move(recovered), node_seed(n), local_now(slot));
    drain_node(n);
  }

  bool stateless(uint32_t n) const {
    const NodeSlot& slot = nodes_[n];
    if (slot.up) return !slot.node->acceptor().state().initialized;
    return !s_.durable || slot.disk_stateless;
  }

  // The fault model: a majority of nodes never lacks state at the same time.
  bool may_lose_state(uint32_t victim) const {
    uint32_t already = 0;
    for (uint32_t n = 0; n < s_.nodes; ++n) already += (n != victim && stateless(n)) ? 1 : 0;
    return already + 1 <= (s_.nodes - 1) / 2;
  }

  void crash_node(uint32_t n, bool wipe) {
    NodeSlot& slot = nodes_[n];
    if (!slot.up) return;
    const bool loses_state = wipe || !s_.durable;
    if (loses_state && !may_lose_state(n)) {
      ++result_.stats.skipped_faults;
      trace(node_name(n) + " crash skipped: a majority would be without state");
      return;
    }
    ++result_.stats.crashes;
    slot.up = false;
    ++slot.life;  // frames in flight to it, its timers and syncs are now stale
    slot.node.reset();
    slot.storage.reset();
    slot.syncs_in_flight = 0;
    const uint64_t holes = slot.env.holes_made(), reverted = slot.env.names_reverted();
    slot.env.crash(disk_rng_, crash_model());
    result_.stats.holes += slot.env.holes_made() - holes;
    result_.stats.names_reverted += slot.env.names_reverted() - reverted;
    if (wipe) {
      ++result_.stats.wipes;
      slot.env.wipe();
    }
    if (loses_state) audit_.forget(n);
    slot.disk_stateless = true;
    if (s_.durable && !wipe) {
      std::unique_ptr<Storage> probe;
      OpenedStorage opened;
      if (Storage::open(slot.env, data_dir, &probe, &opened).is_ok()) {
        slot.disk_stateless = !opened.state.initialized;
      }
    }
    trace(node_name(n) + (wipe ? " crashes and loses its data directory" : " crashes"));
  }

  void drain_node(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    if (!slot.up) return;
    NodeOutput out = slot.node->take_output();
    for (const auto& line : out.log) trace(node_name(n) + " log: " + line);
    if (!out.records.empty()) {
      Result r = slot.storage->append(out.records);
      if (!r.is_ok()) {
        // Nothing of this step leaves the node: what it would send was not written.
        if (!slot.disk_full) result_.failures.push_back("storage: " + node_name(n) + " append: " + r.message());
        ++result_.stats.enospc_stops;
        return stop_on_disk_error(n, "append", r);
      }
      maybe_compact(n);
      if (!slot.up) return;
    }
    if (out.sync) {
      ++result_.stats.syncs;
      TimeUs latency = s_.disk.sync_min_us + disk_rng_.below(s_.disk.sync_spread_us + 1);
      if (s_.disk.slow_ppm && disk_rng_.chance_ppm(s_.disk.slow_ppm)) latency += disk_rng_.below(s_.disk.slow_max_us + 1);
      if (s_.disk.slow_nodes & (1u << n)) latency += disk_rng_.between(s_.disk.slow_sync_min_us, s_.disk.slow_sync_max_us);
      Event e;
      e.at = now_ + latency;
      e.type = EventType::sync_done;
      e.target = n;
      e.life = slot.life;
      e.arg = *out.sync;
      push(std::move(e));
    }
    if (out.sync) ++slot.syncs_in_flight;
    bool acked = false;
    bool proposed = false;
    for (const auto& ps : out.peer_sends) {
      if (trace_) trace(node_name(n) + " -> " + node_name(ps.to) + " " + describe(ps.msg));
      audit_.on_send(n, ps.msg);
      acked |= is_ack(ps.msg);
      proposed |= std::holds_alternative<Accept>(ps.msg);
      send_to_node(n, false, 0, ps.to, ps.msg);
    }
    for (const auto& cs : out.client_sends) {
      const uint32_t c = static_cast<uint32_t>(cs.conn >> 32);
      if (trace_) trace(node_name(n) + " -> " + client_name(c) + " " + describe(Message{cs.reply}));
      Event e;
      e.type = EventType::to_client;
      e.target = c;
      e.life = cs.conn & 0xffffffffu;
      e.from = n;
      e.bytes = encode_frame(Message{cs.reply});
      transmit(std::move(e), false);
    }
    if (slot.armed && ((slot.armed->kind == FaultKind::crash_after_ack && acked) ||
                       (slot.armed->kind == FaultKind::crash_in_sync && proposed && slot.syncs_in_flight > 0))) {
      const bool wipe = slot.armed->b != 0;
      slot.armed.reset();
      trace(node_name(n) + " trigger fired");
      crash_node(n, wipe);
      if (!slot.up) return;
    }
    schedule_node_timer(n);
    if (!clients_started_ && std::all_of(nodes_.begin(), nodes_.end(),
                                         [](const NodeSlot& x) { return x.up && x.node && x.node->serving(); })) {
      start_clients();
    }
  }

  void start_clients() {
    clients_started_ = true;
    for (uint32_t c = 0; c < clients_.size(); ++c) start_client(c);
  }

  static bool is_ack(const Message& m) {
    if (auto* p = std::get_if<Promise>(&m)) return p->ok;
    if (auto* a = std::get_if<Accepted>(&m)) return a->ok;
    return false;
  }

  void schedule_node_timer(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    std::optional<TimeUs> local = slot.node->next_timer();
    if (!local) return;
    const TimeUs at = sim_time_of(slot, *local);
    if (slot.timer_at && *slot.timer_at <= at) return;  // an earlier wake-up is already queued
    slot.timer_at = at;
    Event e;
    e.at = at;
    e.type = EventType::node_timer;
    e.target = n;
    e.life = slot.life;
    push(std::move(e));
  }

  // ---- clients ----
  uint64_t conn_of(uint32_t c) const { return (uint64_t{c} << 32) | (clients_[c].life & 0xffffffffu); }

  void start_client(uint32_t c) {
    ClientSlot& slot = clients_[c];
    ++slot.life;
    slot.up = true;
    slot.state = ClientSlot::State::waiting;
    slot.timer_at.reset();
    const ClientSpec& spec = s_.clients[c];
    ClientConfig cfg;
    cfg.seq = "orders";
    cfg.buf_size = spec.buf_size;
    cfg.servers = s_.nodes;
    cfg.first_server = spec.first_server;
    cfg.affinity = spec.affinity;
    cfg.adaptive = spec.adaptive;
    cfg.adaptive_period_us = adaptive_period_us;
    cfg.adaptive_ids_max = adaptive_ids_max;
    slot.session = std::make_unique<ClientSession>(
        cfg, conn_of(c), Rng::derive(s_.seed, "client", c * 1000003ull + slot.life).next());
    trace(client_name(c) + " starts (buffer " + std::to_string(spec.buf_size) + ")");
    slot.fiber = std::make_unique<Fiber>([this, c](Fiber& f) { workload(c, f); });
    slot.fiber->resume();
  }

  // The application: take an ID, think, repeat.
  void workload(uint32_t c, Fiber& f) {
    ClientSlot& slot = clients_[c];
    for (;;) {
      std::optional<uint64_t> id;
      while (!(id = slot.session->take_id(now_))) {
        drain_client(c);
        slot.state = slot.session->failed() ? ClientSlot::State::stopped : ClientSlot::State::waiting;
        f.suspend();
      }
      drain_client(c);
      result_.history.consumed.push_back(ConsumeRecord{c, now_, *id});
      if (trace_) trace(client_name(c) + " got " + std::to_string(*id));
      slot.state = ClientSlot::State::thinking;
      Event e;
      // At least 1 us: a client that never lets time pass would take IDs forever in one instant.
      e.at = now_ + 1 + slot.think_rng.below(s_.clients[c].think_max_us + 1);
      e.type = EventType::client_wake;
      e.target = c;
      e.life = slot.life;
      push(std::move(e));
      f.suspend();
    }
  }

  void drain_client(uint32_t c) {
    ClientSlot& slot = clients_[c];
    ClientOutput out = slot.session->take_output();
    for (const auto& g : out.grants) {
      result_.history.grants.push_back(GrantRecord{c, g.request, g.sent_us, g.received_us, g.from, g.to});
    }
    for (const auto& err : out.errors) trace(client_name(c) + " error: " + err);
    for (const auto& [server, req] : out.sends) {
      if (trace_) trace(client_name(c) + " -> " + node_name(server) + " " + describe(Message{req}));
      send_to_node(c, true, conn_of(c), server, req);
    }
    std::optional<TimeUs> at = slot.session->next_timer();
    if (at && (!slot.timer_at || *at < *slot.timer_at)) {
      slot.timer_at = at;
      Event e;
      e.at = *at;
      e.type = EventType::client_timer;
      e.target = c;
      e.life = slot.life;
      push(std::move(e));
    }
  }

  void wake_if_waiting(uint32_t c) {
    ClientSlot& slot = clients_[c];
    if (slot.state == ClientSlot::State::waiting) slot.fiber->resume();
  }

  void crash_client(uint32_t c) {
    ClientSlot& slot = clients_[c];
    if (!slot.up) return;
    ++result_.stats.client_crashes;
    slot.up = false;
    slot.fiber.reset();
    slot.session.reset();
    trace(client_name(c) + " crashes");
  }

  // ---- dispatch ----
  void dispatch(const Event& e) {
    switch (e.type) {
      case EventType::to_node: {
        NodeSlot& slot = nodes_[e.target];
        if (!slot.up || slot.life != e.life) {
          ++result_.stats.dropped;
          return;
        }
        auto m = decode(e);
        if (!m) return;
        if (e.from_client) {
          slot.node->on_client_request(e.arg, std::get<ClientRequest>(*m), local_now(slot));
        } else {
          slot.node->on_peer_message(e.from, *m, local_now(slot));
        }
        drain_node(e.target);
        return;
      }
      case EventType::to_client: {
        ClientSlot& slot = clients_[e.target];
        if (!slot.up || (slot.life & 0xffffffffu) != e.life) {
          ++result_.stats.dropped;
          return;
        }
        auto m = decode(e);
        if (!m) return;
        slot.session->on_reply(e.from, std::get<ClientReply>(*m), now_);
        drain_client(e.target);
        wake_if_waiting(e.target);
        return;
      }
      case EventType::node_timer: {
        NodeSlot& slot = nodes_[e.target];
        if (!slot.up || slot.life != e.life) return;
        if (slot.timer_at == e.at) slot.timer_at.reset();
        slot.node->on_timer(local_now(slot));
        drain_node(e.target);
        return;
      }
      case EventType::sync_done: {
        NodeSlot& slot = nodes_[e.target];
        if (!slot.up || slot.life != e.life) return;
        if (s_.disk.sync_eio_ppm && disk_rng_.chance_ppm(s_.disk.sync_eio_ppm)) slot.env.fail_next_sync();
        Result r = slot.storage->sync();
        if (!r.is_ok()) {
          ++result_.stats.sync_errors;
          return stop_on_disk_error(e.target, "sync", r);
        }
        --slot.syncs_in_flight;
        slot.node->on_synced(e.arg, local_now(slot));
        drain_node(e.target);
        return;
      }
      case EventType::client_timer: {
        ClientSlot& slot = clients_[e.target];
        if (!slot.up || slot.life != e.life) return;
        if (slot.timer_at == e.at) slot.timer_at.reset();
        slot.session->on_timer(now_);
        drain_client(e.target);
        wake_if_waiting(e.target);
        return;
      }
      case EventType::client_wake: {
        ClientSlot& slot = clients_[e.target];
        if (!slot.up || slot.life != e.life || slot.state != ClientSlot::State::thinking) return;
        slot.state = ClientSlot::State::waiting;
        slot.fiber->resume();
        return;
      }
      case EventType::fault:
        apply_fault(s_.faults[e.arg]);
        return;
      case EventType::heal:
        final_heal();
        return;
      case EventType::node_restart: {
        NodeSlot& slot = nodes_[e.target];
        if (slot.up || slot.life != e.life) return;  // already restarted by a fault or the heal
        ++result_.stats.disk_restarts;
        start_node(e.target);
        return;
      }
    }
  }

  void apply_fault(const FaultEvent& f) {
    const bool on_client = f.kind == FaultKind::client_crash || f.kind == FaultKind::client_restart;
    const bool b_is_node = f.kind == FaultKind::cut;
    if ((on_client ? f.a >= clients_.size() : f.a >= s_.nodes) || (b_is_node && f.b >= s_.nodes)) {
      trace(std::string("fault ") + fault_kind_name(f.kind) + " names no such process; ignored");
      return;
    }
    switch (f.kind) {
      case FaultKind::crash:
        return crash_node(f.a, false);
      case FaultKind::crash_wipe:
        return crash_node(f.a, true);
      case FaultKind::restart:
        if (!nodes_[f.a].up) start_node(f.a);
        return;
      case FaultKind::cut:
        trace("link " + node_name(f.a) + " -> " + node_name(f.b) + " cut");
        blocked_[f.a * s_.nodes + f.b] = true;
        return;
      case FaultKind::heal:
        trace("all links work again");
        std::fill(blocked_.begin(), blocked_.end(), false);
        return;
      case FaultKind::client_crash:
        return crash_client(f.a);
      case FaultKind::client_restart:
        if (!clients_[f.a].up) start_client(f.a);
        return;
      case FaultKind::crash_after_ack:
      case FaultKind::crash_in_sync:
        trace(node_name(f.a) + " armed: " + fault_kind_name(f.kind) + (f.b ? " (wipe)" : ""));
        nodes_[f.a].armed = f;
        return;
      case FaultKind::crash_in_compaction:
        trace(node_name(f.a) + " armed: power cut after " + std::to_string(f.b) + " writes of its next compaction");
        nodes_[f.a].armed = f;
        return;
      case FaultKind::power_loss:
        trace("every node loses power");
        ++result_.stats.power_losses;
        for (uint32_t n = 0; n < s_.nodes; ++n) crash_node(n, false);
        return;
      case FaultKind::disk_full: {
        NodeSlot& slot = nodes_[f.a];
        trace(node_name(f.a) + " disk full: room for " + std::to_string(f.b) + " more bytes");
        slot.disk_full = true;
        slot.env.set_capacity(slot.env.used_bytes() + f.b);
        return;
      }
      case FaultKind::disk_freed:
        trace(node_name(f.a) + " disk has room again");
        nodes_[f.a].disk_full = false;
        nodes_[f.a].env.set_capacity(std::nullopt);
        return;
    }
  }

  // From here on nothing fails: every node up, links whole, no loss. Every client
  // starts afresh, so each must obtain a new grant within the liveness bound.
  void final_heal() {
    trace("final heal: all nodes up, network whole; clients restart");
    std::fill(blocked_.begin(), blocked_.end(), false);
    s_.net.loss_ppm = 0;
    s_.net.dup_ppm = 0;
    s_.net.tail_ppm = 0;
    s_.disk.slow_ppm = 0;
    s_.disk.sync_eio_ppm = 0;
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      nodes_[n].armed.reset();
      nodes_[n].disk_full = false;
      nodes_[n].env.set_capacity(std::nullopt);
      if (!nodes_[n].up) start_node(n);
    }
    // A calm run stays calm: restarting its client would leave a gap (G5).
    if (s_.calm) return;
    for (uint32_t c = 0; c < clients_.size(); ++c) {
      crash_client(c);
      start_client(c);
      result_.history.live_clients.push_back(c);
    }
  }

  Scenario s_;
  std::ostream* trace_;
  Rng net_rng_;
  Rng disk_rng_;
  std::vector<NodeSlot> nodes_;
  std::vector<ClientSlot> clients_;
  std::vector<bool> blocked_;  // [from * nodes + to]: link cut
  std::vector<Event> queue_;   // min-heap on (at, order)
  uint64_t next_order_ = 0;
  ProtocolAudit audit_;
  bool clients_started_ = false;
  TimeUs now_ = 0;
  uint64_t hash_ = 0xcbf29ce484222325ull;
  WorldResult result_;
};

}  // namespace

WorldResult run_world(const Scenario& s, std::ostream* trace) { return World(s, trace).run(); }

}  // namespace rrseq
