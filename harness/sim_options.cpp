#include "harness/sim_options.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <vector>

#include "core/client_session.h"
#include "core/rng.h"

namespace rrseq {
namespace {

struct FaultName {
  const char* name;
  uint32_t bit;
};
constexpr FaultName fault_names[] = {
    {"net", fault_net},     {"partition", fault_partition}, {"crash", fault_crash},
    {"disk", fault_disk},   {"amnesia", fault_amnesia},     {"disk-error", fault_disk_error},
    {"slow", fault_slow},   {"pause", fault_pause},         {"aimed", fault_aimed},
    {"partial", fault_partial}, {"stray-fence", fault_stray_fence}};
// The first kinds draw from the scenario's main stream; kinds added later draw
// from streams of their own, so the older kinds' seeds keep their scenarios.
constexpr size_t main_stream_kinds = 5;

constexpr TimeUs round_timeout_us = NodeConfig{}.round_timeout_us;

// slow: a link a -> b slower than b -> a, by up to several round timeouts.
constexpr uint64_t slow_links_max = 4;
constexpr TimeUs slow_link_extra_min_us = 1'000;
constexpr TimeUs slow_link_extra_max_us = 4 * round_timeout_us;
constexpr TimeUs slow_link_for_min_us = round_timeout_us / 10;  // when a slow link recovers at all
constexpr TimeUs slow_link_for_max_us = 20 * round_timeout_us;
// One run in this many with slow links also gets a partition of 10 to 20 s.
// Such runs are long, so they are few, and their clients think longer.
constexpr uint64_t long_partition_one_in = 16;
constexpr TimeUs long_partition_min_us = 10'000'000;
constexpr TimeUs long_partition_max_us = 20'000'000;
constexpr TimeUs long_run_think_min_us = 20'000;
constexpr TimeUs long_run_after_heal_us = 1'000'000;  // faults go on after the long partition heals

// pause: 10 ms to 2 s, about log-uniform (doublings of the minimum, plus jitter).
constexpr uint64_t pauses_max = 4;
constexpr TimeUs pause_min_us = 10'000;
constexpr TimeUs pause_max_us = 2'000'000;
constexpr uint64_t pause_doublings_max = 7;

// aimed: the far-promise shape of issue 9. The proposer spins alone with the
// node to be wiped, long enough to raise its ballot above the others', but
// within a node's request timeout (1 s) so its queued request keeps it trying.
constexpr TimeUs aimed_request_lead_max_us = 50'000;  // its client dies this soon after t0
constexpr uint64_t aimed_client_buf_max = 16;          // p's client: one that asks often
constexpr TimeUs aimed_spin_min_us = 300'000;
constexpr TimeUs aimed_spin_max_us = 800'000;
// After the wipe: restart, rejoin, a grant on the other side, heal; all while
// the proposer's round (100 ms) is still open and its Prepare to one node is late.
constexpr TimeUs aimed_restart_max_us = 3'000;
constexpr TimeUs aimed_request_min_us = 8'000;   // the rejoin takes a few round trips and syncs
constexpr TimeUs aimed_request_max_us = 20'000;
// The heal comes soon after that grant: each further grant raises q's ballot
// (the fast path's next round) until it fences the proposer out by itself.
constexpr TimeUs aimed_heal_after_request_min_us = 3'000;
constexpr TimeUs aimed_heal_after_request_max_us = 10'000;
// The late Prepare lands just after the heal, before q's next rounds reach p
// (and well before p's round times out).
constexpr TimeUs aimed_late_prepare_after_heal_min_us = 1'000;
constexpr TimeUs aimed_late_prepare_after_heal_max_us = 8'000;
// The other clients come back once p's round is decided.
constexpr TimeUs aimed_clients_back_min_us = 20'000;
constexpr TimeUs aimed_clients_back_max_us = 300'000;
constexpr TimeUs aimed_fallback_us = 1'500'000;  // clients come back even if the trigger never fires
// aimed: wiped twice, and a crash in the middle of a rejoin.
constexpr TimeUs wipe_restart_max_us = 50'000;
constexpr TimeUs second_wipe_max_us = 500'000;
constexpr TimeUs rejoin_restart_max_us = 20'000;

constexpr TimeUs restart_min_us = 200;

constexpr uint64_t buf_sizes[] = {0, 1, 2, 3, 5, 7, 16, 100, 1024};
constexpr TimeUs think_max_choices_us[] = {100, 500, 2'000, 10'000};
// A door caller's pause between calls: often enough to meet rounds in flight.
constexpr TimeUs reader_think_max_choices_us[] = {500, 5'000, 50'000};


uint32_t other_node(Rng& rng, uint32_t nodes, std::initializer_list<uint32_t> not_these) {
  std::vector<uint32_t> pool;
  for (uint32_t n = 0; n < nodes; ++n) {
    if (std::find(not_these.begin(), not_these.end(), n) == not_these.end()) pool.push_back(n);
  }
  return pool.empty() ? nodes : pool[rng.below(pool.size())];
}

void cut_both(Scenario& s, TimeUs t, uint32_t a, uint32_t b) {
  s.faults.push_back({t, FaultKind::cut, a, b});
  s.faults.push_back({t, FaultKind::cut, b, a});
}

// Lopsided links (a -> b slow, b -> a as usual), for a while or to the end;
// rarely, one partition that lasts 10 s or more, with the run stretched to hold it.
void add_slow_links(Scenario& s, Rng& rng, TimeUs span) {
  const uint64_t links = rng.between(1, slow_links_max);
  for (uint64_t i = 0; i < links; ++i) {
    const uint32_t a = static_cast<uint32_t>(rng.below(s.nodes));
    const uint32_t b = other_node(rng, s.nodes, {a});
    const TimeUs t = rng.below(span);
    s.faults.push_back({t, FaultKind::slow_link, a, b, rng.between(slow_link_extra_min_us, slow_link_extra_max_us)});
    if (rng.below(2) == 0) {
      s.faults.push_back({t + rng.between(slow_link_for_min_us, slow_link_for_max_us), FaultKind::slow_link, a, b, 0});
    }
  }
  if (rng.below(long_partition_one_in) != 0) return;
  const TimeUs t = rng.below(span / 3 + 1);
  const TimeUs length = rng.between(long_partition_min_us, long_partition_max_us);
  std::vector<bool> side(s.nodes);
  const uint64_t minority = rng.between(1, (s.nodes - 1) / 2);
  for (uint64_t k = 0; k < minority; ++k) side[other_node(rng, s.nodes, {})] = true;
  const bool one_way = rng.below(3) == 0;
  std::vector<FaultEvent> cuts;
  for (uint32_t a = 0; a < s.nodes; ++a) {
    for (uint32_t b = 0; b < s.nodes; ++b) {
      if (!side[a] || side[b]) continue;
      cuts.push_back({t, FaultKind::cut, a, b});
      if (!one_way) cuts.push_back({t, FaultKind::cut, b, a});
    }
  }
  // Shorter partitions heal every link; the long one is cut again at once.
  std::vector<TimeUs> heals;
  for (const auto& f : s.faults) {
    if (f.kind == FaultKind::heal && f.at_us > t && f.at_us < t + length) heals.push_back(f.at_us);
  }
  for (TimeUs when : heals) {
    for (FaultEvent c : cuts) s.faults.push_back((c.at_us = when, c));
  }
  s.faults.insert(s.faults.end(), cuts.begin(), cuts.end());
  s.faults.push_back({t + length, FaultKind::heal, 0, 0});
  s.heal_us = std::max(s.heal_us, t + length + long_run_after_heal_us);
  for (auto& c : s.clients) c.think_max_us = std::max(c.think_max_us, long_run_think_min_us);
}

// Stopped processes: nodes, and sometimes clients, for 10 ms to 2 s.
void add_pauses(Scenario& s, Rng& rng, TimeUs span) {
  const uint64_t pauses = rng.between(1, pauses_max);
  for (uint64_t i = 0; i < pauses; ++i) {
    const TimeUs base = pause_min_us << rng.below(pause_doublings_max + 1);
    const TimeUs length = std::min(pause_max_us, base + rng.below(base));
    const TimeUs t = rng.below(span);
    if (!s.clients.empty() && rng.below(3) == 0) {
      s.faults.push_back({t, FaultKind::client_pause, static_cast<uint32_t>(rng.below(s.clients.size())), 0, length});
    } else {
      s.faults.push_back({t, FaultKind::pause, static_cast<uint32_t>(rng.below(s.nodes)), 0, length});
    }
  }
}

// Issue 9's shape. Proposer p (a client's first server) is cut off with w only;
// the other clients stop, so the far side stays at low ballots while p's
// rounds, promised by p and w alone, climb. Then p's link to x turns slow
// instead of cut, and w is wiped right after its next promise to p. w restarts
// and rejoins through the far side; a client asks q, whose rounds avoid x (cut
// from q); the network heals while p's round is still open and its Prepare to
// x is late. p can then count {p, x, w's forgotten promise}.
// The node a client sends its first request to.
uint32_t first_node(const ClientSpec& c, uint32_t nodes) {
  return c.affinity ? home_server(sim_sequence, nodes) : c.first_server % nodes;
}

// The roles of the far-promise shape: client cp (one with a small buffer where
// there is one, so it asks again soon) and its proposer p, the node w that
// forgets its promise to p, the node x whose Prepare from p comes late, and the
// proposer q (another client's first node) on the other side.
struct FarRoles {
  uint32_t cp = 0;
  std::optional<uint32_t> cq;  // q's client, when there is one
  uint32_t p = 0, w = 0, x = 0, q = 0;
};

// cp and cq follow no redirect before the final heal: the shape needs their
// requests queued at p and q, each proposing, whoever else is granting.
FarRoles far_roles(Scenario& s, Rng& rng) {
  FarRoles r;
  std::vector<uint32_t> small;
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    if (s.clients[c].buf_size <= aimed_client_buf_max) small.push_back(c);
  }
  r.cp = small.empty() ? static_cast<uint32_t>(rng.below(s.clients.size())) : small[rng.below(small.size())];
  r.p = first_node(s.clients[r.cp], s.nodes);
  r.w = other_node(rng, s.nodes, {r.p});
  r.x = other_node(rng, s.nodes, {r.p, r.w});
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    const uint32_t n = first_node(s.clients[c], s.nodes);
    if (c != r.cp && n != r.p && n != r.w && n != r.x && !r.cq) r.cq = c;
  }
  r.q = r.cq ? first_node(s.clients[*r.cq], s.nodes) : other_node(rng, s.nodes, {r.p, r.w, r.x});
  s.clients[r.cp].follow_redirects_before_heal = false;
  if (r.cq) s.clients[*r.cq].follow_redirects_before_heal = false;
  return r;
}

// From t on: w is wiped right after its next ok Promise to p and rejoins
// without p; q's client asks again, the network heals while p's round is open
// and p's Prepare to x is late, then the other clients come back (cp too,
// unless `cp_back_later`).
void add_far_promise_followups(Scenario& s, Rng& rng, const FarRoles& r, TimeUs t, bool cp_back_later) {
  const TimeUs request = rng.between(aimed_request_min_us, aimed_request_max_us);
  const TimeUs heal = request + rng.between(aimed_heal_after_request_min_us, aimed_heal_after_request_max_us);
  const TimeUs late = heal + rng.between(aimed_late_prepare_after_heal_min_us, aimed_late_prepare_after_heal_max_us);
  s.faults.push_back({t, FaultKind::slow_link, r.p, r.x, late});
  FaultEvent wipe{t, FaultKind::wipe_after_promise, r.w, r.p};
  // w's promise to p is already on its way; from now on w rejoins without p,
  // so its fence does not reach the proposer that holds the forgotten promise.
  wipe.then.push_back({0, FaultKind::cut, r.w, r.p});
  wipe.then.push_back({0, FaultKind::cut, r.p, r.w});
  wipe.then.push_back({rng.between(restart_min_us, aimed_restart_max_us), FaultKind::restart, r.w, 0});
  if (r.cq) wipe.then.push_back({request, FaultKind::client_restart, *r.cq, 0});
  wipe.then.push_back({heal, FaultKind::heal, 0, 0});
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    if (c != r.cq && !(cp_back_later && c == r.cp)) {
      wipe.then.push_back({late + rng.between(aimed_clients_back_min_us, aimed_clients_back_max_us),
                           FaultKind::client_restart, c, 0});
    }
  }
  s.faults.push_back(std::move(wipe));
}

void add_far_promise_wipe(Scenario& s, Rng& rng, TimeUs span) {
  const FarRoles roles = far_roles(s, rng);
  const auto [cp, cq, p, w, x, q] = roles;
  const TimeUs t0 = rng.below(span / 2 + 1);
  for (uint32_t n = 0; n < s.nodes; ++n) {
    if (n != p && n != w) cut_both(s, t0, p, n);
  }
  if (q < s.nodes) cut_both(s, t0, q, x);
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    const TimeUs t = c == cp ? t0 + rng.below(aimed_request_lead_max_us) : t0;
    s.faults.push_back({t, FaultKind::client_crash, c, 0});
    s.faults.push_back({t0 + aimed_fallback_us, FaultKind::client_restart, c, 0});
  }
  const TimeUs t1 = t0 + rng.between(aimed_spin_min_us, aimed_spin_max_us);
  add_far_promise_followups(s, rng, roles, t1, /*cp_back_later=*/false);
}

void add_aimed_amnesia(Scenario& s, Rng& rng, TimeUs span) {
  const uint64_t shape = rng.below(3);
  if (shape == 0 && !s.clients.empty()) return add_far_promise_wipe(s, rng, span);
  const uint32_t w = static_cast<uint32_t>(rng.below(s.nodes));
  const TimeUs t = rng.below(span);
  const TimeUs back = t + rng.between(restart_min_us, wipe_restart_max_us);
  s.faults.push_back({t, FaultKind::crash_wipe, w, 0});
  s.faults.push_back({back, FaultKind::restart, w, 0});
  if (shape == 1) {  // wiped twice: during its rejoin or soon after it serves again
    const TimeUs again = back + rng.between(restart_min_us, second_wipe_max_us);
    s.faults.push_back({again, FaultKind::crash_wipe, w, 0});
    s.faults.push_back({again + rng.between(restart_min_us, wipe_restart_max_us), FaultKind::restart, w, 0});
    return;
  }
  // A crash between the steps of its rejoin, and up again soon.
  FaultEvent mid{back, FaultKind::crash_in_rejoin, w, static_cast<uint32_t>(rng.below(2))};
  mid.then.push_back({rng.between(restart_min_us, rejoin_restart_max_us), FaultKind::restart, w, 0});
  s.faults.push_back(std::move(mid));
}

// stray-fence: the five-node shape above the fence margin. A rejoin fences
// fence_round_margin rounds above what its peers promised, so the far
// proposer p of add_far_promise_wipe never gets a ballot above a later fence
// by its own rounds. It gets one from rejoins whose fences reach p alone: w is
// wiped, asks for its epoch while connected, and then only its link to p
// works, so p alone takes its fence as a floor; w is wiped again in the middle
// of that rejoin, and each stray life fences p a margin above the last (p
// reports its floor in the epoch step; the others do not move). w's last life
// rejoins through the others alone (a low fence), promises p's next, far
// higher ballot, and is wiped right after that promise: the far-promise shape
// follows. (Before e47697a one stray life was enough: each refusal by p's own
// rounds raised the fence.)
// p must end above the fence of w's life after the last wipe, which lies two
// margins above the others (its last life's fence, and one more).
constexpr uint32_t stray_lives_min = 3;
constexpr uint32_t stray_lives_max = 4;
constexpr TimeUs stray_pump_min_us = 700'000;   // the stray lives, within p's request timeout (1 s)
constexpr TimeUs stray_pump_max_us = 950'000;
constexpr TimeUs stray_rejoin_min_us = 50'000;  // w's last life rejoins through the others
constexpr TimeUs stray_rejoin_max_us = 150'000;

void add_stray_fence(Scenario& s, Rng& rng, TimeUs span) {
  if (s.clients.empty() || s.nodes < 5) return;
  const FarRoles roles = far_roles(s, rng);
  const auto [cp, cq, p, w, x, q] = roles;
  auto rest = [&](uint32_t n) { return n != p && n != w; };
  auto lift = [&](TimeUs t, uint32_t a, uint32_t b) { s.faults.push_back({t, FaultKind::slow_link, a, b, 0}); };

  // Every client stops; p's keeps one request queued at p (for up to 1 s).
  const TimeUs t0 = rng.below(span / 3 + 1);
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    s.faults.push_back({c == cp ? t0 + rng.below(aimed_request_lead_max_us) : t0, FaultKind::client_crash, c, 0});
  }
  for (uint32_t n = 0; n < s.nodes; ++n) {
    if (rest(n)) cut_both(s, t0, p, n);
  }
  // w's stray lives: each one's epoch requests go out to everyone, then only
  // p hears it (the answers still come back).
  const TimeUs t2 = t0 + rng.between(stray_pump_min_us, stray_pump_max_us);
  const uint32_t lives = static_cast<uint32_t>(rng.between(stray_lives_min, stray_lives_max));
  for (uint32_t i = 0; i < lives; ++i) {
    const TimeUs wipe = t0 + (t2 - t0) * i / lives;
    s.faults.push_back({wipe, FaultKind::crash_wipe, w, 0});
    const TimeUs up = wipe + rng.between(restart_min_us, aimed_restart_max_us);
    for (uint32_t n = 0; n < s.nodes; ++n) {
      if (!rest(n)) continue;
      if (i > 0) lift(wipe, w, n);
      s.faults.push_back({up + 1, FaultKind::cut, w, n});
    }
    s.faults.push_back({up, FaultKind::restart, w, 0});
  }
  // The last stray life is wiped mid-rejoin; the next one reaches the others, not p.
  s.faults.push_back({t2, FaultKind::crash_wipe, w, 0});
  cut_both(s, t2, w, p);
  for (uint32_t n = 0; n < s.nodes; ++n) {
    if (rest(n)) lift(t2, w, n);
  }
  s.faults.push_back({t2 + rng.between(restart_min_us, aimed_restart_max_us), FaultKind::restart, w, 0});
  // p's request has timed out by now; its client asks again, with w back in reach.
  const TimeUs t3 = std::max(t2, t0 + aimed_request_lead_max_us + NodeConfig{}.queued_request_timeout_us) +
                    rng.between(stray_rejoin_min_us, stray_rejoin_max_us);
  lift(t3, w, p);
  lift(t3, p, w);
  if (q < s.nodes) cut_both(s, t3, q, x);
  add_far_promise_followups(s, rng, roles, t3, /*cp_back_later=*/true);
  s.faults.push_back({t3 + 1, FaultKind::client_restart, cp, 0});
  for (uint32_t c = 0; c < s.clients.size(); ++c) {
    s.faults.push_back({t3 + aimed_fallback_us, FaultKind::client_restart, c, 0});
  }
}

// Nodes never started (some start late), and a minority that stays down or cut
// off after the final heal; sometimes a client that reaches only that minority.
void add_partial(Scenario& s, Rng& rng, TimeUs span) {
  const uint32_t minority = (s.nodes - 1) / 2;
  std::vector<uint32_t> order(s.nodes);
  for (uint32_t n = 0; n < s.nodes; ++n) order[n] = n;
  for (uint32_t i = s.nodes - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  const uint64_t shape = rng.below(3);  // 0: partial start, 1: partial heal, 2: both
  const uint32_t absent = shape == 1 ? 0 : static_cast<uint32_t>(rng.between(1, minority));
  uint32_t left_out = 0;  // nodes not in the majority after the final heal
  for (uint32_t k = 0; k < absent; ++k) {
    const uint32_t n = order[k];
    s.partial.absent.push_back(n);
    if (rng.below(2) == 0) {
      s.partial.final_down.push_back(n);  // never started at all
      ++left_out;
    } else {
      s.faults.push_back({rng.below(span), FaultKind::restart, n, 0});
    }
  }
  if (shape != 0 && left_out < minority) {
    const uint32_t more = static_cast<uint32_t>(rng.between(1, minority - left_out));
    for (uint32_t k = absent; k < absent + more && k < s.nodes; ++k) {
      (rng.below(2) == 0 ? s.partial.final_down : s.partial.final_isolated).push_back(order[k]);
    }
  }
  if (!s.clients.empty() && rng.below(3) == 0) {
    s.partial.final_cut_clients.push_back(static_cast<uint32_t>(rng.below(s.clients.size())));
  }
}

}  // namespace

bool parse_faults(const std::string& text, uint32_t* out, std::string* error) {
  if (text == "none") return *out = 0, true;
  if (text == "all") return *out = fault_all, true;
  uint32_t bits = 0;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto it = std::find_if(std::begin(fault_names), std::end(fault_names),
                           [&](const FaultName& f) { return item == f.name; });
    if (it == std::end(fault_names)) {
      *error = "unknown fault kind '" + item +
               "' (none, all, net, partition, crash, disk, amnesia, disk-error, slow, pause, aimed, partial, stray-fence)";
      return false;
    }
    bits |= it->bit;
  }
  *out = bits;
  return true;
}

std::string faults_name(uint32_t faults) {
  if (faults == 0) return "none";
  if (faults == fault_all) return "all";
  std::string s;
  for (const auto& f : fault_names) {
    if (faults & f.bit) s += (s.empty() ? "" : ",") + std::string(f.name);
  }
  return s;
}

std::string option_flags(const SimOptions& opt) {
  const SimOptions def;
  std::ostringstream o;
  if (opt.nodes != def.nodes) o << " --nodes " << opt.nodes;
  if (opt.clients != def.clients) o << " --clients " << opt.clients;
  if (opt.readers != def.readers) o << " --readers " << opt.readers;
  if (opt.faults != def.faults) o << " --faults " << faults_name(opt.faults);
  if (opt.protocol != def.protocol) o << " --protocol " << protocol_name(opt.protocol);
  if (opt.time_ms != def.time_ms) o << " --time-ms " << opt.time_ms;
  if (opt.storage == StorageMode::memory) o << " --storage memory";
  if (opt.storage == StorageMode::durable) o << " --storage durable";
  o << speedup_flags(opt.speedups);
  if (!opt.affinity) o << " --no-affinity";
  if (!opt.adaptive) o << " --no-adaptive";
  if (!opt.several_callers) o << " --single-caller";
  if (!opt.share_requests) o << " --no-share-requests";
  if (!opt.keep_ahead) o << " --no-keep-ahead";
  return o.str();
}

namespace {

// Each fault kind asked for is switched on in three runs out of four, so a
// sweep also covers each kind alone and in small combinations.
uint32_t draw_main_kinds(uint64_t seed, const SimOptions& opt, Rng& rng) {
  uint32_t on = 0;
  for (size_t k = 0; k < main_stream_kinds; ++k) {
    const FaultName& f = fault_names[k];
    if ((opt.faults & f.bit) && rng.below(4) != 0) on |= f.bit;
  }
  // disk-error is a later kind, on its own stream; it is decided here because
  // it needs durable mode. The coin is drawn either way, so the main stream
  // (and with it every older kind's choices) does not depend on the later kinds.
  Rng disk_error_rng = Rng::derive(seed, "disk-error");
  if ((opt.faults & fault_disk_error) && disk_error_rng.below(4) != 0) on |= fault_disk_error;
  return on;
}

void add_clients(Scenario& s, Rng& rng, const SimOptions& opt) {
  for (uint32_t c = 0; c < opt.clients; ++c) {
    ClientSpec spec;
    spec.buf_size = buf_sizes[rng.below(std::size(buf_sizes))];
    spec.first_server = static_cast<uint32_t>(rng.below(s.nodes));
    spec.think_max_us = think_max_choices_us[rng.below(std::size(think_max_choices_us))];
    // Only some clients, so proposers on several nodes still contend.
    spec.affinity = opt.affinity && rng.below(2) == 0;
    spec.adaptive = opt.adaptive && rng.below(2) == 0;
    s.clients.push_back(spec);
  }
}

void set_network(Scenario& s, Rng& rng, uint32_t on) {
  s.net.delay_min_us = rng.between(20, 200);
  s.net.delay_spread_us = rng.between(100, 2'000);
  if (on & fault_net) {
    s.net.loss_ppm = static_cast<uint32_t>(rng.below(50'000));
    s.net.dup_ppm = static_cast<uint32_t>(rng.below(50'000));
    s.net.tail_ppm = static_cast<uint32_t>(rng.below(20'000));
    s.net.tail_max_us = rng.between(5'000, 300'000);
  }
  if ((on & fault_amnesia) && s.net.loss_ppm == 0) {
    // Without loss every survivor holds every value and a careless rejoin would pass.
    s.net.loss_ppm = static_cast<uint32_t>(rng.between(1'000, 30'000));
  }
}

// The disk's behaviour; the faults at given times come in add_disk_faults.
void set_disk(Scenario& s, Rng& rng, Rng& disk_rng, uint32_t on) {
  if (on & fault_disk) {
    s.disk.slow_ppm = static_cast<uint32_t>(rng.below(100'000));
    s.disk.slow_max_us = rng.between(1'000, 200'000);
    s.disk.tear = rng.below(4) != 0;
  }
  // Drawn from their own stream, so the choices on `rng` stay what they were.
  if (on & fault_disk) {
    s.disk.reorder = s.disk.tear && disk_rng.below(2) == 0;
    s.disk.lose_dir_ops = disk_rng.below(2) == 0;
    s.disk.compact_log_bytes = disk_rng.between(sim_compact_log_bytes_min, sim_compact_log_bytes_max);
    if (disk_rng.below(3) == 0) {  // one slow node, or (rarely) all of them
      s.disk.slow_nodes = disk_rng.below(4) == 0 ? (1u << s.nodes) - 1 : 1u << disk_rng.below(s.nodes);
      s.disk.slow_sync_min_us = sim_slow_sync_min_us;
      s.disk.slow_sync_max_us = disk_rng.between(sim_slow_sync_min_us, sim_slow_sync_max_us);
    }
  }
  if (on & fault_disk_error) {
    s.disk.sync_eio_ppm = static_cast<uint32_t>(disk_rng.below(sim_sync_eio_ppm_max + 1));
    if (s.disk.compact_log_bytes == 0) {  // ENOSPC on compaction needs compactions
      s.disk.compact_log_bytes = disk_rng.between(sim_compact_log_bytes_min, sim_compact_log_bytes_max);
    }
  }
}

void add_node_crashes(Scenario& s, Rng& rng, uint32_t on, TimeUs span) {
  s.skew_ppm_max = (on & fault_crash) ? static_cast<uint32_t>(rng.below(100'000)) : 0;
  const uint64_t crashes = rng.between(1, 6);
  for (uint64_t i = 0; i < crashes; ++i) {
    const uint32_t n = static_cast<uint32_t>(rng.below(s.nodes));
    const bool wipe = (on & fault_amnesia) && (!(on & fault_crash) || rng.below(2) == 0);
    const TimeUs t = rng.below(span);
    // Half the crashes wait for a protocol step: right after an acknowledgement,
    // or (durable, no wipe) while the node's own sync runs.
    // A triggered crash restarts fast (restarts are tried every few ms until
    // one lands after the crash), so frames of its old life are still in flight.
    const uint64_t trigger = rng.below(4);
    if (trigger == 0 || (trigger == 1 && !wipe && s.durable)) {
      s.faults.push_back({t, trigger == 0 ? FaultKind::crash_after_ack : FaultKind::crash_in_sync, n,
                          wipe ? 1u : 0u});
      for (TimeUs r = t + rng.between(200, 2'000); r < std::min(s.heal_us, t + 300'000); r += rng.between(200, 5'000)) {
        s.faults.push_back({r, FaultKind::restart, n, 0});
      }
    } else {
      s.faults.push_back({t, wipe ? FaultKind::crash_wipe : FaultKind::crash, n, 0});
      s.faults.push_back({t + rng.between(1'000, 1'000'000), FaultKind::restart, n, 0});
    }
  }
}

void add_client_crashes(Scenario& s, Rng& rng, TimeUs span) {
  const uint64_t crashes = rng.below(4);
  for (uint64_t i = 0; i < crashes; ++i) {
    const uint32_t c = static_cast<uint32_t>(rng.below(s.clients.size()));
    const TimeUs t = rng.below(span);
    s.faults.push_back({t, FaultKind::client_crash, c, 0});
    s.faults.push_back({t + rng.between(1'000, 500'000), FaultKind::client_restart, c, 0});
  }
}

void add_partitions(Scenario& s, Rng& rng, TimeUs span) {
  const uint64_t partitions = rng.between(1, 4);
  for (uint64_t i = 0; i < partitions; ++i) {
    const TimeUs t = rng.below(span);
    // Split the nodes in two random groups; cut one way or both.
    std::vector<bool> left(s.nodes);
    const uint64_t shape = rng.below(3);
    if (shape == 0) {  // isolate one node
      left[rng.below(s.nodes)] = true;
    } else {
      for (uint32_t n = 0; n < s.nodes; ++n) left[n] = rng.below(2) == 0;
    }
    const bool one_way = rng.below(3) == 0;
    for (uint32_t a = 0; a < s.nodes; ++a) {
      for (uint32_t b = 0; b < s.nodes; ++b) {
        if (left[a] && !left[b]) {
          s.faults.push_back({t, FaultKind::cut, a, b});
          if (!one_way) s.faults.push_back({t, FaultKind::cut, b, a});
        }
      }
    }
    s.faults.push_back({t + rng.between(10'000, 1'000'000), FaultKind::heal, 0, 0});
  }
}

// The later kinds, each on in three runs out of four, each from its own
// stream; returns the kinds switched on.
uint32_t add_later_kinds(Scenario& s, uint64_t seed, const SimOptions& opt, TimeUs span) {
  uint32_t later_on = 0;
  for (size_t k = main_stream_kinds; k < std::size(fault_names); ++k) {
    const FaultName& f = fault_names[k];
    if (f.bit == fault_disk_error) continue;  // decided with the main kinds
    Rng r = Rng::derive(seed, f.name);
    if (!(opt.faults & f.bit) || r.below(4) == 0) continue;
    later_on |= f.bit;
    switch (f.bit) {
      case fault_slow: add_slow_links(s, r, span); break;
      case fault_pause: add_pauses(s, r, span); break;
      case fault_aimed: add_aimed_amnesia(s, r, span); break;
      case fault_partial: add_partial(s, r, span); break;
      case fault_stray_fence: add_stray_fence(s, r, span); break;
    }
  }
  return later_on;
}

void add_disk_faults(Scenario& s, Rng& disk_rng, uint64_t seed, uint32_t on, TimeUs span) {
  if (on & fault_disk) {
    if (disk_rng.below(2) == 0) {  // every node loses power at once, and comes back one by one
      const TimeUs t = disk_rng.below(span);
      s.faults.push_back({t, FaultKind::power_loss, 0, 0});
      for (uint32_t n = 0; n < s.nodes; ++n) {
        s.faults.push_back({t + disk_rng.between(1'000, 500'000), FaultKind::restart, n, 0});
      }
    }
    const uint64_t cuts = disk_rng.below(3);
    for (uint64_t i = 0; i < cuts; ++i) {
      // Storage::compact takes about eight writes; any count up to ten lands between two of them.
      s.faults.push_back({disk_rng.below(span), FaultKind::crash_in_compaction,
                          static_cast<uint32_t>(disk_rng.below(s.nodes)), static_cast<uint32_t>(disk_rng.below(11))});
    }
    // Drawn last, so the draws above keep their values.
    if (disk_rng.below(3) == 0) {
      const TimeUs t = disk_rng.below(span);
      const uint32_t n = static_cast<uint32_t>(disk_rng.below(s.nodes));
      s.faults.push_back({t, FaultKind::corrupt_log, n, 0});
      s.faults.push_back({t + disk_rng.between(1'000, 500'000), FaultKind::restart, n, 0});
    }
  }
  if ((on & fault_disk) && s.durable) {
    // From a stream of its own, so the disk draws above keep their values.
    Rng r = Rng::derive(seed, "crash-after-compaction");
    const uint64_t crashes = r.below(3);
    // A small log, so compactions come before the final heal disarms the trigger.
    if (crashes > 0) s.disk.compact_log_bytes = sim_compact_log_bytes_min;
    for (uint64_t i = 0; i < crashes; ++i) {
      const uint32_t n = static_cast<uint32_t>(r.below(s.nodes));
      FaultEvent f{r.below(span), FaultKind::crash_after_compaction, n, 0};
      f.then.push_back({r.between(restart_min_us, rejoin_restart_max_us), FaultKind::restart, n, 0});
      s.faults.push_back(std::move(f));
    }
  }
  if (on & fault_disk_error) {
    const uint64_t fulls = disk_rng.between(0, 2);
    for (uint64_t i = 0; i < fulls; ++i) {
      const TimeUs t = disk_rng.below(span);
      const uint32_t n = static_cast<uint32_t>(disk_rng.below(s.nodes));
      s.faults.push_back({t, FaultKind::disk_full, n, static_cast<uint32_t>(disk_rng.below(sim_disk_full_room_bytes_max + 1))});
      s.faults.push_back({t + disk_rng.between(10'000, 1'000'000), FaultKind::disk_freed, n, 0});
    }
  }
}

// Several callers on about half the unbuffered clients, drawn from a stream
// of their own so the scenario of a seed is otherwise what it was before.
void set_callers(Scenario& s, uint64_t seed, const SimOptions& opt) {
  Rng callers_rng = Rng::derive(seed, "callers");
  s.share_requests = opt.share_requests;
  s.keep_ahead = opt.keep_ahead;
  for (ClientSpec& c : s.clients) {
    const bool several = callers_rng.below(2) == 0;
    const auto n = static_cast<uint32_t>(callers_rng.between(2, sim_callers_max));
    if (opt.several_callers && c.buf_size == 0 && several) c.callers = n;
  }
}

// Door callers draw from a stream of their own, so the scenario of a seed is
// otherwise what it was before they existed. A calm run reads only, and from
// its client's node: an Advance, or a round on another node that preempts the
// client's, would leave a gap (G5).
void set_readers(Scenario& s, uint64_t seed, const SimOptions& opt) {
  Rng reader_rng = Rng::derive(seed, "readers");
  s.readers = opt.readers;
  s.advances = !s.calm;
  if (s.calm) {
    const ClientSpec& c = s.clients.front();
    s.reader_node = c.affinity ? home_server(sim_sequence, s.nodes) : c.first_server;
  }
  s.reader_think_max_us = reader_think_max_choices_us[reader_rng.below(std::size(reader_think_max_choices_us))];
}

}  // namespace

// Every part of a scenario draws in a fixed order from the seed's streams, so
// a seed names one run for good; a later part draws from a stream of its own.
Scenario make_scenario(uint64_t seed, const SimOptions& opt) {
  Rng rng = Rng::derive(seed, "scenario");
  Scenario s;
  s.seed = seed;
  s.nodes = opt.nodes;
  s.protocol = opt.protocol;
  s.speedups = opt.speedups;
  s.heal_us = opt.time_ms * 1000;
  s.liveness_bound_us = sim_liveness_bound_us;

  uint32_t on = draw_main_kinds(seed, opt, rng);
  const bool durable_coin = rng.below(2) == 0;
  switch (opt.storage) {
    case StorageMode::memory: s.durable = false; break;
    case StorageMode::durable: s.durable = true; break;
    case StorageMode::any: s.durable = (on & (fault_disk | fault_disk_error)) ? true : durable_coin; break;
  }
  if (!s.durable) on &= ~(fault_disk | fault_disk_error);

  add_clients(s, rng, opt);
  set_callers(s, seed, opt);
  set_network(s, rng, on);
  Rng disk_rng = Rng::derive(seed, "scenario-disk");
  set_disk(s, rng, disk_rng, on);

  const TimeUs span = std::max<TimeUs>(s.heal_us * 9 / 10, 1);
  if (on & (fault_crash | fault_amnesia)) add_node_crashes(s, rng, on, span);
  if ((on & fault_crash) && !s.clients.empty()) add_client_crashes(s, rng, span);
  if (on & fault_partition) add_partitions(s, rng, span);
  const uint32_t later_on = add_later_kinds(s, seed, opt, span);
  add_disk_faults(s, disk_rng, seed, on, span);

  std::erase_if(s.faults, [&](const FaultEvent& f) { return f.at_us >= s.heal_us; });
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const FaultEvent& x, const FaultEvent& y) { return x.at_us < y.at_us; });
  s.calm = on == 0 && later_on == 0 && opt.clients == 1;
  set_readers(s, seed, opt);
  return s;
}

}  // namespace rrseq
