#include "transport_sim/world.h"

#include <algorithm>
#include <stdexcept>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

#include "core/client_session.h"
#include "core/codec.h"
#include "core/fnv1a.h"
#include "core/invariant.h"
#include "core/node_host.h"
#include "core/rng.h"
#include "core/storage.h"
#include "transport_sim/fiber.h"
#include "transport_sim/gap_audit.h"
#include "transport_sim/protocol_audit.h"
#include "transport_sim/sim_env.h"

namespace rrseq {
namespace {

// A core invariant broke: thrown by the handler the world installs and caught
// around each event. (Client fibers run only ClientSession::take_ids, which
// checks none, so nothing is thrown across a fiber's stack.)
struct InvariantBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void throw_invariant(const std::string& message) { throw InvariantBroken(message); }

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
// A door caller gives up on a call after this long, as a gRPC deadline would.
constexpr TimeUs reader_call_timeout_us = 1'000'000;
// An Advance asks for up to this many IDs past the highest bound its caller has read.
constexpr uint64_t reader_advance_ids_max = 64;
// A door caller's connection ids carry this bit, as the server's door calls do
// (server.cpp): the rest is the reader's index and the call's number.
constexpr uint64_t reader_conn_bit = uint64_t{1} << 62;

enum class EventType : uint8_t {
  to_node,      // frame from a node (from) or a client (conn in arg) to node `target`
  to_client,    // frame from node `from` to client `target`
  node_timer,
  disk_job_done,  // the slot's disk job (a sync or a compaction) completes
  fault,        // arg = index into Scenario::faults
  client_timer,
  client_wake,  // think time over
  heal,
  resume,       // a pause is over: target (a client if from_client), arg = pause number
  then_fault,   // arg = index into World::then_faults_ (follow-ups of a fired trigger)
  node_restart,  // after a disk error; life = the life it stopped in
  conn_lost,     // client `target` sees its connection to node `from` close
  reader_call,     // reader `target` makes its next call
  to_reader,       // frame from node `from` to reader `target`, arg = call number
  reader_timeout,  // reader `target` gives up on call `arg`
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
  bool byte_gone_bad = false;  // the corrupt-log fault damaged its log since it last started
  // Durable mode, while up: its state is on disk (recovered at start, or
  // synced before it served). Until then a power loss takes it away.
  bool state_on_disk = false;
  // While down: its machine is up and refuses connections (the process died),
  // or sends nothing at all (the machine is off). Drawn at each crash.
  bool refuses_connections = false;
  std::unique_ptr<NodeHost> host;
  std::optional<DiskJob> job;      // the host's disk job, until its disk_job_done event
  bool compacted_since_sync = false;  // a compaction completed; no sync since
  bool first_sync_after_compaction = false;  // this step handles that sync's completion
  std::optional<TimeUs> timer_at;  // sim time of the pending timer event
  int64_t skew_ppm = 0;
  std::optional<FaultEvent> armed;  // a crash waiting for its trigger
  // Started before any node served: one of the fresh nodes that found the cluster.
  bool founding = false;
  // Lost its state once (wipe, memory-mode crash): no longer a fresh node.
  bool lost = false;
  // A stopped process: the events it would handle wait here, in order.
  bool paused = false;
  uint64_t pauses = 0;  // numbers the pauses, so a stale resume is ignored
  std::vector<Event> held;
  bool disk_full = false;
};

// One caller of a client: a thread of the application, as a fiber.
struct Caller {
  enum class State { waiting, thinking, stopped } state = State::waiting;
  std::unique_ptr<Fiber> fiber;
};

struct ClientSlot {
  bool up = false;
  uint64_t life = 0;
  std::unique_ptr<ClientSession> session;
  std::vector<Caller> callers;  // ClientSpec::callers of them, sharing the session
  std::optional<TimeUs> timer_at;
  Rng think_rng;
  bool paused = false;
  uint64_t pauses = 0;
  std::vector<Event> held;
};

// A door caller (gRPC, HTTP): one call at a time, each on a connection of its own.
struct ReaderSlot {
  Rng rng;
  uint64_t client = 0;  // its ClientRequest::client
  uint64_t calls = 0;   // numbers its calls: the one in flight is `calls`
  bool waiting = false;
  uint32_t node = 0;    // the node it asked, in that node's life `node_life`
  uint64_t node_life = 0;
  TimeUs sent_us = 0;
  uint64_t at_least = 0;
  uint64_t high = 0;    // the highest bound it has read: an Advance goes a little past it
};

class World {
 public:
  World(const Scenario& s, WorldObserver& observer, std::ostream* trace)
      : s_(s),
        observer_(observer),
        trace_(trace),
        net_rng_(Rng::derive(s.seed, "net")),
        disk_rng_(Rng::derive(s.seed, "disk")),
        conn_rng_(Rng::derive(s.seed, "conn-lost")),
        nodes_(s.nodes),
        clients_(s.clients.size()),
        readers_(s.readers),
        blocked_(s.nodes * s.nodes, false),
        link_extra_us_(s.nodes * s.nodes, 0),
        client_blocked_(s.clients.size() * s.nodes, false),
        audit_(s.nodes) {
    Rng skew = Rng::derive(s.seed, "skew");
    for (auto& n : nodes_) {
      if (s.skew_ppm_max > 0) {
        n.skew_ppm = static_cast<int64_t>(skew.below(2 * s.skew_ppm_max + 1)) - s.skew_ppm_max;
      }
    }
    for (size_t c = 0; c < clients_.size(); ++c) clients_[c].think_rng = Rng::derive(s.seed, "think", c);
    for (size_t r = 0; r < readers_.size(); ++r) {
      readers_[r].rng = Rng::derive(s.seed, "reader", r);
      readers_[r].client = readers_[r].rng.next();
    }
  }

  WorldResult run() {
    observer_.on_start(s_.calm, s_.heal_us, s_.liveness_bound_us, s_.nodes);
    // All nodes come up together, so none misses the others' first messages;
    // those a partial start leaves out stay down until a `restart` (if any).
    auto absent = [&](uint32_t n) {
      return std::find(s_.partial.absent.begin(), s_.partial.absent.end(), n) != s_.partial.absent.end();
    };
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      if (absent(n)) {
        ++result_.stats.absent_nodes;
        nodes_[n].refuses_connections = conn_rng_.below(2);  // installed but not running, or no machine yet
        trace(node_name(n) + " is not started");
      } else {
        power_on(n);
      }
    }
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      if (!absent(n)) boot(n);
    }
    // A calm run's client starts once the cluster has formed: G5 holds on a
    // healthy cluster, not on one whose nodes are still joining.
    if (!s_.calm) start_clients();
    for (uint32_t r = 0; r < readers_.size(); ++r) schedule_reader_call(r);
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
      if (e.at < now_ && !time_reported_) {
        time_reported_ = true;
        result_.failures.push_back("time: an event at " + std::to_string(e.at) + "us was scheduled in the past");
      }
      now_ = std::max(now_, e.at);
      ++result_.stats.events;
      hash_event(e);
      try {
        dispatch(e);
      } catch (const InvariantBroken& broken) {
        // The run stops here: the state that broke it is not to be trusted further.
        result_.failures.push_back("invariant: " + std::string(broken.what()) + " at " + std::to_string(now_) + "us");
        trace("invariant broken: " + std::string(broken.what()));
        break;
      }
    }
    // Unwind every fiber before the world goes away.
    for (auto& c : clients_) c.callers.clear();
    for (const auto& f : audit_.failures()) result_.failures.push_back(f);
    if (std::string gap = gaps_.check(); !gap.empty()) result_.failures.push_back(std::move(gap));
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
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    hash_ = fnv1a(std::string_view(bytes, sizeof bytes), hash_);
  }
  void hash_event(const Event& e) {
    hash_mix(e.at);
    hash_mix(static_cast<uint64_t>(e.type) | (uint64_t{e.target} << 8) | (uint64_t{e.from} << 40));
    hash_mix(e.arg);
    hash_ = fnv1a(e.bytes, hash_);
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
    TimeUs extra_us = 0;
    if (subject_to_partition) extra_us = link_extra_us_[e.from * s_.nodes + e.target];
    if (extra_us > 0) ++result_.stats.slow_frames;
    if (s_.net.loss_ppm && net_rng_.chance_ppm(s_.net.loss_ppm)) {
      ++result_.stats.dropped;
      return;
    }
    if (s_.net.dup_ppm && net_rng_.chance_ppm(s_.net.dup_ppm)) {
      ++result_.stats.duplicated;
      Event copy = e;
      // A replayed copy often comes late, after newer rounds: stale frames matter most.
      const bool late = s_.net.tail_max_us > 0 && net_rng_.below(2) == 0;
      copy.at = now_ + extra_us + (late ? s_.net.delay_min_us + net_rng_.below(s_.net.tail_max_us + 1) : net_delay());
      push(std::move(copy));
    }
    e.at = now_ + extra_us + net_delay();
    push(std::move(e));
  }

  template <class M>  // PeerMessage or ClientRequest
  void send_to_node(uint32_t from, bool from_client, uint64_t conn, uint32_t to, const M& m) {
    NodeSlot& dst = nodes_[to];
    if (!dst.up) {
      ++result_.stats.dropped;
      if (from_client && dst.refuses_connections && !client_blocked_[from * s_.nodes + to]) {
        connection_lost(from, to);  // ECONNREFUSED, one link delay later
      }
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
    if (from_client && client_blocked_[from * s_.nodes + to]) {
      ++result_.stats.messages;
      ++result_.stats.dropped;
      return;
    }
    transmit(std::move(e), !from_client);
  }

  // The frame of an event, in the plane its link carries (PeerMessage,
  // ClientRequest, ClientReply); anything else is a failure of the world.
  template <class Plane>
  std::optional<Plane> decode(const Event& e) {
    auto r = decode_frame(std::span(reinterpret_cast<const uint8_t*>(e.bytes.data()), e.bytes.size()));
    if (auto* err = std::get_if<DecodeError>(&r)) {
      result_.failures.push_back("codec: a frame the codec wrote did not decode: " + err->reason);
      return std::nullopt;
    }
    auto m = narrow<Plane>(std::get<Message>(std::move(r)));
    if (!m) result_.failures.push_back("world: a frame arrived on a link of another plane");
    return m;
  }

  // ---- nodes ----
  uint64_t node_seed(uint32_t n) { return Rng::derive(s_.seed, "node", n * 1000003ull + nodes_[n].life).next(); }

  // Simulated nodes run as with --rejoin-if-corrupt (the corrupt-log fault)
  // and compact past the scenario's size (a few KiB), as the server does past
  // its --compact-log-bytes.
  HostConfig host_config(uint32_t n) const {
    HostConfig cfg;
    cfg.node.self = n;
    cfg.node.nodes = s_.nodes;
    cfg.node.protocol = s_.protocol;
    cfg.node.durable = s_.durable;
    cfg.node.speedups = s_.speedups;
    cfg.data_dir = data_dir;
    cfg.rejoin_if_corrupt = s_.nodes > 1;
    cfg.compact_log_bytes = s_.disk.compact_log_bytes;
    return cfg;
  }

  SimEnv::CrashModel crash_model() const { return {s_.disk.tear, s_.disk.reorder, s_.disk.lose_dir_ops}; }

  // A failed sync is final, and a failed append may have left half a batch: the
  // process stops as if the power went out, and recovers from the disk later.
  void stop_on_disk_error(uint32_t n, const std::string& reason) {
    trace(node_name(n) + " stops: " + reason);
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

  TimeUs disk_latency(uint32_t n) {
    TimeUs latency = s_.disk.sync_min_us + disk_rng_.below(s_.disk.sync_spread_us + 1);
    if (s_.disk.slow_ppm && disk_rng_.chance_ppm(s_.disk.slow_ppm)) latency += disk_rng_.below(s_.disk.slow_max_us + 1);
    if (s_.disk.slow_nodes & (1u << n)) latency += disk_rng_.between(s_.disk.slow_sync_min_us, s_.disk.slow_sync_max_us);
    return latency;
  }

  // The host's disk job runs now, at the end of its latency, as the server's
  // disk thread would run it, with the faults armed for it.
  void run_disk_job(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    DiskJob job = std::move(*slot.job);
    slot.job.reset();
    const std::string path = slot.host->log_path();
    bool cut = false;
    if (job.kind == DiskJob::Kind::sync) {
      if (s_.disk.sync_eio_ppm && disk_rng_.chance_ppm(s_.disk.sync_eio_ppm)) slot.env.fail_next_sync();
      // A simulated fdatasync covers only what was written before it was issued.
      slot.env.limit_next_sync(path, job.covers_bytes);
    } else {
      ++result_.stats.compactions;
      cut = slot.armed && slot.armed->kind == FaultKind::crash_in_compaction;
      if (cut) {
        slot.env.cut_power_after(slot.armed->b);
        slot.armed.reset();
      }
    }
    const Result r = slot.host->run_disk_job(job);
    if (cut && slot.env.power_cut()) {
      ++result_.stats.compaction_crashes;
      trace(node_name(n) + " loses power inside a compaction: " + r.message());
      crash_node(n, false);
      schedule_restart(n, disk_rng_.between(disk_restart_min_us, disk_restart_max_us));
      return;
    }
    slot.env.cut_power_after(std::nullopt);
    if (job.kind == DiskJob::Kind::sync) {
      slot.first_sync_after_compaction = slot.compacted_since_sync && r.is_ok();
      slot.compacted_since_sync = false;
    } else if (r.is_ok()) {
      slot.compacted_since_sync = true;
    }
    slot.host->on_disk_job_done(job, r, local_now(slot));
    if (!r.is_ok()) {
      if (job.kind == DiskJob::Kind::sync) {
        ++result_.stats.sync_errors;
      } else if (slot.host->stopped()) {
        ++result_.stats.enospc_stops;  // failed past its rename: the node stops
      } else {
        ++result_.stats.compaction_errors;  // failed before its rename: the old log stays
      }
    }
    drain_node(n, /*fault_injected=*/!r.is_ok());
    slot.first_sync_after_compaction = false;
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
    if (slot.life == 1 && !founded_) slot.founding = true;
    Result r = NodeHost::open(slot.env, host_config(n), node_seed(n), local_now(slot), &slot.host);
    if (!r.is_ok() && slot.disk_full) {
      // Recovery needs room for its sync mark: stay down until the disk has room.
      trace(node_name(n) + " cannot start on a full disk: " + r.message());
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
    // Crashes, power losses, holes and lost names never make a log look
    // corrupt: only a byte the disk damaged below the sync mark may.
    if (!slot.host->set_aside().empty() && !slot.byte_gone_bad) {
      result_.failures.push_back("storage: " + node_name(n) + " found its log corrupt though no byte went bad: " +
                                 slot.host->set_aside());
    }
    slot.byte_gone_bad = false;
    slot.state_on_disk = s_.durable && slot.host->node().acceptor().state().initialized;
    trace(node_name(n) + " starts (life " + std::to_string(slot.life) + ")");
    drain_node(n);
  }

  bool stateless(uint32_t n) const {
    const NodeSlot& slot = nodes_[n];
    if (slot.up) return !slot.host->node().acceptor().state().initialized || (s_.durable && !slot.state_on_disk);
    return !s_.durable || slot.disk_stateless;
  }

  // The fault model: a majority of nodes never lacks state at the same time.
  // A node whose state is not yet on disk lacks it: a power loss would take it
  // (seed 17023: a wipe while another node's rejoin was unsynced, then a power
  // loss, left two of three without state, and they founded a second cluster).
  bool may_lose_state(uint32_t victim) const {
    uint32_t already = 0;
    for (uint32_t n = 0; n < s_.nodes; ++n) already += (n != victim && stateless(n)) ? 1 : 0;
    return already + 1 <= (s_.nodes - 1) / 2;
  }

  // A crash, then one synced byte of the log goes bad below the sync mark:
  // the next start finds corruption, sets the log aside and rejoins.
  void corrupt_log(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    if (!s_.durable || !slot.up) return;
    if (!may_lose_state(n)) {
      ++result_.stats.skipped_faults;
      trace(node_name(n) + " log corruption skipped: a majority would be without state");
      return;
    }
    const std::string path = std::string(data_dir) + "/" + log_file_name;
    crash_node(n, false);
    std::string bytes;
    if (!slot.env.read_all(path, &bytes).is_ok()) return;
    const LogReadResult log = read_log(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (log.synced_bytes == 0) return;  // nothing marked synced yet: no corruption to tell apart
    const uint64_t at = disk_rng_.below(log.synced_bytes);
    if (!slot.env.corrupt_byte(path, at).is_ok()) return;
    ++result_.stats.corrupt_logs;
    slot.disk_stateless = true;
    slot.byte_gone_bad = true;
    audit_.forget(n);
    trace(node_name(n) + " log byte " + std::to_string(at) + " goes bad (synced up to " +
          std::to_string(log.synced_bytes) + ")");
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
    slot.paused = false;  // a stopped process can still be killed
    slot.held.clear();
    if (loses_state) slot.lost = true;
    ++slot.life;  // frames in flight to it, its timers and syncs are now stale
    slot.host.reset();
    slot.job.reset();
    close_client_connections(n);
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
    // Back up with nothing to recover, it joins whatever cluster exists: by rejoining.
    if (slot.disk_stateless) slot.founding = false;
    trace(node_name(n) + (wipe ? " crashes and loses its data directory" : " crashes"));
  }

  // `fault_injected`: a disk fault of this step may stop the host.
  // A process that dies has its sockets closed by the kernel: its clients see
  // the connection end, one link delay later. A machine that loses power sends
  // nothing, and they wait out their timeouts: either, by a draw of its own.
  void close_client_connections(uint32_t n) {
    nodes_[n].refuses_connections = conn_rng_.below(2);
    if (!nodes_[n].refuses_connections) return;
    for (uint32_t c = 0; c < clients_.size(); ++c) {
      if (clients_[c].up && !client_blocked_[c * s_.nodes + n]) connection_lost(c, n);
    }
  }

  void connection_lost(uint32_t c, uint32_t n) {
    ++result_.stats.connections_lost;
    Event e;
    e.at = now_ + s_.net.delay_min_us + conn_rng_.below(s_.net.delay_min_us + 1);
    e.type = EventType::conn_lost;
    e.target = c;
    e.life = clients_[c].life;
    e.from = n;
    push(std::move(e));
  }

  void drain_node(uint32_t n, bool fault_injected = false) {
    NodeSlot& slot = nodes_[n];
    if (!slot.up) return;
    HostOutput out = slot.host->take_output();
    for (const auto& line : out.log) trace(node_name(n) + " log: " + line.text);
    if (!out.fatal.empty()) {
      // A failed sync is final, and a failed append may have left half a batch.
      if (slot.disk_full) {
        ++result_.stats.enospc_stops;
      } else if (!fault_injected) {
        result_.failures.push_back("storage: " + node_name(n) + ": " + out.fatal);
      }
      return stop_on_disk_error(n, out.fatal);
    }
    if (out.disk_job) {
      if (out.disk_job->kind == DiskJob::Kind::sync) ++result_.stats.syncs;
      slot.job = std::move(out.disk_job);
      Event e;
      e.at = now_ + disk_latency(n);
      e.type = EventType::disk_job_done;
      e.target = n;
      e.life = slot.life;
      push(std::move(e));
    }
    if (slot.host->node().serving()) {
      founded_ = true;
      slot.state_on_disk = s_.durable;  // it serves only once its state is synced
    }
    bool acked = false;
    bool proposed = false;
    bool promised_to_target = false;  // an ok Promise to the armed wipe's proposer
    for (const auto& ps : out.peer_sends) {
      if (trace_) trace(node_name(n) + " -> " + node_name(ps.to) + " " + describe(ps.msg));
      audit_.on_send(n, ps.msg);
      gaps_.on_send(ps.msg);
      acked |= is_ack(ps.msg);
      proposed |= std::holds_alternative<Accept>(ps.msg);
      if (slot.armed && slot.armed->kind == FaultKind::wipe_after_promise && ps.to == slot.armed->b) {
        const auto* p = std::get_if<Promise>(&ps.msg);
        promised_to_target |= p && p->ok;
      }
      send_to_node(n, false, 0, ps.to, ps.msg);
    }
    for (const auto& cs : out.client_sends) {
      const uint32_t c = static_cast<uint32_t>(cs.conn >> 32);
      gaps_.on_reply(cs.reply);
      if (cs.conn & reader_conn_bit) {
        send_to_reader(n, cs);
        continue;
      }
      if (trace_) trace(node_name(n) + " -> " + client_name(c) + " " + describe(Message{cs.reply}));
      Event e;
      e.type = EventType::to_client;
      e.target = c;
      e.life = cs.conn & 0xffffffffu;
      e.from = n;
      e.bytes = encode_frame(cs.reply);
      if (c < clients_.size() && client_blocked_[c * s_.nodes + n]) {
        ++result_.stats.messages;
        ++result_.stats.dropped;
        continue;
      }
      transmit(std::move(e), false);
    }
    if (slot.armed && trigger_holds(*slot.armed, slot, acked, proposed, promised_to_target, !out.peer_sends.empty())) {
      const FaultEvent f = std::move(*slot.armed);
      slot.armed.reset();
      trace(node_name(n) + " trigger fired: " + fault_kind_name(f.kind) + (node_phase_name(n)));
      if (f.kind == FaultKind::wipe_after_promise) ++result_.stats.aimed_wipes;
      if (f.kind == FaultKind::crash_in_rejoin) ++result_.stats.rejoin_crashes;
      if (f.kind == FaultKind::crash_after_compaction) ++result_.stats.crashes_after_compaction;
      const bool wipe = f.kind == FaultKind::wipe_after_promise || f.b != 0;
      crash_node(n, wipe);
      schedule_then(f);
      if (!slot.up) return;
    }
    schedule_node_timer(n);
    if (!clients_started_ && std::all_of(nodes_.begin(), nodes_.end(),
                                         [](const NodeSlot& x) { return x.up && x.host && x.host->node().serving(); })) {
      start_clients();
    }
  }

  void start_clients() {
    clients_started_ = true;
    for (uint32_t c = 0; c < clients_.size(); ++c) start_client(c);
  }

  std::string node_phase_name(uint32_t n) const {
    const NodeSlot& slot = nodes_[n];
    return slot.host ? std::string(" (") + slot.host->node().phase_name() + ")" : "";
  }

  static bool trigger_holds(const FaultEvent& f, const NodeSlot& slot, bool acked, bool proposed,
                            bool promised_to_target, bool sent) {
    switch (f.kind) {
      case FaultKind::crash_after_ack: return acked;
      case FaultKind::crash_after_compaction: return acked && slot.first_sync_after_compaction;
      case FaultKind::crash_in_sync: return proposed && slot.job && slot.job->kind == DiskJob::Kind::sync;
      case FaultKind::wipe_after_promise: return promised_to_target;
      // Mid-rejoin: its epoch or fence requests are out, some answers may be in.
      case FaultKind::crash_in_rejoin:
        return sent && slot.host && std::string_view(slot.host->node().phase_name()) == "rejoining";
      default: return false;
    }
  }

  // A fired trigger's follow-ups, timed from now.
  void schedule_then(const FaultEvent& f) {
    for (const auto& g : f.then) {
      Event e;
      e.at = now_ + g.at_us;
      e.type = EventType::then_fault;
      e.arg = then_faults_.size();
      then_faults_.push_back(g);
      push(std::move(e));
    }
  }

  static bool is_ack(const PeerMessage& m) {
    if (auto* p = std::get_if<Promise>(&m)) return p->ok;
    if (auto* a = std::get_if<Accepted>(&m)) return a->ok;
    return false;
  }

  void schedule_node_timer(uint32_t n) {
    NodeSlot& slot = nodes_[n];
    std::optional<TimeUs> local = slot.host->next_timer();
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
    slot.timer_at.reset();
    const ClientSpec& spec = s_.clients[c];
    ClientConfig cfg;
    cfg.seq = sim_sequence;
    cfg.buf_size = spec.buf_size;
    cfg.servers = s_.nodes;
    cfg.first_server = spec.first_server;
    cfg.affinity = spec.affinity;
    cfg.follow_redirects = spec.follow_redirects_before_heal || final_healed_;
    cfg.adaptive = spec.adaptive;
    cfg.adaptive_period_us = adaptive_period_us;
    cfg.adaptive_ids_max = adaptive_ids_max;
    cfg.share_requests = s_.share_requests;
    cfg.keep_ahead = s_.keep_ahead;
    slot.session = std::make_unique<ClientSession>(
        cfg, conn_of(c), Rng::derive(s_.seed, "client", c * 1000003ull + slot.life).next());
    trace(client_name(c) + " starts (buffer " + std::to_string(spec.buf_size) + ")");
    // All callers arrive at once, so the first request is shared by them all.
    slot.callers = std::vector<Caller>(spec.callers);
    for (uint32_t k = 0; k < spec.callers; ++k) {
      slot.callers[k].fiber = std::make_unique<Fiber>([this, c, k](Fiber& f) { workload(c, k, f); });
    }
    for (Caller& caller : slot.callers) caller.fiber->resume();
  }

  uint64_t callers_waiting(const ClientSlot& slot) const {
    return std::count_if(slot.callers.begin(), slot.callers.end(),
                         [](const Caller& k) { return k.state == Caller::State::waiting; });
  }

  // The application's caller k: take an ID, think, repeat.
  void workload(uint32_t c, uint32_t k, Fiber& f) {
    ClientSlot& slot = clients_[c];
    Caller& caller = slot.callers[k];
    for (;;) {
      std::optional<uint64_t> id;
      while (!(id = slot.session->take_id(now_, callers_waiting(slot)))) {
        drain_client(c);
        caller.state = slot.session->failed() ? Caller::State::stopped : Caller::State::waiting;
        f.suspend();
      }
      drain_client(c);
      observer_.on_consume(ConsumeRecord{c, now_, *id});
      if (trace_) trace(client_name(c) + caller_suffix(slot, k) + " got " + std::to_string(*id));
      caller.state = Caller::State::thinking;
      Event e;
      // At least 1 us: a client that never lets time pass would take IDs forever in one instant.
      e.at = now_ + 1 + slot.think_rng.below(s_.clients[c].think_max_us + 1);
      e.type = EventType::client_wake;
      e.target = c;
      e.life = slot.life;
      e.arg = k;
      push(std::move(e));
      f.suspend();
    }
  }

  static std::string caller_suffix(const ClientSlot& slot, uint32_t k) {
    return slot.callers.size() > 1 ? "." + std::to_string(k) : "";
  }

  void drain_client(uint32_t c) {
    ClientSlot& slot = clients_[c];
    ClientOutput out = slot.session->take_output();
    for (const auto& g : out.grants) {
      observer_.on_grant(GrantRecord{c, g.request, g.sent_us, g.received_us, g.from, g.to});
    }
    for (const auto& err : out.errors) trace(client_name(c) + " error: " + err);
    for (const auto& [server, req] : out.sends) {
      if (trace_) trace(client_name(c) + " -> " + node_name(server) + " " + describe(Message{req}));
      send_to_node(c, true, conn_of(c), server, req);
    }
    std::optional<TimeUs> at = slot.session->next_timer();
    if (at) at = std::max(*at, now_);  // a deadline that passed while the client was paused is due now
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

  // In caller order, so a seed's run is the same every time; whichever wakes
  // first takes the session's oldest ID.
  void wake_if_waiting(uint32_t c) {
    ClientSlot& slot = clients_[c];
    for (Caller& caller : slot.callers) {
      if (caller.state == Caller::State::waiting) caller.fiber->resume();
    }
  }

  void crash_client(uint32_t c) {
    ClientSlot& slot = clients_[c];
    if (!slot.up) return;
    ++result_.stats.client_crashes;
    // Its connections close: the nodes stop counting its unanswered requests.
    for (auto& node : nodes_) {
      if (node.up) node.host->on_client_closed(conn_of(c));
    }
    slot.up = false;
    slot.paused = false;
    slot.held.clear();
    slot.callers.clear();
    slot.session.reset();
    trace(client_name(c) + " crashes");
  }

  // ---- door callers ----
  static std::string reader_name(uint32_t r) { return "r" + std::to_string(r); }
  static uint64_t reader_conn(uint32_t r, uint64_t call) {
    return reader_conn_bit | (uint64_t{r} << 32) | (call & 0xffffffffu);
  }
  static uint32_t reader_of(uint64_t conn) { return static_cast<uint32_t>((conn & ~reader_conn_bit) >> 32); }

  void schedule_reader_call(uint32_t r) {
    Event e;
    e.at = now_ + 1 + readers_[r].rng.below(s_.reader_think_max_us + 1);
    e.type = EventType::reader_call;
    e.target = r;
    push(std::move(e));
  }

  // A Current, or now and then an Advance a little past what it has read, to a
  // node drawn from its stream; a node that is down never answers.
  void reader_call(uint32_t r) {
    ReaderSlot& rd = readers_[r];
    ++rd.calls;
    rd.waiting = true;
    rd.node = s_.reader_node ? *s_.reader_node % s_.nodes : static_cast<uint32_t>(rd.rng.below(s_.nodes));
    rd.node_life = nodes_[rd.node].life;
    rd.sent_us = now_;
    rd.at_least = s_.advances && rd.rng.below(4) == 0 ? rd.high + rd.rng.between(1, reader_advance_ids_max) : 0;
    const ClientRequest req{rd.client, rd.calls, sim_sequence, 0, false, rd.at_least};
    if (trace_) trace(reader_name(r) + " -> " + node_name(rd.node) + " " + describe(Message{req}));
    Event timeout;
    timeout.at = now_ + reader_call_timeout_us;
    timeout.type = EventType::reader_timeout;
    timeout.target = r;
    timeout.arg = rd.calls;
    push(std::move(timeout));
    ++result_.stats.messages;
    if (!nodes_[rd.node].up) {
      ++result_.stats.dropped;
      return;
    }
    Event e;
    e.type = EventType::to_node;
    e.target = rd.node;
    e.life = rd.node_life;
    e.from_client = true;
    e.arg = reader_conn(r, rd.calls);
    e.bytes = encode_frame(req);
    transmit(std::move(e), false);
  }

  void send_to_reader(uint32_t n, const ClientSend& cs) {
    if (trace_) trace(node_name(n) + " -> " + reader_name(reader_of(cs.conn)) + " " + describe(Message{cs.reply}));
    Event e;
    e.type = EventType::to_reader;
    e.target = reader_of(cs.conn);
    e.from = n;
    e.arg = cs.conn & 0xffffffffu;
    e.bytes = encode_frame(cs.reply);
    transmit(std::move(e), false);
  }

  void on_reader_reply(uint32_t r, uint32_t n, const ClientReply& reply) {
    ReaderSlot& rd = readers_[r];
    if (reply.status != Status::ok) {
      ++result_.stats.reader_refusals;
      trace(reader_name(r) + " refused: " + status_name(reply.status));
    } else {
      ++(rd.at_least == 0 ? result_.stats.reads : result_.stats.advances);
      rd.high = std::max(rd.high, reply.from);
      observer_.on_bound(BoundRecord{r, rd.calls, rd.sent_us, now_, rd.at_least, reply.from});
    }
    end_reader_call(r, n);
  }

  // The call's connection closes, as a door closes it after the answer.
  void end_reader_call(uint32_t r, uint32_t n) {
    ReaderSlot& rd = readers_[r];
    rd.waiting = false;
    NodeSlot& slot = nodes_[n];
    if (slot.up && slot.life == rd.node_life) {
      slot.host->on_client_closed(reader_conn(r, rd.calls));
      drain_node(n);
    }
    schedule_reader_call(r);
  }

  // ---- dispatch ----
  void dispatch(const Event& e) {
    switch (e.type) {
      case EventType::to_node:
      case EventType::node_timer:
      case EventType::disk_job_done:
        return dispatch_node_event(e);
      case EventType::to_client:
      case EventType::client_timer:
      case EventType::conn_lost:
      case EventType::client_wake:
        return dispatch_client_event(e);
      case EventType::fault:
        apply_fault(s_.faults[e.arg]);
        return;
      case EventType::heal:
        final_heal();
        return;
      case EventType::resume:
        if (e.from_client) {
          ClientSlot& slot = clients_[e.target];
          if (slot.up && slot.life == e.life && slot.paused && slot.pauses == e.arg) resume(slot, client_name(e.target));
        } else {
          NodeSlot& slot = nodes_[e.target];
          if (slot.up && slot.life == e.life && slot.paused && slot.pauses == e.arg) resume(slot, node_name(e.target));
        }
        return;
      case EventType::then_fault:
        apply_fault(then_faults_[e.arg]);
        return;
      case EventType::node_restart: {
        NodeSlot& slot = nodes_[e.target];
        if (slot.up || slot.life != e.life) return;  // already restarted by a fault or the heal
        ++result_.stats.disk_restarts;
        start_node(e.target);
        return;
      }
      case EventType::reader_call:
        return reader_call(e.target);
      case EventType::to_reader: {
        const ReaderSlot& rd = readers_[e.target];
        if (!rd.waiting || e.arg != (rd.calls & 0xffffffffu)) return;  // a call it gave up on
        auto reply = decode<ClientReply>(e);
        if (!reply) return;
        return on_reader_reply(e.target, e.from, *reply);
      }
      case EventType::reader_timeout: {
        ReaderSlot& rd = readers_[e.target];
        if (!rd.waiting || e.arg != rd.calls) return;
        ++result_.stats.reader_timeouts;
        trace(reader_name(e.target) + " gives up on its call to " + node_name(rd.node));
        return end_reader_call(e.target, rd.node);
      }
    }
  }

  // An event for one life of a node; while the node is paused it waits.
  void dispatch_node_event(const Event& e) {
    NodeSlot& slot = nodes_[e.target];
    if (!slot.up || slot.life != e.life) {
      if (e.type == EventType::to_node) ++result_.stats.dropped;  // a frame lost with the life it was sent to
      return;
    }
    if (slot.paused) return hold(slot.held, e);
    if (e.type == EventType::disk_job_done) return run_disk_job(e.target);
    if (e.type == EventType::node_timer) {
      if (slot.timer_at == e.at) slot.timer_at.reset();
      slot.host->on_timer(local_now(slot));
    } else if (e.from_client) {
      auto req = decode<ClientRequest>(e);
      if (!req) return;
      gaps_.on_request(*req);
      slot.host->on_client_request(e.arg, *req, local_now(slot));
    } else {
      auto m = decode<PeerMessage>(e);
      if (!m) return;
      slot.host->on_peer_message(e.from, *m, local_now(slot));
    }
    drain_node(e.target);
  }

  // An event for one life of a client; while the client is paused it waits.
  void dispatch_client_event(const Event& e) {
    ClientSlot& slot = clients_[e.target];
    // A frame names the low 32 bits of the life it was sent to.
    const uint64_t life = e.type == EventType::to_client ? (slot.life & 0xffffffffu) : slot.life;
    if (!slot.up || life != e.life) {
      if (e.type == EventType::to_client) ++result_.stats.dropped;
      return;
    }
    if (e.type == EventType::client_wake && slot.callers[e.arg].state != Caller::State::thinking) return;
    if (slot.paused) return hold(slot.held, e);
    if (e.type == EventType::client_wake) {
      slot.callers[e.arg].state = Caller::State::waiting;
      return slot.callers[e.arg].fiber->resume();
    }
    if (e.type == EventType::to_client) {
      auto reply = decode<ClientReply>(e);
      if (!reply) return;
      slot.session->on_reply(e.from, *reply, now_);
    } else if (e.type == EventType::client_timer) {
      if (slot.timer_at == e.at) slot.timer_at.reset();
      slot.session->on_timer(now_);
    } else {
      slot.session->on_connection_lost(e.from, now_);
    }
    drain_client(e.target);
    wake_if_waiting(e.target);
  }

  // ---- pauses ----
  void hold(std::vector<Event>& held, const Event& e) {
    ++result_.stats.held_events;
    held.push_back(e);
  }

  template <class Slot>
  void pause(Slot& slot, uint32_t target, bool client, TimeUs us, const std::string& name) {
    if (!slot.up || slot.paused) return;
    slot.paused = true;
    ++slot.pauses;
    ++(client ? result_.stats.client_pauses : result_.stats.pauses);
    trace(name + " pauses for " + std::to_string(us) + "us");
    Event e;
    e.at = now_ + us;
    e.type = EventType::resume;
    e.target = target;
    e.from_client = client;
    e.life = slot.life;
    e.arg = slot.pauses;
    push(std::move(e));
  }

  // What waited is handled now, in the order it arrived; timers due meanwhile fire late.
  template <class Slot>
  void resume(Slot& slot, const std::string& name) {
    slot.paused = false;
    trace(name + " resumes; " + std::to_string(slot.held.size()) + " events waited");
    std::vector<Event> held = std::move(slot.held);
    slot.held.clear();
    for (Event& e : held) {
      if (e.type == EventType::node_timer || e.type == EventType::client_timer) slot.timer_at = now_;
      e.at = now_;
      push(std::move(e));
    }
  }

  void set_link_blocked_both(uint32_t n, bool blocked) {
    for (uint32_t m = 0; m < s_.nodes; ++m) {
      if (m == n) continue;
      blocked_[n * s_.nodes + m] = blocked;
      blocked_[m * s_.nodes + n] = blocked;
    }
  }

  void apply_fault(const FaultEvent& f) {
    const bool on_client = f.kind == FaultKind::client_crash || f.kind == FaultKind::client_restart ||
                           f.kind == FaultKind::client_pause;
    const bool b_is_node = f.kind == FaultKind::cut || f.kind == FaultKind::slow_link ||
                           f.kind == FaultKind::wipe_after_promise;
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
      case FaultKind::crash_in_rejoin:
      case FaultKind::crash_after_compaction:
        trace(node_name(f.a) + " armed: " + fault_kind_name(f.kind) + (f.b ? " (wipe)" : ""));
        nodes_[f.a].armed = f;
        return;
      case FaultKind::wipe_after_promise:
        trace(node_name(f.a) + " armed: " + fault_kind_name(f.kind) + " to " + node_name(f.b));
        nodes_[f.a].armed = f;
        return;
      case FaultKind::slow_link:
        trace("link " + node_name(f.a) + " -> " + node_name(f.b) + (f.us ? " slow by " + std::to_string(f.us) + "us" : " at normal speed"));
        ++result_.stats.slow_links;
        blocked_[f.a * s_.nodes + f.b] = false;
        link_extra_us_[f.a * s_.nodes + f.b] = f.us;
        return;
      case FaultKind::pause:
        return pause(nodes_[f.a], f.a, false, f.us, node_name(f.a));
      case FaultKind::client_pause:
        return pause(clients_[f.a], f.a, true, f.us, client_name(f.a));
      case FaultKind::crash_in_compaction:
        trace(node_name(f.a) + " armed: power cut after " + std::to_string(f.b) + " writes of its next compaction");
        nodes_[f.a].armed = f;
        return;
      case FaultKind::corrupt_log:
        return corrupt_log(f.a);
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

  // For liveness: a node with its state, or a fresh node that a founder of the
  // cluster counted as empty in this life (two of three must serve: it founds
  // the cluster too). A fresh node that nobody counted, one that starts after
  // the founding, or one that lost its state, has it once it has rejoined.
  bool has_state(uint32_t n) const {
    const NodeSlot& slot = nodes_[n];
    if (!slot.up || !slot.host) return false;
    const DurableState& st = slot.host->node().acceptor().state();
    if (st.initialized) return true;
    if (!slot.founding || slot.lost) return false;
    return std::any_of(nodes_.begin(), nodes_.end(), [&](const NodeSlot& m) {
      if (!m.up || !m.host) return false;
      const auto& founders = m.host->node().acceptor().state().founders;
      auto it = founders.find(n);
      return it != founders.end() && it->second == st.nonce;
    });
  }

  static bool contains(const std::vector<uint32_t>& v, uint32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  // From here on nothing fails: every node up, links whole, no loss, except a
  // partial heal's minority, which stays down or cut off. Every client starts
  // afresh; when the nodes up, connected and with state (has_state) are a
  // majority, each client that reaches them must get a new grant within the bound.
  void final_heal() {
    const PartialModel& part = s_.partial;
    trace(part.empty() ? "final heal: all nodes up, network whole; clients restart"
                       : "final heal: all but a minority up and connected; clients restart");
    final_healed_ = true;
    std::fill(blocked_.begin(), blocked_.end(), false);
    std::fill(link_extra_us_.begin(), link_extra_us_.end(), 0);
    std::fill(client_blocked_.begin(), client_blocked_.end(), false);
    s_.net.loss_ppm = 0;
    s_.net.dup_ppm = 0;
    s_.net.tail_ppm = 0;
    s_.disk.slow_ppm = 0;
    s_.disk.sync_eio_ppm = 0;
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      nodes_[n].armed.reset();
      if (nodes_[n].paused) resume(nodes_[n], node_name(n));
      nodes_[n].disk_full = false;
      nodes_[n].env.set_capacity(std::nullopt);
    }
    for (uint32_t c = 0; c < clients_.size(); ++c) {
      if (clients_[c].paused) resume(clients_[c], client_name(c));
    }
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      if (contains(part.final_down, n)) {
        if (nodes_[n].up) crash_node(n, false);  // refused if a majority would lack state: then it stays up
        if (!nodes_[n].up) ++result_.stats.final_down;
      } else if (!nodes_[n].up) {
        start_node(n);
      }
    }
    for (uint32_t n : part.final_isolated) {
      ++result_.stats.final_isolated;
      trace(node_name(n) + " stays cut off from every other node");
      set_link_blocked_both(n, true);
    }
    std::vector<uint32_t> majority_side;  // up, connected, with state
    for (uint32_t n = 0; n < s_.nodes; ++n) {
      if (nodes_[n].up && !contains(part.final_isolated, n) && has_state(n)) majority_side.push_back(n);
    }
    observer_.on_heal(majority_side);
    // A calm run stays calm: restarting its client would leave a gap (G5).
    if (s_.calm) return;
    for (uint32_t c = 0; c < clients_.size(); ++c) {
      crash_client(c);
      start_client(c);
      if (contains(part.final_cut_clients, c)) {
        trace(client_name(c) + " reaches only the minority");
        for (uint32_t n = 0; n < s_.nodes; ++n) {
          if (contains(majority_side, n)) client_blocked_[c * s_.nodes + n] = true;
        }
        continue;
      }
      observer_.on_live_client(c);
    }
  }

  Scenario s_;
  WorldObserver& observer_;
  std::ostream* trace_;
  Rng net_rng_;
  Rng disk_rng_;
  Rng conn_rng_;  // its own stream: the other draws stay as they were
  std::vector<NodeSlot> nodes_;
  std::vector<ClientSlot> clients_;
  std::vector<ReaderSlot> readers_;
  bool final_healed_ = false;  // clients started from now on all follow redirects
  std::vector<bool> blocked_;  // [from * nodes + to]: link cut
  std::vector<TimeUs> link_extra_us_;  // [from * nodes + to]: added to every frame's delay
  std::vector<bool> client_blocked_;   // [client * nodes + node]: both ways cut
  std::vector<FaultEvent> then_faults_;  // follow-ups of fired triggers, by event arg
  std::vector<Event> queue_;   // min-heap on (at, order)
  uint64_t next_order_ = 0;
  ProtocolAudit audit_;
  GapAudit gaps_;
  bool clients_started_ = false;
  bool founded_ = false;  // some node has served: the cluster exists
  TimeUs now_ = 0;
  bool time_reported_ = false;
  uint64_t hash_ = fnv1a_offset;
  WorldResult result_;
};

}  // namespace

WorldResult run_world(const Scenario& s, WorldObserver& observer, std::ostream* trace) {
  set_invariant_handler(&throw_invariant);
  return World(s, observer, trace).run();
}

}  // namespace rrseq
