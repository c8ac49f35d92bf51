// rrseq-bench: the seed's benchmark table, in ns per ID.
//
//   RRSeq_BufSize{0,1,2,1024}_{SingleClient,ConcurrentClients_Local,
//                              ConcurrentClients_Distributed}/{memory,durable}
//   SimpleBufSeq_BufSize{0,1,2,1024}_{SingleClient,ConcurrentClients_Local}/local
//   GRPC_BufSize{0,1024}_ConcurrentClients_Distributed/memory+doors
//   HTTP_BufSize0_{SingleClient,ConcurrentClients_Distributed}/memory+doors
//
// GRPC_* ask the cluster's --grpc doors through the C++ gRPC client, with the
// 2016 API (GRPCNextID, range_size = the buffer, 1 for none); each client has
// its own channel to one node. HTTP_* get one ID per request from the --http
// doors (one request per connection, as the door serves them). The RRSeq rows
// on memory+doors run on that cluster too: serving the doors must not slow the
// native protocol.
//
// RRSeq_* run against a 5-node cluster on loopback TCP (bench_cluster.h): by
// default five rrseq-server processes, with --servers in-process five
// rrseq::Server objects in this process; started once per set of cluster knobs
// (memory, durable, ...) and kept until the next set. SimpleBufSeq_* is the seed's non-distributed baseline: a buffer
// refilled from a local atomic counter. Every benchmark uses a fresh sequence, so
// its IDs start at 1, and runs one timed iteration of at most `max_ids` IDs or
// `max_seconds`, whichever comes first. Each reports items (= IDs) and the counter
// ns_per_id = elapsed real time / IDs (the console prints it as an inverted rate,
// e.g. "333.303ks" = 333,303 ns; the JSON and --csv hold plain numbers).
//
// Probe_* come first: what this machine allows (probes.h), the median of one
// fdatasync and of one loopback round trip between threads and between
// processes, in ns per operation. Rows whose target is a limit name it in the
// CSV's `limit` column ("1.2*(fdatasync+2*rtt_processes)"); run.sh computes it
// from the probes of the same run.
//
// Extra flags (the rest are Google Benchmark's; run.sh passes
// --benchmark_repetitions=5, so every row runs 5 times):
//   --csv FILE            also write one CSV line per run (run.sh reads it)
//   --time_scale X        multiply every time budget and ID cap by X (0.1 = smoke run)
//   --servers process|in-process   how the nodes run (default process)
//   --server-bin PATH     the rrseq-server to run (default: beside rrseq-bench)
//   --data-dir DIR        where durable nodes and the fdatasync probe write (default: the temp dir)
//
// Adding a switch (e.g. ClientOptions::affinity, ServerConfig::combine): add a
// field to ClientKnobs or ClusterKnobs, set it in apply(), name it in label(),
// and list the variant in register_all().
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <grpcpp/grpcpp.h>

#include "bench/bench_cluster.h"
#include "bench/probes.h"
#include "rr_seq.grpc.pb.h"
#include "rrseq/client.h"
#include "transport_net/log.h"

namespace rrseq::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t concurrent_threads = 32;  // ConcurrentClients_*: threads (Local), Clients (Distributed)
double time_scale = 1.0;                   // --time_scale
Servers servers_mode = Servers::process;   // --servers
std::string server_bin;                    // --server-bin
std::string data_dir;                      // --data-dir

// ---------------------------------------------------------------------------
// Knobs: ClusterKnobs (bench_cluster.h) choose the cluster; ClientKnobs go into
// every ClientOptions of a benchmark.

struct ClientKnobs {
  uint64_t buffer_size = 0;
  bool affinity = true;   // clients of one sequence prefer its home node (leaderless fallback)
  bool adaptive = false;  // grow the range with the rate IDs are used
  bool share_requests = true;  // unbuffered threads of one Client share a request
  bool keep_ahead = true;      // a buffered Client keeps more ranges ahead when one comes late

  void apply(ClientOptions& o) const {
    o.buffer_size = buffer_size;
    o.affinity = affinity;
    o.adaptive = adaptive;
    o.share_requests = share_requests;
    o.keep_ahead = keep_ahead;
  }
  std::string label() const {  // suffix for switches beyond buffer_size
    std::string s;
    if (!affinity) s += "_NoAffinity";
    if (adaptive) s += "_Adaptive";
    if (!share_requests) s += "_NoShare";
    if (!keep_ahead) s += "_NoAhead";
    return s;
  }
};

enum class Workload { single, local, distributed };

const char* workload_name(Workload w) {
  switch (w) {
    case Workload::single: return "SingleClient";
    case Workload::local: return "ConcurrentClients_Local";
    case Workload::distributed: return "ConcurrentClients_Distributed";
  }
  return "?";
}

size_t workload_threads(Workload w) { return w == Workload::single ? 1 : concurrent_threads; }

// How much one benchmark may take: it stops at whichever comes first.
struct Budget {
  uint64_t max_ids;
  double max_seconds;
  uint64_t grain;  // IDs a thread claims at once (keep 1 where an ID costs a round trip)
};

// ---------------------------------------------------------------------------
// The seed's figures (the 2016 Go code's own benchmarks, run on this machine
// kind with 2 cores) and the targets, in ns per ID, from issue 12's table. A
// target may instead be a limit of this machine, probed in the same run.

struct Reference {
  std::string seed;  // as printed: "722000" or empty
  double seed_lo = 0, seed_hi = 0;
  std::optional<double> target;
  std::string limit;  // e.g. "1.2*(2*rtt_processes)": run.sh evaluates it from the probes
};

// The round trip the servers pay: between processes unless they run in this one.
std::string rtt_probe() { return servers_mode == Servers::process ? "rtt_processes" : "rtt_threads"; }

Reference reference(const std::string& family, uint64_t buf, Workload w, const std::string& mode) {
  Reference r;
  auto seed = [&](double v) {
    r.seed_lo = r.seed_hi = v;
    char text[64];
    std::snprintf(text, sizeof text, "%.0f", v);
    r.seed = text;
  };
  if (family == "SimpleBufSeq") return r;
  const bool memory = mode == "memory", durable = mode == "durable";
  if (w == Workload::single && buf == 0) {
    if (memory) seed(722'000);
    if (memory) r.limit = "1.2*(2*" + rtt_probe() + ")";
    if (durable) r.limit = "1.2*(fdatasync+2*" + rtt_probe() + ")";
  } else if (w == Workload::local && buf == 0 && memory) {
    seed(687'000);
    r.target = 10'000;
  } else if (w == Workload::distributed && buf == 0) {
    if (memory) seed(940'000);
    if (memory) r.target = 10'000;
    if (durable) r.target = 15'000;
  } else if (w == Workload::distributed && buf == 2 && memory) {
    seed(521'000);
    r.target = 5'000;
  } else if (buf == 1024 && memory) {
    seed(w == Workload::single ? 874 : w == Workload::local ? 798 : 926);
    r.target = w == Workload::distributed ? 15 : 20;
  }
  return r;
}

// ---------------------------------------------------------------------------
// One cluster at a time, for the knobs in use; the previous one is stopped
// first, so an idle cluster takes nothing from the measured one.

std::string cluster_label;
std::unique_ptr<BenchCluster> cluster;

BenchCluster* cluster_for(const ClusterKnobs& knobs, std::string* error) {
  if (cluster && cluster_label == knobs.label()) return cluster.get();
  cluster.reset();  // stops the previous one
  cluster_label.clear();
  auto c = start_cluster(servers_mode, knobs, server_bin, data_dir);
  if (!c->error().empty()) {
    *error = c->error();
    return nullptr;  // its destructor stops what did start
  }
  cluster = std::move(c);
  cluster_label = knobs.label();
  return cluster.get();
}

std::string fresh_sequence(const std::string& tag) {
  static std::atomic<uint64_t> n{0};
  std::string s = "b" + std::to_string(++n) + "." + tag;
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
  return s.substr(0, 64);
}

// ---------------------------------------------------------------------------
// SimpleBufSeq-style baseline: IDs from a local buffer of buf_size, refilled by
// one fetch_add on a shared atomic counter (buf_size 0: one fetch_add per ID).

class SimpleBufSeq {
 public:
  SimpleBufSeq(std::atomic<uint64_t>& source, uint64_t buf_size) : source_(source), buf_(buf_size) {}

  uint64_t next() {
    if (buf_ == 0) return source_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::lock_guard<std::mutex> lock(mu_);
    if (next_ == end_) {
      next_ = source_.fetch_add(buf_, std::memory_order_relaxed) + 1;
      end_ = next_ + buf_;
    }
    return next_++;
  }

 private:
  std::atomic<uint64_t>& source_;
  const uint64_t buf_;
  std::mutex mu_;
  uint64_t next_ = 0, end_ = 0;
};

// ---------------------------------------------------------------------------
// Door clients: what a program in another language does.

// The 2016 API through a gRPC channel of its own: one GRPCNextID per range of
// buf_size IDs (one per ID without a buffer), handed out in order.
class GrpcSource {
 public:
  GrpcSource(const std::string& address, const std::string& sequence, uint64_t buf_size)
      : stub_(pb::RRAPI::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        sequence_(sequence),
        range_(std::max<uint64_t>(buf_size, 1)) {}

  NextResult next() {
    if (next_ == end_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
      pb::NextIDRequest req;
      req.set_name(sequence_);
      req.set_range_size(static_cast<int64_t>(range_));
      pb::NextIDReply rep;
      const grpc::Status st = stub_->GRPCNextID(&ctx, req, &rep);
      if (!st.ok()) return NextResult{0, "GRPCNextID: " + st.error_message()};
      next_ = rep.from_id();
      end_ = rep.to_id();
    }
    return NextResult{next_++, ""};
  }

 private:
  std::unique_ptr<pb::RRAPI::Stub> stub_;
  std::string sequence_;
  uint64_t range_;
  uint64_t next_ = 0, end_ = 0;
};

// One ID per HTTP request, each on a connection of its own (the door closes it
// after the answer), read to the end and its "from" taken from the JSON.
class HttpSource {
 public:
  HttpSource(const std::string& address, const std::string& sequence) : sequence_(sequence) {
    const size_t colon = address.rfind(':');
    endpoint_ = asio::ip::tcp::endpoint(asio::ip::make_address(address.substr(0, colon)),
                                        static_cast<uint16_t>(std::stoul(address.substr(colon + 1))));
    request_ = "GET /v1/sequences/" + sequence_ + "/next?count=1 HTTP/1.1\r\nHost: bench\r\n\r\n";
  }

  NextResult next() {
    asio::ip::tcp::socket socket(io_);
    asio::error_code ec;
    socket.connect(endpoint_, ec);
    if (!ec) asio::write(socket, asio::buffer(request_), ec);
    std::string answer;
    if (!ec) asio::read(socket, asio::dynamic_buffer(answer), ec);
    if (ec && ec != asio::error::eof) return NextResult{0, "http: " + ec.message()};
    if (answer.rfind("HTTP/1.1 200", 0) != 0) return NextResult{0, "http: " + answer.substr(0, answer.find('\r'))};
    const size_t at = answer.find("\"from\":");
    if (at == std::string::npos) return NextResult{0, "http: no \"from\" in the answer"};
    return NextResult{std::strtoull(answer.c_str() + at + 7, nullptr, 10), ""};
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::endpoint endpoint_;
  std::string sequence_;
  std::string request_;
};

uint64_t id_of(uint64_t id, std::string*) { return id; }
uint64_t id_of(const NextResult& r, std::string* error) {
  if (!r.ok()) *error = r.error;
  return r.id;
}

// ---------------------------------------------------------------------------
// The timed part: `sources.size()` threads wait before the timed loop, then each
// takes IDs from its source (sources may repeat: Local = one Client, 32 threads)
// until the budget is used. Checks every ID is non-zero and, per thread, increasing.

template <class Source>
void run_timed(benchmark::State& state, const std::vector<Source*>& sources, const Budget& budget) {
  const uint64_t max_ids = std::max<uint64_t>(1, static_cast<uint64_t>(budget.max_ids * time_scale));
  const auto max_time = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(budget.max_seconds * time_scale));

  std::atomic<uint64_t> claimed{0}, produced{0};
  std::atomic<bool> stop{false};
  std::mutex error_mu;
  std::string error;
  Clock::time_point deadline;
  std::latch go(1);

  auto worker = [&](Source* src) {
    go.wait();
    uint64_t last = 0, count = 0;
    std::string err;
    while (!stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
      uint64_t first = claimed.fetch_add(budget.grain, std::memory_order_relaxed);
      if (first >= max_ids) break;
      uint64_t n = std::min(budget.grain, max_ids - first);
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t id = id_of(src->next(), &err);
        if (id == 0 || id <= last) {
          if (err.empty())
            err = id == 0 ? "ID 0" : "ID " + std::to_string(id) + " after " + std::to_string(last);
          break;
        }
        last = id;
        ++count;
      }
      if (!err.empty()) {
        stop = true;
        std::lock_guard<std::mutex> lock(error_mu);
        if (error.empty()) error = err;
        break;
      }
    }
    produced.fetch_add(count);
  };

  std::vector<std::thread> threads;
  for (Source* s : sources) threads.emplace_back(worker, s);
  for (auto _ : state) {
    deadline = Clock::now() + max_time;
    go.count_down();
    for (auto& t : threads) t.join();
  }
  if (!threads.empty() && threads[0].joinable()) {  // the loop did not run (error elsewhere)
    deadline = Clock::now();
    go.count_down();
    for (auto& t : threads) t.join();
  }

  const uint64_t ids = produced.load();
  state.SetItemsProcessed(static_cast<int64_t>(ids));
  // kIsRate divides by the elapsed (real) time, kInvert flips it: seconds per
  // (ids / 1e9) = ns per ID.
  state.counters["ns_per_id"] =
      benchmark::Counter(static_cast<double>(ids) / 1e9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["ids"] = static_cast<double>(ids);
  state.counters["threads"] = static_cast<double>(sources.size());
  if (!error.empty())
    state.SkipWithError(error.c_str());
  else if (ids == 0)
    state.SkipWithError("no ID produced");
}

// ---------------------------------------------------------------------------
// Benchmark families.

struct RRSeqCase {
  Workload workload;
  ClusterKnobs cluster;
  ClientKnobs client;
  Budget budget;
};

void bench_rrseq(benchmark::State& state, const RRSeqCase& c, const std::string& tag) {
  std::string error;
  BenchCluster* cl = cluster_for(c.cluster, &error);
  if (!cl) {
    state.SkipWithError(("cluster: " + error).c_str());
    return;
  }
  const std::string sequence = fresh_sequence(tag);
  const size_t n_clients = c.workload == Workload::distributed ? concurrent_threads : 1;
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < n_clients; ++i) {
    ClientOptions o;
    o.servers = cl->rotated(i);
    o.sequence = sequence;
    o.deadline = std::chrono::milliseconds{15'000};  // a loaded 2-core machine
    c.client.apply(o);
    auto client = Client::connect(o, &error);
    if (!client) {
      state.SkipWithError(("connect: " + error).c_str());
      return;
    }
    clients.push_back(std::move(client));
  }
  // Warm-up, untimed: connections made, first range fetched.
  for (auto& client : clients) {
    NextResult r = client->next();
    if (!r.ok()) {
      state.SkipWithError(("warm-up: " + r.error).c_str());
      for (auto& cc : clients) cc->close();
      return;
    }
  }
  std::vector<Client*> sources;
  for (size_t i = 0; i < workload_threads(c.workload); ++i) sources.push_back(clients[i % clients.size()].get());
  run_timed(state, sources, c.budget);
  for (auto& client : clients) client->close();
}

enum class Door { grpc, http };

void bench_door(benchmark::State& state, Door door, Workload w, uint64_t buf_size, const Budget& budget,
                const std::string& tag) {
  std::string error;
  BenchCluster* cl = cluster_for(ClusterKnobs{.doors = true}, &error);
  if (!cl) {
    state.SkipWithError(("cluster: " + error).c_str());
    return;
  }
  const std::string sequence = fresh_sequence(tag);
  const size_t n_clients = workload_threads(w);
  std::vector<std::unique_ptr<GrpcSource>> grpc_sources;
  std::vector<std::unique_ptr<HttpSource>> http_sources;
  for (size_t i = 0; i < n_clients; ++i) {
    const size_t node = i % cluster_nodes;
    if (door == Door::grpc) {
      grpc_sources.push_back(std::make_unique<GrpcSource>(cl->grpc_address(node), sequence, buf_size));
    } else {
      http_sources.push_back(std::make_unique<HttpSource>(cl->http_address(node), sequence));
    }
  }
  auto run = [&](auto& owned) {
    std::vector<typename std::decay_t<decltype(owned)>::value_type::element_type*> sources;
    for (auto& o : owned) {
      NextResult r = o->next();  // warm-up, untimed: channel made, first range fetched
      if (!r.ok()) return state.SkipWithError(("warm-up: " + r.error).c_str());
      sources.push_back(o.get());
    }
    run_timed(state, sources, budget);
  };
  if (door == Door::grpc) {
    run(grpc_sources);
  } else {
    run(http_sources);
  }
}

void bench_simple(benchmark::State& state, Workload w, uint64_t buf_size, const Budget& budget) {
  std::atomic<uint64_t> counter{0};
  SimpleBufSeq seq(counter, buf_size);
  std::vector<SimpleBufSeq*> sources(workload_threads(w), &seq);
  run_timed(state, sources, budget);
}

// A probe as a row: ns_per_id holds the median of one operation, in ns.
void bench_probe(benchmark::State& state, const std::function<std::vector<double>(std::string*)>& probe) {
  std::string error;
  std::vector<double> samples;
  for (auto _ : state) samples = probe(&error);
  if (samples.empty()) {
    state.SkipWithError(("probe: " + error).c_str());
    return;
  }
  state.counters["ns_per_id"] = median(samples);
  state.counters["ids"] = static_cast<double>(samples.size());  // operations timed
}

// ---------------------------------------------------------------------------
// Registration and the CSV the run script turns into a table.

struct RowInfo {
  std::string family, workload, mode;
  uint64_t buf_size;
  Reference ref;
};
std::map<std::string, RowInfo> rows;  // by benchmark base name

benchmark::internal::Benchmark* finish(benchmark::internal::Benchmark* b) {
  return b->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
}

void register_all() {
  // The limits first, on a quiet machine: no cluster runs yet.
  auto add_probe = [](const std::string& what, std::function<std::vector<double>(std::string*)> probe) {
    const std::string name = "Probe_" + what + "/local";
    rows[name] = RowInfo{"Probe", what, "local", 0, Reference{}};
    finish(benchmark::RegisterBenchmark(name.c_str(), [probe](benchmark::State& st) { bench_probe(st, probe); }));
  };
  add_probe("fdatasync", [](std::string* e) { return probe_fdatasync(data_dir, e); });
  add_probe("rtt_threads", probe_round_trip_threads);
  add_probe("rtt_processes", probe_round_trip_processes);

  const uint64_t buf_sizes[] = {0, 1, 2, 1024};
  const Workload workloads[] = {Workload::single, Workload::local, Workload::distributed};
  const ClusterKnobs cluster_variants[] = {ClusterKnobs{.durable = false}, ClusterKnobs{.durable = true}};

  auto add = [](Workload w, const ClusterKnobs& ck, const ClientKnobs& client) {
    RRSeqCase c;
    c.workload = w;
    c.cluster = ck;
    c.client = client;
    const uint64_t buf = client.buffer_size;
    c.budget = buf >= 1024 ? Budget{3'000'000, 4.0, 256} : Budget{400'000, 6.0, 1};
    std::string base = "RRSeq_BufSize" + std::to_string(buf) + client.label() + "_" + workload_name(w);
    std::string name = base + "/" + ck.label();
    rows[name] = RowInfo{"RRSeq", workload_name(w), ck.label(), buf, reference("RRSeq", buf, w, ck.label())};
    if (!client.label().empty()) {  // targets are for the defaults
      rows[name].ref.target.reset();
      rows[name].ref.limit.clear();
    }
    finish(benchmark::RegisterBenchmark(name.c_str(), [c, base](benchmark::State& st) { bench_rrseq(st, c, base); }));
  };
  for (const ClusterKnobs& ck : cluster_variants)
    for (uint64_t buf : buf_sizes)
      for (Workload w : workloads) add(w, ck, ClientKnobs{.buffer_size = buf});

  // Each optimization switched off (or, for adaptive buffers, on) on the rows
  // that have a target, so its effect shows next to the default row.
  struct Row {
    Workload w;
    uint64_t buf;
    bool durable;
  };
  const Row target_rows[] = {{Workload::single, 0, false},         {Workload::local, 0, false},
                             {Workload::distributed, 0, false},    {Workload::distributed, 2, false},
                             {Workload::single, 1024, false},      {Workload::local, 1024, false},
                             {Workload::distributed, 1024, false}, {Workload::single, 0, true},
                             {Workload::distributed, 0, true}};
  for (const Row& r : target_rows) {
    const ClientKnobs client{.buffer_size = r.buf};
    add(r.w, ClusterKnobs{.durable = r.durable, .speedups = {.combine = false}}, client);
    add(r.w, ClusterKnobs{.durable = r.durable, .speedups = {.fast_path = false}}, client);
    add(r.w, ClusterKnobs{.durable = r.durable}, ClientKnobs{.buffer_size = r.buf, .affinity = false});
    if (r.durable) add(r.w, ClusterKnobs{.durable = true, .speedups = {.group_commit = false}}, client);
    if (r.buf > 0) add(r.w, ClusterKnobs{.durable = r.durable}, ClientKnobs{.buffer_size = r.buf, .adaptive = true});
    if (r.buf > 0) add(r.w, ClusterKnobs{.durable = r.durable}, ClientKnobs{.buffer_size = r.buf, .keep_ahead = false});
  }
  // Threads of one Client taking turns instead of sharing a request.
  add(Workload::local, ClusterKnobs{}, ClientKnobs{.buffer_size = 0, .share_requests = false});
  add(Workload::local, ClusterKnobs{.durable = true}, ClientKnobs{.buffer_size = 0, .share_requests = false});
  // The doors, and the native rows they must not slow, on one cluster.
  const ClusterKnobs doors{.doors = true};
  add(Workload::single, doors, ClientKnobs{.buffer_size = 0});
  add(Workload::distributed, doors, ClientKnobs{.buffer_size = 0});
  add(Workload::distributed, doors, ClientKnobs{.buffer_size = 1024});
  auto add_door = [&](Door door, Workload w, uint64_t buf) {
    const std::string family = door == Door::grpc ? "GRPC" : "HTTP";
    const std::string base = family + "_BufSize" + std::to_string(buf) + "_" + workload_name(w);
    const std::string name = base + "/" + doors.label();
    const Budget budget = buf >= 1024 ? Budget{3'000'000, 4.0, 256} : Budget{200'000, 6.0, 1};
    rows[name] = RowInfo{family, workload_name(w), doors.label(), buf, Reference{}};
    finish(benchmark::RegisterBenchmark(
        name.c_str(), [=](benchmark::State& st) { bench_door(st, door, w, buf, budget, base); }));
  };
  add_door(Door::grpc, Workload::distributed, 0);
  add_door(Door::grpc, Workload::distributed, 1024);
  add_door(Door::http, Workload::single, 0);
  add_door(Door::http, Workload::distributed, 0);

  for (uint64_t buf : buf_sizes) {
    for (Workload w : {Workload::single, Workload::local}) {
      Budget budget{w == Workload::single ? 50'000'000u : 10'000'000u, 2.0, 1024};
      std::string name = "SimpleBufSeq_BufSize" + std::to_string(buf) + "_" + workload_name(w) + "/local";
      rows[name] = RowInfo{"SimpleBufSeq", workload_name(w), "local", buf, reference("SimpleBufSeq", buf, w, "")};
      finish(benchmark::RegisterBenchmark(
          name.c_str(), [w, buf, budget](benchmark::State& st) { bench_simple(st, w, buf, budget); }));
    }
  }
}

// Forwards to the reporter --benchmark_format asks for and writes the CSV.
class TeeReporter : public benchmark::BenchmarkReporter {
 public:
  TeeReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner, std::ofstream* csv)
      : inner_(std::move(inner)), csv_(csv) {
    if (csv_ && csv_->is_open())
      *csv_ << "name,family,workload,buf_size,mode,ids,seconds,ns_per_id,seed_ns,seed_lo,seed_hi,target_ns,error,limit\n";
  }
  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    if (!csv_ || !csv_->is_open()) return;
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      const std::string& name = run.run_name.function_name;
      auto it = rows.find(name);
      if (it == rows.end()) continue;
      const RowInfo& row = it->second;
      auto counter = [&](const char* key) {
        auto c = run.counters.find(key);
        return c == run.counters.end() ? 0.0 : c->second.value;
      };
      std::string err = run.error_message;
      std::replace(err.begin(), err.end(), ',', ';');
      std::replace(err.begin(), err.end(), '\n', ' ');
      auto num = [](double v, int decimals) {
        char text[64];
        std::snprintf(text, sizeof text, "%.*f", decimals, v);
        return std::string(text);
      };
      const Reference& ref = row.ref;
      *csv_ << name << ',' << row.family << ',' << row.workload << ',' << row.buf_size << ',' << row.mode << ','
            << num(counter("ids"), 0) << ',' << num(run.real_accumulated_time, 3) << ','
            << (run.error_occurred ? "" : num(counter("ns_per_id"), 2)) << ',' << ref.seed << ','
            << (ref.seed.empty() ? "" : num(ref.seed_lo, 0)) << ',' << (ref.seed.empty() ? "" : num(ref.seed_hi, 0))
            << ',' << (ref.target ? num(*ref.target, 0) : "") << ',' << err << ',' << ref.limit << '\n'
            << std::flush;
    }
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::ofstream* csv_;
};

int bench_main(int argc, char** argv) {
  // Our own flags first; Google Benchmark rejects what it does not know.
  std::string csv_path;
  std::string format = "console";
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& flag) -> std::optional<std::string> {
      if (a == flag && i + 1 < argc) return std::string(argv[++i]);
      if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (a == "--help") {  // ours, then Google Benchmark's (it exits after)
      std::printf(
          "usage: rrseq-bench [--csv FILE] [--time_scale X] [--servers process|in-process]\n"
          "                   [--server-bin PATH] [--data-dir DIR] [Google Benchmark flags]\n\n"
          "  --csv FILE          also write one CSV line per run (bench/run.sh reads it)\n"
          "  --time_scale X      multiply every time budget and ID cap by X (0.1: a quick, rough run)\n"
          "  --servers M         process (default): five rrseq-server processes;\n"
          "                      in-process: five servers inside rrseq-bench\n"
          "  --server-bin PATH   the rrseq-server to run (default: beside rrseq-bench)\n"
          "  --data-dir DIR      where durable nodes and the fdatasync probe write (default: the temp dir)\n\n");
      rest.push_back(argv[i]);
    } else if (auto v = value("--csv")) {
      csv_path = *v;
    } else if (auto t = value("--time_scale")) {
      time_scale = std::stod(*t);
      if (!(time_scale > 0)) {
        std::fprintf(stderr, "rrseq-bench: --time_scale must be > 0\n");
        return 2;
      }
    } else if (auto m = value("--servers")) {
      if (*m == "process") {
        servers_mode = Servers::process;
      } else if (*m == "in-process") {
        servers_mode = Servers::in_process;
      } else {
        std::fprintf(stderr, "rrseq-bench: --servers: process or in-process, not '%s'\n", m->c_str());
        return 2;
      }
    } else if (auto b = value("--server-bin")) {
      server_bin = *b;
    } else if (auto d = value("--data-dir")) {
      data_dir = *d;
    } else {
      if (a.rfind("--benchmark_format=", 0) == 0) format = a.substr(19);
      rest.push_back(argv[i]);
    }
  }
  if (server_bin.empty()) {  // beside this program, as the build puts them
    std::error_code ec;
    server_bin = (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "rrseq-server").string();
  }
  if (servers_mode == Servers::process && ::access(server_bin.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "rrseq-bench: cannot run %s (--server-bin PATH, or --servers in-process)\n",
                 server_bin.c_str());
    return 2;
  }
  if (data_dir.empty()) data_dir = std::filesystem::temp_directory_path().string();
  if (!std::filesystem::is_directory(data_dir)) {
    std::fprintf(stderr, "rrseq-bench: --data-dir %s is not a directory\n", data_dir.c_str());
    return 2;
  }
  int rest_argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;

  register_all();

  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json")
    inner = std::make_unique<benchmark::JSONReporter>();
  else if (format == "console")
    inner = std::make_unique<benchmark::ConsoleReporter>(
        isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular : benchmark::ConsoleReporter::OO_Tabular);
  else {
    std::fprintf(stderr, "rrseq-bench: --benchmark_format: console or json (use --csv FILE for CSV)\n");
    return 2;
  }
  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    if (!csv) {
      std::fprintf(stderr, "rrseq-bench: cannot write %s\n", csv_path.c_str());
      return 2;
    }
  }
  TeeReporter reporter(std::move(inner), &csv);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  set_log_level(LogLevel::error);  // "peer down: server stopping" is expected now
  cluster.reset();                 // stops every node; removes durable data dirs
  return 0;
}

}  // namespace
}  // namespace rrseq::bench

int main(int argc, char** argv) { return rrseq::bench::bench_main(argc, argv); }
