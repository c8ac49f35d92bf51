// Multi-process chaos test: real rrseq-server and rrseq-client processes on
// loopback, killed, stopped, wiped and restarted while clients take IDs.
// Checks G1 (unique), G2 (increasing per client) and liveness after the heal.
//
// RRSEQ_CHAOS_SEED=N replays the chaos choices of a run (timing still varies);
// RRSEQ_CHAOS_KEEP=1 keeps the temporary directory (data, logs, outputs).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "transport_net/free_ports.h"

#ifndef RRSEQ_BIN_DIR
#error "RRSEQ_BIN_DIR must name the directory holding rrseq-server and rrseq-client"
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* sequence_name = "chaos";
constexpr milliseconds stop_grace{5'000};     // SIGTERM to exit, before SIGKILL
constexpr milliseconds heal_wait{30'000};     // every client must make progress within this
constexpr milliseconds startup_wait{10'000};  // a fresh cluster serves its first ID
constexpr int client_deadline_ms = 60'000;    // clients outlive a temporary loss of quorum

std::string bin(const char* name) { return std::string(RRSEQ_BIN_DIR) + "/" + name; }

void sleep_for(milliseconds d) { std::this_thread::sleep_for(d); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; pos > 0 && n <= lines; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// IDs from complete "Got: N" lines (a line cut by SIGKILL has no newline).
std::vector<uint64_t> parse_ids(const fs::path& p) {
  std::vector<uint64_t> ids;
  const std::string text = read_file(p);
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = text.substr(start, nl - start);
    if (line.rfind("Got: ", 0) == 0) ids.push_back(std::stoull(line.substr(5)));
  }
  return ids;
}

size_t count_ids(const fs::path& p) {
  const std::string text = read_file(p);
  size_t n = 0;
  for (size_t pos = 0; (pos = text.find("Got: ", pos)) != std::string::npos; pos += 5) ++n;
  return n;
}

// A child's exit as text: "exit 0", "signal 9".
std::string status_text(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Every process the test starts. The destructor SIGKILLs and reaps whatever
// is still alive, so an early return from a failed ASSERT leaves nothing behind.
class Processes {
 public:
  Processes() = default;
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;
  ~Processes() {
    for (pid_t pid : live_) ::kill(pid, SIGKILL);
    for (pid_t pid : live_) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // Starts argv with stdout and stderr sent to files; stdin is /dev/null.
  pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    live_.push_back(pid);
    return pid;
  }

  // The exit status if pid has exited (reaped now), else nullopt.
  std::optional<int> poll(pid_t pid) {
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r != pid) return std::nullopt;
    forget(pid);
    return status;
  }

  // Waits up to `bound` for pid to exit.
  std::optional<int> wait(pid_t pid, milliseconds bound) {
    const auto until = Clock::now() + bound;
    for (;;) {
      if (auto s = poll(pid)) return s;
      if (Clock::now() >= until) return std::nullopt;
      sleep_for(milliseconds(5));
    }
  }

  // SIGKILL and reap.
  int kill_now(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    forget(pid);
    return status;
  }

  // SIGTERM (after SIGCONT), wait up to `bound`, then SIGKILL. Returns the
  // status and whether SIGKILL was needed.
  std::pair<int, bool> terminate(pid_t pid, milliseconds bound) {
    ::kill(pid, SIGCONT);
    ::kill(pid, SIGTERM);
    if (auto s = wait(pid, bound)) return {*s, false};
    return {kill_now(pid), true};
  }

 private:
  void forget(pid_t pid) { live_.erase(std::remove(live_.begin(), live_.end(), pid), live_.end()); }
  std::vector<pid_t> live_;
};

enum class ServerState { up, killed, stopped };

struct ServerProc {
  std::string addr;
  fs::path data;
  fs::path log;
  pid_t pid = -1;
  ServerState state = ServerState::up;
  Clock::time_point restore_at{};  // when a killed/stopped server comes back
  int starts = 0;
};

struct ClientProc {
  int index = 0;
  uint64_t buffer = 0;
  int delay_ms = 1;
  std::vector<std::string> servers;
  fs::path out, err;
  pid_t pid = -1;
  bool running = false;
  bool killed_by_test = false;
  std::optional<int> status;  // once exited
  size_t ids_at_heal = 0;
};

struct Counts {
  int server_kills = 0, server_stops = 0, wipes = 0, client_kills = 0, unexpected_server_exits = 0;
};

class ChaosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rrseq-chaos-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << "mkdtemp: " << std::strerror(errno);
    dir_ = tmpl;
    ASSERT_TRUE(fs::exists(bin("rrseq-server"))) << bin("rrseq-server");
    ASSERT_TRUE(fs::exists(bin("rrseq-client"))) << bin("rrseq-client");
    const char* s = std::getenv("RRSEQ_CHAOS_SEED");
    seed_ = s ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : std::random_device{}();
    rng_.seed(seed_);
    std::printf("[chaos] seed %u (replay choices with RRSEQ_CHAOS_SEED=%u), dir %s\n", seed_, seed_, dir_.c_str());
    RecordProperty("seed", std::to_string(seed_));
  }

  void TearDown() override {
    // Processes first (they hold files in dir_), then the directory.
    procs_.reset();
    if (HasFailure()) dump_logs();
    const char* keep = std::getenv("RRSEQ_CHAOS_KEEP");
    if (!dir_.empty() && !(keep && *keep == '1')) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    } else if (!dir_.empty()) {
      std::printf("[chaos] kept %s\n", dir_.c_str());
    }
  }

  int rand_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // ---- servers ----

  void make_cluster(int n) {
    const auto ports = rrseq::free_loopback_ports(n);
    ASSERT_EQ(static_cast<int>(ports.size()), n) << "could not pick loopback ports";
    for (int i = 0; i < n; ++i) {
      ServerProc s;
      s.addr = "127.0.0.1:" + std::to_string(ports[i]);
      s.data = dir_ / ("data" + std::to_string(i));
      s.log = dir_ / ("server" + std::to_string(i) + ".log");
      servers_.push_back(s);
    }
    for (int i = 0; i < n; ++i) {
      start_server(i);
      ASSERT_GT(servers_[i].pid, 0) << "could not start rrseq-server";
    }
  }

  void start_server(int i) {
    auto& s = servers_[i];
    std::vector<std::string> argv = {bin("rrseq-server"), "--cluster", "chaos", s.addr, s.data.string()};
    for (const auto& o : servers_)
      if (o.addr != s.addr) argv.push_back(o.addr);
    log_event("start server " + std::to_string(i));
    s.pid = procs_->spawn(argv, s.log, s.log);
    s.state = ServerState::up;
    ++s.starts;
  }

  void kill_server(int i) {
    auto& s = servers_[i];
    log_event("SIGKILL server " + std::to_string(i));
    procs_->kill_now(s.pid);
    s.pid = -1;
    s.state = ServerState::killed;
  }

  // Restores every disturbed server whose time has come (all of them if `all`).
  void restore_due(bool all) {
    const auto now = Clock::now();
    for (size_t i = 0; i < servers_.size(); ++i) {
      auto& s = servers_[i];
      if (s.state == ServerState::up || (!all && now < s.restore_at)) continue;
      if (s.state == ServerState::killed) {
        start_server(static_cast<int>(i));
      } else {
        log_event("SIGCONT server " + std::to_string(i));
        ::kill(s.pid, SIGCONT);
        s.state = ServerState::up;
      }
    }
  }

  // A server that exits on its own is a failure; it is restarted so the run goes on.
  void check_servers() {
    for (size_t i = 0; i < servers_.size(); ++i) {
      auto& s = servers_[i];
      if (s.state == ServerState::killed || s.pid <= 0) continue;
      if (auto st = procs_->poll(s.pid)) {
        ++counts_.unexpected_server_exits;
        ADD_FAILURE() << "server " << i << " (" << s.addr << ") exited on its own: " << status_text(*st)
                      << "\n--- tail of " << s.log << " ---\n"
                      << tail(read_file(s.log), 30);
        s.pid = -1;
        s.state = ServerState::killed;
        s.restore_at = Clock::now();
      }
    }
  }

  int disturbed() const {
    return static_cast<int>(std::count_if(servers_.begin(), servers_.end(),
                                          [](const ServerProc& s) { return s.state != ServerState::up; }));
  }

  // ---- clients ----

  void start_client(std::optional<uint64_t> buffer = std::nullopt, std::optional<uint64_t> count = std::nullopt) {
    static constexpr uint64_t buffers[] = {0, 1, 2, 7, 100, 1024};
    ClientProc c;
    c.index = static_cast<int>(clients_.size());
    c.buffer = buffer ? *buffer : buffers[rand_int(0, static_cast<int>(std::size(buffers)) - 1)];
    c.delay_ms = rand_int(1, 3);
    for (const auto& s : servers_) c.servers.push_back(s.addr);
    std::shuffle(c.servers.begin(), c.servers.end(), rng_);
    c.out = dir_ / ("client" + std::to_string(c.index) + ".out");
    c.err = dir_ / ("client" + std::to_string(c.index) + ".err");
    std::vector<std::string> argv = {bin("rrseq-client"), "--cluster", "chaos", "--deadline-ms",
                                     std::to_string(client_deadline_ms)};
    if (count) {
      argv.push_back("--count");
      argv.push_back(std::to_string(*count));
    }
    argv.push_back(sequence_name);
    argv.push_back(std::to_string(c.buffer));
    argv.push_back(std::to_string(c.delay_ms));
    argv.insert(argv.end(), c.servers.begin(), c.servers.end());
    log_event("start client " + std::to_string(c.index) + " buffer " + std::to_string(c.buffer) + " delay " +
              std::to_string(c.delay_ms));
    c.pid = procs_->spawn(argv, c.out, c.err);
    c.running = c.pid > 0;
    EXPECT_TRUE(c.running) << "could not start rrseq-client";
    clients_.push_back(c);
  }

  void kill_client(ClientProc& c) {
    log_event("SIGKILL client " + std::to_string(c.index));
    c.status = procs_->kill_now(c.pid);
    c.running = false;
    c.killed_by_test = true;
  }

  // Reaps clients that exited on their own.
  void check_clients() {
    for (auto& c : clients_) {
      if (!c.running) continue;
      if (auto st = procs_->poll(c.pid)) {
        c.status = st;
        c.running = false;
        log_event("client " + std::to_string(c.index) + " exited: " + status_text(*st));
      }
    }
  }

  std::vector<ClientProc*> running_clients() {
    std::vector<ClientProc*> r;
    for (auto& c : clients_)
      if (c.running) r.push_back(&c);
    return r;
  }

  // ---- chaos ----

  void chaos(milliseconds duration, int n_clients) {
    const int n = static_cast<int>(servers_.size());
    const int minority = (n - 1) / 2;
    const auto start = Clock::now();
    const auto end = start + duration;
    // The wipe happens once, somewhere in the first two thirds of the run.
    const auto wipe_at = start + milliseconds(rand_int(0, static_cast<int>(duration.count() * 2 / 3)));
    bool wiped = false;
    while (Clock::now() < end) {
      sleep_for(milliseconds(rand_int(200, 700)));
      check_servers();
      check_clients();
      restore_due(false);
      // Replace clients that died (a failure is reported later) to keep the load.
      while (static_cast<int>(running_clients().size()) < n_clients) start_client();

      const int free_slots = minority - disturbed();
      if (!wiped && Clock::now() >= wipe_at && free_slots > 0) {
        std::vector<int> up;
        for (int i = 0; i < n; ++i)
          if (servers_[i].state == ServerState::up) up.push_back(i);
        const int i = up[rand_int(0, static_cast<int>(up.size()) - 1)];
        kill_server(i);
        log_event("wipe server " + std::to_string(i) + " data dir");
        std::error_code ec;
        fs::remove_all(servers_[i].data, ec);
        EXPECT_FALSE(ec) << "rm -rf " << servers_[i].data << ": " << ec.message();
        servers_[i].restore_at = Clock::now() + milliseconds(rand_int(100, 1500));
        ++counts_.wipes;
        wiped = true;
        continue;
      }
      const int action = rand_int(0, 9);
      if (action <= 3 && free_slots > 0) {  // kill a server, restart it later
        const int i = pick_up_server();
        kill_server(i);
        servers_[i].restore_at = Clock::now() + milliseconds(rand_int(100, 1500));
        ++counts_.server_kills;
      } else if (action <= 6 && free_slots > 0) {  // pause a server, continue it later
        const int i = pick_up_server();
        log_event("SIGSTOP server " + std::to_string(i));
        ::kill(servers_[i].pid, SIGSTOP);
        servers_[i].state = ServerState::stopped;
        servers_[i].restore_at = Clock::now() + milliseconds(rand_int(100, 2000));
        ++counts_.server_stops;
      } else if (action == 7) {  // kill a client, start another
        auto running = running_clients();
        if (!running.empty()) {
          kill_client(*running[rand_int(0, static_cast<int>(running.size()) - 1)]);
          ++counts_.client_kills;
          start_client();
        }
      }
    }
    EXPECT_EQ(counts_.wipes, 1) << "the wipe never found a free slot";
  }

  int pick_up_server() {
    std::vector<int> up;
    for (int i = 0; i < static_cast<int>(servers_.size()); ++i)
      if (servers_[i].state == ServerState::up) up.push_back(i);
    return up[rand_int(0, static_cast<int>(up.size()) - 1)];
  }

  // Heals the cluster; every running client must then take IDs it cannot have
  // had buffered before the heal (more than twice its buffer: the current
  // buffer and the one prefetched).
  void heal_and_wait() {
    restore_due(true);
    check_clients();
    log_event("healed");
    const auto healed = Clock::now();
    for (auto* c : running_clients()) c->ids_at_heal = count_ids(c->out);
    const auto until = healed + heal_wait;
    for (;;) {
      check_servers();
      check_clients();
      bool all = true;
      for (auto* c : running_clients())
        if (count_ids(c->out) <= c->ids_at_heal + 2 * c->buffer + 1) all = false;
      if (all || Clock::now() >= until) break;
      sleep_for(milliseconds(50));
    }
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - healed);
    std::printf("[chaos] progress after heal checked in %lld ms\n", static_cast<long long>(took.count()));
    for (auto& c : clients_) {
      if (c.killed_by_test) continue;
      const size_t now = count_ids(c.out);
      EXPECT_GT(now, c.ids_at_heal + 2 * c.buffer + 1)
          << "client " << c.index << " (buffer " << c.buffer << ", " << (c.running ? "running" : "exited")
          << ") made no progress within " << heal_wait.count() << " ms of the heal: " << c.ids_at_heal
          << " IDs at heal, " << now << " now\n--- stderr ---\n"
          << read_file(c.err);
    }
  }

  // SIGTERM clients, then servers; every one must exit cleanly.
  void stop_all() {
    for (auto& c : clients_) {
      if (!c.running) continue;
      auto [st, forced] = procs_->terminate(c.pid, stop_grace);
      c.status = st;
      c.running = false;
      EXPECT_FALSE(forced) << "client " << c.index << " ignored SIGTERM for " << stop_grace.count() << " ms";
    }
    for (size_t i = 0; i < servers_.size(); ++i) {
      auto& s = servers_[i];
      if (s.pid <= 0) continue;
      auto [st, forced] = procs_->terminate(s.pid, stop_grace);
      s.pid = -1;
      EXPECT_FALSE(forced) << "server " << i << " ignored SIGTERM for " << stop_grace.count() << " ms";
      EXPECT_TRUE(forced || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
          << "server " << i << " stopped with " << status_text(st) << "\n--- tail of " << s.log << " ---\n"
          << tail(read_file(s.log), 30);
    }
  }

  // G1 across every output, G2 per client process, no client failed with status 1.
  // Returns every ID seen.
  std::vector<uint64_t> check_outputs() {
    std::map<uint64_t, int> owner;  // id -> client index
    std::vector<uint64_t> all;
    std::string per_client;
    int duplicates = 0;
    for (const auto& c : clients_) {
      const auto ids = parse_ids(c.out);
      per_client += " c" + std::to_string(c.index) + "(buf " + std::to_string(c.buffer) + ")=" +
                    std::to_string(ids.size()) + (c.killed_by_test ? "k" : "");
      for (size_t k = 0; k < ids.size(); ++k) {
        EXPECT_NE(ids[k], 0u) << "client " << c.index << " got ID 0";
        if (k > 0 && ids[k] <= ids[k - 1]) {
          ADD_FAILURE() << "G2: client " << c.index << " got " << ids[k] << " after " << ids[k - 1] << " (line "
                        << k + 1 << " of " << c.out << ")";
        }
        auto [it, fresh] = owner.emplace(ids[k], c.index);
        if (!fresh && ++duplicates <= 20) {
          ADD_FAILURE() << "G1: id " << ids[k] << " granted twice: clients " << it->second << " and " << c.index;
        }
        all.push_back(ids[k]);
      }
      if (c.status && !c.killed_by_test) {
        EXPECT_TRUE(WIFEXITED(*c.status) && WEXITSTATUS(*c.status) == 0)
            << "client " << c.index << " (buffer " << c.buffer << ") ended with " << status_text(*c.status)
            << "; stderr:\n"
            << read_file(c.err);
      }
    }
    EXPECT_EQ(duplicates, 0) << "duplicate IDs (seed " << seed_ << ")";
    const uint64_t max_id = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
    std::printf("[chaos] seed %u: %zu IDs from %zu client processes, max id %llu, %d duplicates\n", seed_,
                all.size(), clients_.size(), static_cast<unsigned long long>(max_id), duplicates);
    std::printf("[chaos] per client (k = killed by the test):%s\n", per_client.c_str());
    std::printf("[chaos] server kills %d, stops %d, wipes %d, client kills %d, unexpected server exits %d\n",
                counts_.server_kills, counts_.server_stops, counts_.wipes, counts_.client_kills,
                counts_.unexpected_server_exits);
    return all;
  }

  void log_event(const std::string& what) {
    const auto t = std::chrono::duration_cast<milliseconds>(Clock::now() - t0_).count();
    events_ << t << " ms: " << what << "\n";
  }

  void dump_logs() {
    std::printf("[chaos] seed %u failed; events:\n%s", seed_, events_.str().c_str());
    for (size_t i = 0; i < servers_.size(); ++i) {
      std::printf("--- tail of server %zu log (%s) ---\n%s", i, servers_[i].log.c_str(),
                  tail(read_file(servers_[i].log), 20).c_str());
    }
  }

  void run_chaos(int nodes, int n_clients, milliseconds duration) {
    make_cluster(nodes);
    if (HasFatalFailure()) return;
    for (int i = 0; i < n_clients; ++i) start_client();
    chaos(duration, n_clients);
    heal_and_wait();
    stop_all();
    check_outputs();
  }

  fs::path dir_;
  uint32_t seed_ = 0;
  std::mt19937 rng_;
  Counts counts_;
  std::vector<ServerProc> servers_;
  std::vector<ClientProc> clients_;
  std::optional<Processes> procs_{std::in_place};
  std::ostringstream events_;
  Clock::time_point t0_ = Clock::now();
};

TEST_F(ChaosTest, ThreeNodes) { run_chaos(3, 5, milliseconds(15'000)); }

TEST_F(ChaosTest, FiveNodes) { run_chaos(5, 6, milliseconds(20'000)); }

// Acceptance check #3: all three servers SIGKILLed at once, restarted on the
// same data directories: a new client's IDs are above every ID handed out before.
TEST_F(ChaosTest, WholeClusterKilledKeepsDurableState) {
  make_cluster(3);
  if (HasFatalFailure()) return;
  start_client(7, 300);  // client 0: runs to completion
  start_client(100);     // client 1: still taking IDs when the cluster dies
  start_client(1024);    // client 2: likewise, with a large buffer
  clients_[0].status = procs_->wait(clients_[0].pid, startup_wait + milliseconds(20'000));
  ASSERT_TRUE(clients_[0].status.has_value()) << "client 0 did not take 300 IDs";
  clients_[0].running = false;
  check_clients();
  // Clients 1 and 2 must be taking IDs when the cluster dies.
  const auto until = Clock::now() + startup_wait;
  while ((count_ids(clients_[1].out) == 0 || count_ids(clients_[2].out) == 0) && Clock::now() < until)
    sleep_for(milliseconds(10));
  ASSERT_GT(count_ids(clients_[1].out), 0u) << "client 1 took no ID within " << startup_wait.count() << " ms";
  ASSERT_GT(count_ids(clients_[2].out), 0u) << "client 2 took no ID within " << startup_wait.count() << " ms";
  std::printf("[chaos] clients 1 and 2 both taking IDs %lld ms after the start\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - t0_).count()));
  log_event("SIGKILL every server");
  for (size_t i = 0; i < servers_.size(); ++i) ::kill(servers_[i].pid, SIGKILL);
  for (size_t i = 0; i < servers_.size(); ++i) {
    procs_->kill_now(servers_[i].pid);
    servers_[i].pid = -1;
    servers_[i].state = ServerState::killed;
  }
  counts_.server_kills += 3;
  kill_client(clients_[1]);
  kill_client(clients_[2]);
  const auto before = check_outputs();
  ASSERT_FALSE(before.empty());
  const uint64_t max_before = *std::max_element(before.begin(), before.end());

  restore_due(true);
  start_client(0, 20);
  start_client(1024, 20);
  for (size_t k = 3; k < clients_.size(); ++k) {
    auto st = procs_->wait(clients_[k].pid, milliseconds(client_deadline_ms + 5'000));
    ASSERT_TRUE(st.has_value()) << "client " << k << " did not take 20 IDs after the restart";
    clients_[k].status = st;
    clients_[k].running = false;
    const auto ids = parse_ids(clients_[k].out);
    ASSERT_EQ(ids.size(), 20u) << read_file(clients_[k].err);
    EXPECT_GT(ids.front(), max_before) << "client " << k << " after the restart got an ID handed out before";
    std::printf("[chaos] max id before the restart %llu; client %zu then got %llu..%llu\n",
                static_cast<unsigned long long>(max_before), k, static_cast<unsigned long long>(ids.front()),
                static_cast<unsigned long long>(ids.back()));
  }
  stop_all();
  check_outputs();
}

}  // namespace
