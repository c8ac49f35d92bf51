#include "harness/sim_options.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/rng.h"

namespace rrseq {
namespace {

struct FaultName {
  const char* name;
  uint32_t bit;
};
constexpr FaultName fault_names[] = {{"net", fault_net},
                                     {"partition", fault_partition},
                                     {"crash", fault_crash},
                                     {"disk", fault_disk},
                                     {"amnesia", fault_amnesia},
                                     {"disk-error", fault_disk_error}};

constexpr uint64_t buf_sizes[] = {0, 1, 2, 3, 5, 7, 16, 100, 1024};
constexpr TimeUs think_max_choices_us[] = {100, 500, 2'000, 10'000};

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
      *error = "unknown fault kind '" + item + "' (none, all, net, partition, crash, disk, amnesia, disk-error)";
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
  if (opt.faults != def.faults) o << " --faults " << faults_name(opt.faults);
  if (opt.protocol != def.protocol) o << " --protocol " << protocol_name(opt.protocol);
  if (opt.time_ms != def.time_ms) o << " --time-ms " << opt.time_ms;
  if (opt.storage == StorageMode::memory) o << " --storage memory";
  if (opt.storage == StorageMode::durable) o << " --storage durable";
  if (!opt.combine) o << " --no-combine";
  if (!opt.fast_path) o << " --no-fast-path";
  if (!opt.group_commit) o << " --no-group-commit";
  if (!opt.affinity) o << " --no-affinity";
  if (!opt.adaptive) o << " --no-adaptive";
  return o.str();
}

Scenario make_scenario(uint64_t seed, const SimOptions& opt) {
  Rng rng = Rng::derive(seed, "scenario");
  Scenario s;
  s.seed = seed;
  s.nodes = opt.nodes;
  s.protocol = opt.protocol;
  s.combine = opt.combine;
  s.fast_path = opt.fast_path;
  s.group_commit = opt.group_commit;
  s.heal_us = opt.time_ms * 1000;
  s.liveness_bound_us = sim_liveness_bound_us;

  // Each fault kind asked for is switched on in three runs out of four, so a
  // sweep also covers each kind alone and in small combinations.
  uint32_t on = 0;
  for (const auto& f : fault_names) {
    if ((opt.faults & f.bit) && rng.below(4) != 0) on |= f.bit;
  }
  switch (opt.storage) {
    case StorageMode::memory: s.durable = false; break;
    case StorageMode::durable: s.durable = true; break;
    case StorageMode::any: s.durable = (on & (fault_disk | fault_disk_error)) ? true : rng.below(2) == 0; break;
  }
  if (!s.durable) on &= ~(fault_disk | fault_disk_error);

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
  if (on & fault_disk) {
    s.disk.slow_ppm = static_cast<uint32_t>(rng.below(100'000));
    s.disk.slow_max_us = rng.between(1'000, 200'000);
    s.disk.tear = rng.below(4) != 0;
  }
  // Drawn from their own stream, so the choices above stay what they were.
  Rng disk_rng = Rng::derive(seed, "scenario-disk");
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

  const TimeUs span = std::max<TimeUs>(s.heal_us * 9 / 10, 1);
  auto at = [&] { return rng.below(span); };
  auto later = [&](TimeUs t, TimeUs min_us, TimeUs max_us) { return t + rng.between(min_us, max_us); };
  if (on & (fault_crash | fault_amnesia)) {
    s.skew_ppm_max = (on & fault_crash) ? static_cast<uint32_t>(rng.below(100'000)) : 0;
    const uint64_t crashes = rng.between(1, 6);
    for (uint64_t i = 0; i < crashes; ++i) {
      const uint32_t n = static_cast<uint32_t>(rng.below(s.nodes));
      const bool wipe = (on & fault_amnesia) && (!(on & fault_crash) || rng.below(2) == 0);
      const TimeUs t = at();
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
        s.faults.push_back({later(t, 1'000, 1'000'000), FaultKind::restart, n, 0});
      }
    }
  }
  if ((on & fault_crash) && !s.clients.empty()) {
    const uint64_t crashes = rng.below(4);
    for (uint64_t i = 0; i < crashes; ++i) {
      const uint32_t c = static_cast<uint32_t>(rng.below(s.clients.size()));
      const TimeUs t = at();
      s.faults.push_back({t, FaultKind::client_crash, c, 0});
      s.faults.push_back({later(t, 1'000, 500'000), FaultKind::client_restart, c, 0});
    }
  }
  if (on & fault_partition) {
    const uint64_t partitions = rng.between(1, 4);
    for (uint64_t i = 0; i < partitions; ++i) {
      const TimeUs t = at();
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
      s.faults.push_back({later(t, 10'000, 1'000'000), FaultKind::heal, 0, 0});
    }
  }
  auto disk_at = [&] { return disk_rng.below(span); };
  if (on & fault_disk) {
    if (disk_rng.below(2) == 0) {  // every node loses power at once, and comes back one by one
      const TimeUs t = disk_at();
      s.faults.push_back({t, FaultKind::power_loss, 0, 0});
      for (uint32_t n = 0; n < s.nodes; ++n) {
        s.faults.push_back({t + disk_rng.between(1'000, 500'000), FaultKind::restart, n, 0});
      }
    }
    const uint64_t cuts = disk_rng.below(3);
    for (uint64_t i = 0; i < cuts; ++i) {
      // Storage::compact takes about eight writes; any count up to ten lands between two of them.
      s.faults.push_back({disk_at(), FaultKind::crash_in_compaction, static_cast<uint32_t>(disk_rng.below(s.nodes)),
                          static_cast<uint32_t>(disk_rng.below(11))});
    }
  }
  if (on & fault_disk_error) {
    const uint64_t fulls = disk_rng.between(0, 2);
    for (uint64_t i = 0; i < fulls; ++i) {
      const TimeUs t = disk_at();
      const uint32_t n = static_cast<uint32_t>(disk_rng.below(s.nodes));
      s.faults.push_back({t, FaultKind::disk_full, n, static_cast<uint32_t>(disk_rng.below(sim_disk_full_room_bytes_max + 1))});
      s.faults.push_back({t + disk_rng.between(10'000, 1'000'000), FaultKind::disk_freed, n, 0});
    }
  }
  std::erase_if(s.faults, [&](const FaultEvent& f) { return f.at_us >= s.heal_us; });
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const FaultEvent& x, const FaultEvent& y) { return x.at_us < y.at_us; });
  s.calm = on == 0 && opt.clients == 1;
  return s;
}

}  // namespace rrseq
