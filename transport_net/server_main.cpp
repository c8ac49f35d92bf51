// rrseq-server ADDR PATH PEER [PEER...]: one node of an RRSeq cluster.
#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "transport_net/door.h"
#include "transport_net/log.h"
#include "transport_net/open_files.h"
#include "transport_net/peer_auth.h"
#include "transport_net/server.h"

namespace {

using namespace rrseq;

constexpr uint64_t compact_mb_max = 1024;

const char* usage_text =
    "usage: rrseq-server [options] ADDR PATH [PEER...]\n"
    "\n"
    "Runs one node of an RRSeq cluster: unique, increasing 64-bit IDs from named sequences.\n"
    "\n"
    "  ADDR    host:port to listen on (':19001' listens on every interface)\n"
    "  PATH    data directory, created if missing; '' (empty) runs in memory mode:\n"
    "          a restarted node then rejoins from a majority of its peers\n"
    "  PEER    host:port of every other node. Give every node the same address strings:\n"
    "          a node's index is its place in the sorted list of all addresses.\n"
    "\n"
    "options:\n"
    "  --cluster NAME       cluster name; nodes and clients must agree (default rrseq)\n"
    "  --cluster-key FILE   peers must prove they hold this shared key (16 to 4096 bytes, every\n"
    "                       byte counts, a trailing newline too; e.g. head -c 32 /dev/urandom);\n"
    "                       without it peers are NOT authenticated. Clients need no key.\n"
    "  --protocol P         ballot (default) or classic (the 2016 algorithm: unsafe, for demos)\n"
    "  --log-level L        error, warn, info (default) or debug\n"
    "  --no-combine         one request per round instead of combining queued requests\n"
    "  --no-fast-path       prepare before every accept instead of piggybacking it\n"
    "  --no-group-commit    one fdatasync per record instead of one for all written meanwhile\n"
    "  --compact-mb N       rewrite the log as a snapshot once it passes N MiB (default 64)\n"
    "  --grpc ADDR          serve gRPC (plain-text HTTP/2) at ADDR: the 2016 API pb.RRAPI and\n"
    "                       rrseq.v1.Sequences (proto/); e.g. 127.0.0.1:9100\n"
    "  --http ADDR          serve HTTP/JSON at ADDR: /v1/sequences/NAME/next?count=N,\n"
    "                       /v1/sequences/NAME, /healthz, /readyz and Prometheus /metrics\n"
    "  --metrics ADDR       the same as --http (its older name)\n"
    "  --admin-token FILE   callers of the admin calls (advance, GRPCSetID) must send\n"
    "                       'authorization: Bearer TOKEN' with the token in FILE (one line,\n"
    "                       16 to 4096 visible characters; e.g. openssl rand -hex 32);\n"
    "                       without it every admin call is refused\n"
    "  --rejoin-if-corrupt  if the log is corrupt in the middle, move it aside to\n"
    "                       PATH/rrseq.log.corrupt-N (never deleted) and start without state:\n"
    "                       the node rejoins from a majority of its peers before serving.\n"
    "                       Without it the node refuses to start, naming the file and offset.\n"
    "  --max-connections N  client connections held at once (1..4096, default 4096)\n"
    "  --help               this text\n"
    "\n"
    "Stops cleanly on SIGINT or SIGTERM. Exit status: 0 stopped, 1 failed (see the log), 2 bad usage.\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "rrseq-server: " << msg << "\n(try --help)\n";
  std::exit(2);
}

// A whole number in 1..max, or a usage error naming the option.
uint64_t number_arg(const std::string& option, const std::string& text, uint64_t max) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 1 || n > max) {
    usage_error(option + ": expected 1.." + std::to_string(max) + ", got '" + text + "'");
  }
  return n;
}

Address address_arg(const std::string& what, const std::string& text) {
  std::string err;
  auto a = parse_address(text, &err);
  if (!a) usage_error(what + ": " + err);
  return *a;
}

struct CommandLine {
  ServerConfig cfg;
  std::vector<Address> peers;
  std::optional<std::string> key_file;
  std::optional<std::string> token_file;
};

// Every option is checked here, with a usage error (exit 2) that names it.
CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  ServerConfig& cfg = cl.cfg;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      std::exit(0);
    } else if (a == "--cluster") {
      cfg.cluster = value();
      if (cfg.cluster.empty()) usage_error("--cluster: the name must not be empty");
    } else if (a == "--cluster-key") {
      cl.key_file = value();
    } else if (a == "--protocol") {
      const std::string v = value();
      if (v == "ballot") {
        cfg.protocol = Protocol::ballot;
      } else if (v == "classic") {
        cfg.protocol = Protocol::classic;
      } else {
        usage_error("--protocol: expected ballot or classic, got '" + v + "'");
      }
    } else if (a == "--log-level") {
      const std::string v = value();
      if (!parse_log_level(v, &cfg.log_level)) usage_error("--log-level: expected error, warn, info or debug, got '" + v + "'");
    } else if (parse_speedup_flag(a, cfg.speedups)) {
    } else if (a == "--rejoin-if-corrupt") {
      cfg.rejoin_if_corrupt = true;
    } else if (a == "--compact-mb") {
      cfg.compact_log_bytes = number_arg(a, value(), compact_mb_max) << 20;
    } else if (a == "--max-connections") {
      cfg.max_client_connections = number_arg(a, value(), client_connections_max);
    } else if (a == "--metrics" || a == "--http") {
      if (cfg.http) usage_error(a + ": --http (or --metrics) given twice");
      cfg.http = address_arg(a, value());
    } else if (a == "--grpc") {
      cfg.grpc = address_arg(a, value());
    } else if (a == "--admin-token") {
      cl.token_file = value();
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      usage_error("unknown option '" + a + "'");
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() < 2) usage_error("expected ADDR PATH [PEER...]");
  cfg.listen = address_arg("ADDR", positional[0]);
  cfg.data_dir = positional[1];
  for (size_t i = 2; i < positional.size(); ++i) cl.peers.push_back(address_arg("PEER", positional[i]));
  return cl;
}

// The cluster key and the admin token, read from their files into cfg.
void load_secrets(CommandLine& cl) {
  std::vector<std::string> warnings;
  if (cl.key_file) {
    Result r = load_cluster_key(*cl.key_file, &cl.cfg.cluster_key.emplace(), &warnings);
    if (!r.is_ok()) usage_error("--cluster-key: " + r.message());
  }
  if (cl.token_file) {
    Result r = load_admin_token(*cl.token_file, &cl.cfg.admin_token.emplace(), &warnings);
    if (!r.is_ok()) usage_error("--admin-token: " + r.message());
  }
  for (const auto& w : warnings) log_line(LogLevel::warn, w);
}

// Runs the server until SIGINT or SIGTERM (exit 0) or until it fails (exit 1).
int serve(const ServerConfig& cfg, const std::vector<Address>& peers) {
  // SIGINT and SIGTERM are taken by a thread that asks the server to stop.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Server server(cfg);
  Result r = server.open();
  if (r.is_ok()) r = server.start(peers);
  if (!r.is_ok()) {
    log_line(LogLevel::error, r.message());
    return 1;
  }
  std::atomic<bool> failed{false};  // the server stopped itself: the SIGTERM below only wakes the waiter
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (failed) return;
    log_line(LogLevel::info, std::string("got ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    server.stop();
  });
  const std::string failure = server.run();
  if (!failure.empty()) {
    log_line(LogLevel::error, "stopped: " + failure);
    failed = true;
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  log_line(LogLevel::info, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl = parse_command_line(argc, argv);
  set_log_level(cl.cfg.log_level);
  load_secrets(cl);
  log_line(LogLevel::info, raise_open_files_limit());  // one per connection: take all we may
  if (cl.cfg.protocol == Protocol::classic) {
    log_line(LogLevel::warn, "protocol classic is the 2016 algorithm: it can hand out duplicate IDs");
  }
  return serve(cl.cfg, cl.peers);
}
