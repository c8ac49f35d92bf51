// rrseq-sim: run seeded simulated worlds against the real protocol code, check
// every ID the clients saw, and print the command that replays any failure.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.h"
#include "harness/run.h"

namespace {

using namespace rrseq;

constexpr uint64_t sweep_seeds_max = 100'000'000;
constexpr unsigned jobs_max = 64;

const char* usage_text =
    "usage: rrseq-sim (--seed S | --seeds LIST) [options]\n"
    "\n"
    "Runs simulated RRSeq clusters under seeded faults and checks every ID clients saw:\n"
    "G1 unique, G2 increasing per client, G3 real-time order (Current and Advance too),\n"
    "an Advance's bound at least its value, G5 gap-free when calm,\n"
    "and liveness once a majority with state is up and connected (the final heal).\n"
    "\n"
    "  --seed S            run one world; prints a summary and trace-hash: <hex>\n"
    "  --seeds LIST        sweep seeds: A-B (A..B inclusive), or ascending ranges and single\n"
    "                      seeds separated by commas (3536,4059-4100); ends with\n"
    "                      'sim: N passed, N failed'\n"
    "  --nodes N           cluster size: 3, 5 or 7 (default 3)\n"
    "  --clients K         client processes, 1..64 (default 4)\n"
    "  --readers R         door callers asking for Current, and for Advance unless the run\n"
    "                      is calm, 0..16 (default 1)\n"
    "  --faults LIST       none, all, or a comma list of net,partition,crash,disk,amnesia,\n"
    "                      slow,pause,aimed,partial,disk-error,stray-fence (default all;\n"
    "                      each listed kind is switched on per seed)\n"
    "  --protocol P        ballot (default) or classic (the 2016 algorithm, a negative control)\n"
    "  --time-ms MS        simulated time with faults before the final heal (default 3000)\n"
    "  --storage M         any (default: chosen per seed), memory or durable\n"
    "  --no-combine        one request per round instead of combining queued requests\n"
    "  --no-fast-path      prepare before every accept instead of piggybacking it\n"
    "  --no-group-commit   durable: one sync per record instead of one for all written\n"
    "  --no-affinity       no client prefers the node its sequence name hashes to\n"
    "  --no-adaptive       no client adapts its buffer size to its rate of use\n"
    "  --single-caller     every client has one caller (by default about half the\n"
    "                      unbuffered clients have 2..4, like threads of one Client)\n"
    "  --no-share-requests the callers of an unbuffered client ask one ID each instead\n"
    "                      of sharing one request\n"
    "  --no-keep-ahead     a buffered client keeps one request in flight, however fast\n"
    "                      it uses IDs, instead of keeping more ranges ahead\n"
    "  --trace             with --seed: print every event\n"
    "  --scenario          with --seed: print the generated scenario\n"
    "  --jobs J            sweep worker threads (default: all cores)\n"
    "  --max-failures N    sweep: stop after the N lowest failing seeds (seeds below\n"
    "                      the last of them all run, so the report is the same every time)\n"
    "  --fail-fast         sweep: the same as --max-failures 1\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 all runs passed, 1 a run failed, 2 bad usage.\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "rrseq-sim: " << msg << "\n(try --help)\n";
  std::exit(2);
}

uint64_t parse_u64(const std::string& flag, const std::string& text, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    usage_error(flag + ": '" + text + "' is not a number");
  }
  if (v < lo || v > hi) {
    usage_error(flag + ": " + text + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return v;
}

// The seeds of a sweep: ascending, disjoint ranges [lo, hi].
struct SeedList {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t size() const {
    uint64_t n = 0;
    for (const auto& [lo, hi] : ranges) n += hi - lo + 1;
    return n;
  }
  uint64_t at(uint64_t i) const {  // i < size()
    for (const auto& [lo, hi] : ranges) {
      if (i <= hi - lo) return lo + i;
      i -= hi - lo + 1;
    }
    return ranges.back().second;
  }
  uint64_t count_upto(uint64_t seed) const {  // seeds <= seed
    uint64_t n = 0;
    for (const auto& [lo, hi] : ranges) {
      if (seed >= lo) n += std::min(seed, hi) - lo + 1;
    }
    return n;
  }
};

SeedList parse_seeds(const std::string& flag, const std::string& v) {
  SeedList list;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    const size_t dash = item.find('-');
    const uint64_t lo = parse_u64(flag, item.substr(0, dash), 0, UINT64_MAX);
    const uint64_t hi = dash == std::string::npos ? lo : parse_u64(flag, item.substr(dash + 1), 0, UINT64_MAX);
    if (hi < lo) usage_error(flag + ": the range " + item + " ends before it starts");
    if (!list.ranges.empty() && lo <= list.ranges.back().second)
      usage_error(flag + ": " + item + " does not come after the seeds before it (list them ascending, once)");
    list.ranges.emplace_back(lo, hi);
    if (hi - lo >= sweep_seeds_max || list.size() > sweep_seeds_max)
      usage_error(flag + ": at most " + std::to_string(sweep_seeds_max) + " seeds");
    start = comma + 1;
  }
  return list;
}

struct Cli {
  SimOptions opt;
  std::optional<uint64_t> seed;
  std::optional<SeedList> seeds;
  bool trace = false;
  bool show_scenario = false;
  unsigned jobs = 0;
  uint64_t max_failures = 0;  // 0: run every seed
};

Cli parse(int argc, char** argv) {
  Cli cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      std::exit(0);
    } else if (a == "--seed") {
      cli.seed = parse_u64(a, value(), 0, UINT64_MAX);
    } else if (a == "--seeds") {
      cli.seeds = parse_seeds(a, value());
    } else if (a == "--nodes") {
      cli.opt.nodes = static_cast<uint32_t>(parse_u64(a, value(), sim_nodes_min, cluster_nodes_max));
      if (cli.opt.nodes % 2 == 0) usage_error("--nodes: use an odd cluster size (3, 5, 7)");
    } else if (a == "--clients") {
      cli.opt.clients = static_cast<uint32_t>(parse_u64(a, value(), 1, sim_clients_max));
    } else if (a == "--readers") {
      cli.opt.readers = static_cast<uint32_t>(parse_u64(a, value(), 0, sim_readers_max));
    } else if (a == "--faults") {
      std::string err;
      if (!parse_faults(value(), &cli.opt.faults, &err)) usage_error("--faults: " + err);
    } else if (a == "--protocol") {
      const std::string v = value();
      if (v == "ballot") {
        cli.opt.protocol = Protocol::ballot;
      } else if (v == "classic") {
        cli.opt.protocol = Protocol::classic;
      } else {
        usage_error("--protocol: expected ballot or classic, got '" + v + "'");
      }
    } else if (a == "--time-ms") {
      cli.opt.time_ms = parse_u64(a, value(), 1, sim_time_ms_max);
    } else if (a == "--storage") {
      const std::string v = value();
      if (v == "any") {
        cli.opt.storage = StorageMode::any;
      } else if (v == "memory") {
        cli.opt.storage = StorageMode::memory;
      } else if (v == "durable") {
        cli.opt.storage = StorageMode::durable;
      } else {
        usage_error("--storage: expected any, memory or durable, got '" + v + "'");
      }
    } else if (parse_speedup_flag(a, cli.opt.speedups)) {
    } else if (a == "--no-affinity") {
      cli.opt.affinity = false;
    } else if (a == "--no-adaptive") {
      cli.opt.adaptive = false;
    } else if (a == "--single-caller") {
      cli.opt.several_callers = false;
    } else if (a == "--no-share-requests") {
      cli.opt.share_requests = false;
    } else if (a == "--no-keep-ahead") {
      cli.opt.keep_ahead = false;
    } else if (a == "--trace") {
      cli.trace = true;
    } else if (a == "--scenario") {
      cli.show_scenario = true;
    } else if (a == "--max-failures") {
      cli.max_failures = parse_u64(a, value(), 1, UINT64_MAX);
    } else if (a == "--fail-fast") {
      cli.max_failures = 1;
    } else if (a == "--jobs") {
      cli.jobs = static_cast<unsigned>(parse_u64(a, value(), 1, jobs_max));
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  if (cli.seed.has_value() == cli.seeds.has_value()) usage_error("give exactly one of --seed S or --seeds LIST");
  if (cli.max_failures && !cli.seeds) usage_error("--max-failures and --fail-fast need --seeds LIST");
  return cli;
}

std::string replay_command(const char* program, uint64_t seed, const SimOptions& opt) {
  return std::string(program) + " --seed " + std::to_string(seed) + option_flags(opt) + " --trace";
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

int run_one(const char* program, const Cli& cli) {
  const uint64_t seed = *cli.seed;
  const Scenario scenario = make_scenario(seed, cli.opt);
  if (cli.show_scenario || cli.trace) std::cout << "scenario: " << scenario.describe();
  const RunOutcome o = run_scenario(scenario, cli.trace ? &std::cout : nullptr);
  const WorldStats& st = o.world.stats;
  const CheckReport& r = o.report;
  std::cout << "seed " << seed << ": " << scenario.nodes << " nodes, " << scenario.clients.size()
            << " clients, " << protocol_name(scenario.protocol) << ", "
            << (scenario.durable ? "durable" : "memory") << ", faults " << faults_name(cli.opt.faults) << "\n"
            << "  events " << st.events << ", messages " << st.messages << " (dropped " << st.dropped
            << ", duplicated " << st.duplicated << "), crashes " << st.crashes << " (wipes " << st.wipes
            << ", skipped " << st.skipped_faults << "), client crashes " << st.client_crashes << ", connections lost " << st.connections_lost << ", syncs "
            << st.syncs << "\n"
            << "  slow links " << st.slow_links << " (frames " << st.slow_frames << "), pauses " << st.pauses
            << " (clients " << st.client_pauses << ", events held " << st.held_events << "), aimed wipes "
            << st.aimed_wipes << ", rejoin crashes " << st.rejoin_crashes << ", not started " << st.absent_nodes
            << ", down/isolated after heal " << st.final_down << "/" << st.final_isolated << "\n"
            << "  disk: sync errors " << st.sync_errors << ", enospc stops " << st.enospc_stops << ", compactions "
            << st.compactions << " (failed " << st.compaction_errors << ", power cut inside " << st.compaction_crashes << ", crashes after " << st.crashes_after_compaction << "), power losses "
            << st.power_losses << ", corrupt logs set aside " << st.corrupt_logs << ", holes " << st.holes << ", names reverted " << st.names_reverted << "\n"
            << "  grants " << r.grants << ", ids granted " << r.ids_granted << ", consumed " << r.ids_consumed
            << ", highest " << r.id_high << ", skipped " << r.ids_skipped << "\n"
            << "  door calls: reads " << st.reads << ", advances " << st.advances << ", refused "
            << st.reader_refusals << ", timed out " << st.reader_timeouts << "\n";
  for (const auto& v : r.violations) {
    std::cout << "  VIOLATION " << v.property << ": " << v.detail;
    if (!v.ids.empty()) {
      std::cout << " (ids";
      for (uint64_t id : v.ids) std::cout << " " << id;
      std::cout << ")";
    }
    std::cout << "\n";
  }
  std::cout << (r.ok() ? "result: pass" : "result: FAIL") << "\n";
  if (!r.ok()) std::cout << "replay: " << replay_command(program, seed, cli.opt) << "\n";
  std::cout << "trace-hash: " << hex(o.world.trace_hash) << "\n";
  return r.ok() ? 0 : 1;
}

int run_sweep(const char* program, const Cli& cli) {
  const SeedList& seeds = *cli.seeds;
  const uint64_t total = seeds.size();
  unsigned jobs = cli.jobs ? cli.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<uint64_t>(jobs, total));
  const bool bar = isatty(STDERR_FILENO);

  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::string>> failures;  // seed, first violation
  // With --max-failures N: the N-th lowest failing seed found so far. Seeds are
  // handed out in order, so every seed below it has started and will finish: the
  // N lowest failing seeds of the range are found whatever the thread timing.
  std::atomic<uint64_t> cutoff{UINT64_MAX};
  // Each worker runs whole worlds; a world never shares state with another.
  auto worker = [&] {
    for (uint64_t i = next++; i < total; i = next++) {
      const uint64_t seed = seeds.at(i);
      if (seed > cutoff.load()) break;
      const RunOutcome o = run_seed(seed, cli.opt);
      if (!o.ok()) {
        std::lock_guard lock(mu);
        failures.emplace_back(seed, first_violation(o.report));
        if (cli.max_failures && failures.size() >= cli.max_failures) {
          std::sort(failures.begin(), failures.end());
          cutoff = std::min(cutoff.load(), failures[cli.max_failures - 1].first);
        }
      }
      const uint64_t d = ++done;
      if (bar && (d % 16 == 0 || d == total)) {
        std::lock_guard lock(mu);
        const int width = 40;
        const int filled = static_cast<int>(width * d / total);
        std::fprintf(stderr, "\r[%s%s] %llu/%llu seeds, %zu failed", std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(d),
                     static_cast<unsigned long long>(total), failures.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (bar) std::fprintf(stderr, "\n");

  std::sort(failures.begin(), failures.end());
  // Seeds above the cutoff that were already running: dropped, so the report
  // does not depend on how far the other threads got.
  uint64_t ran = total;
  if (cutoff.load() != UINT64_MAX) {
    std::erase_if(failures, [&](const auto& f) { return f.first > cutoff.load(); });
    ran = seeds.count_upto(cutoff.load());
  }
  for (const auto& [seed, what] : failures) {
    std::cout << "FAIL seed " << seed << " " << what << " replay: " << replay_command(program, seed, cli.opt)
              << "\n";
  }
  std::cout << "sim: " << (ran - failures.size()) << " passed, " << failures.size() << " failed";
  if (ran < total) {
    std::cout << ", " << (total - ran) << " not run (stopped at seed " << cutoff.load() << " after "
              << failures.size() << (failures.size() == 1 ? " failure" : " failures") << ")";
  }
  std::cout << std::endl;
  return failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Cli cli = parse(argc, argv);
  return cli.seed ? run_one(argv[0], cli) : run_sweep(argv[0], cli);
}
