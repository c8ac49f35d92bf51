// rrseq-client SEQ BUF_SIZE MS_DELAY ADDR [ADDR...]: the seed's example
// client. Prints one "Got: <id>" line per ID, one every MS_DELAY ms.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.h"
#include "rrseq/client.h"

namespace {

// Limits of the command line, with units.
constexpr uint64_t ms_delay_max = 3'600'000;     // one hour between IDs
constexpr uint64_t deadline_ms_max = 86'400'000; // one day
constexpr uint64_t count_max = UINT64_MAX;

constexpr int exit_ok = 0;
constexpr int exit_next_failed = 1;
constexpr int exit_usage = 2;

const char* const usage_text =
    "usage: rrseq-client [options] SEQ BUF_SIZE MS_DELAY ADDR [ADDR...]\n"
    "\n"
    "Takes IDs from the named sequence of an rrseq cluster and prints one\n"
    "'Got: <id>' line per ID on stdout, one every MS_DELAY milliseconds.\n"
    "\n"
    "arguments:\n"
    "  SEQ        sequence name: 1..64 of [A-Za-z0-9_.-]\n"
    "  BUF_SIZE   IDs fetched per request and buffered locally, 0..1048576;\n"
    "             the next range is asked for ahead of need (0: one request per ID)\n"
    "  MS_DELAY   milliseconds to wait between two IDs, 0..3600000\n"
    "  ADDR       server address host:port (':port' means loopback); list\n"
    "             several servers of the cluster, requests rotate over them\n"
    "\n"
    "options:\n"
    "  --count N        print N IDs, then exit (default: until interrupted)\n"
    "  --cluster NAME   cluster name, as given to the servers (default: rrseq)\n"
    "  --deadline-ms MS give up on one ID after MS ms, 1..86400000 (default: 5000)\n"
    "  --help           print this help\n"
    "\n"
    "exit codes:\n"
    "  0  done (--count reached), or stopped by SIGINT/SIGTERM\n"
    "  1  an ID could not be obtained (the reason is printed on stderr)\n"
    "  2  bad arguments\n"
    "\n"
    "example:\n"
    "  rrseq-client myseq 1000 10 :19001 :19002 :19003\n";

// Whole string, decimal, within [min, max].
std::optional<uint64_t> parse_number(const std::string& text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

struct Args {
  rrseq::ClientOptions options;
  uint64_t ms_delay = 0;
  std::optional<uint64_t> count;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "rrseq-client: %s\n(try rrseq-client --help)\n", message.c_str());
  return exit_usage;
}

// Returns an exit code when the program should stop right away.
std::optional<int> parse_args(int argc, char** argv, Args* args) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    if (a == "--") {
      for (++i; i < argc; ++i) positional.emplace_back(argv[i]);
      break;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a, value;
      bool has_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
      if (name != "--count" && name != "--cluster" && name != "--deadline-ms")
        return usage_error("unknown option '" + name + "'");
      if (!has_value) {
        if (i + 1 >= argc) return usage_error("option " + name + " needs a value");
        value = argv[++i];
      }
      if (name == "--count") {
        auto n = parse_number(value, 1, count_max);
        if (!n) return usage_error("--count: '" + value + "' is not a number in 1.." + std::to_string(count_max));
        args->count = *n;
      } else if (name == "--cluster") {
        if (value.empty()) return usage_error("--cluster: name must not be empty");
        args->options.cluster = value;
      } else {
        auto n = parse_number(value, 1, deadline_ms_max);
        if (!n)
          return usage_error("--deadline-ms: '" + value + "' is not a number in 1.." + std::to_string(deadline_ms_max));
        args->options.deadline = std::chrono::milliseconds(*n);
      }
      continue;
    }
    positional.push_back(std::move(a));
  }
  if (positional.size() < 4)
    return usage_error("expected SEQ BUF_SIZE MS_DELAY ADDR [ADDR...], got " + std::to_string(positional.size()) +
                       " argument(s)");
  args->options.sequence = positional[0];
  auto buf = parse_number(positional[1], 0, rrseq::range_ids_max);
  if (!buf)
    return usage_error("BUF_SIZE: '" + positional[1] + "' is not a number in 0.." +
                       std::to_string(rrseq::range_ids_max));
  args->options.buffer_size = *buf;
  auto delay = parse_number(positional[2], 0, ms_delay_max);
  if (!delay)
    return usage_error("MS_DELAY: '" + positional[2] + "' is not a number in 0.." + std::to_string(ms_delay_max));
  args->ms_delay = *delay;
  args->options.servers.assign(positional.begin() + 3, positional.end());
  return std::nullopt;
}

// SIGINT/SIGTERM are blocked in every thread and taken by one waiting thread,
// which wakes the main loop and closes the client so a blocked next() returns.
struct Stopper {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;      // a signal arrived
  bool finished = false;  // main is done; the waiter must not touch the client
  rrseq::Client* client = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (auto code = parse_args(argc, argv, &args)) return *code;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it

  std::string error;
  std::unique_ptr<rrseq::Client> client = rrseq::Client::connect(args.options, &error);
  if (!client) return usage_error(error);

  Stopper stopper;
  stopper.client = client.get();
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::lock_guard g(stopper.mu);
    if (stopper.finished) return;
    stopper.stop = true;
    stopper.client->close();
    stopper.cv.notify_all();
  });

  int code = exit_ok;
  for (uint64_t got = 0; !args.count || got < *args.count; ++got) {
    if (got > 0 && args.ms_delay > 0) {
      std::unique_lock lock(stopper.mu);
      stopper.cv.wait_for(lock, std::chrono::milliseconds(args.ms_delay), [&] { return stopper.stop; });
    }
    {
      std::lock_guard g(stopper.mu);
      if (stopper.stop) break;
    }
    rrseq::NextResult r = client->next();
    if (!r.ok()) {
      std::lock_guard g(stopper.mu);
      if (stopper.stop) break;  // interrupted while waiting: not a failure
      std::fprintf(stderr, "rrseq-client: %s\n", r.error.c_str());
      code = exit_next_failed;
      break;
    }
    std::printf("Got: %llu\n", static_cast<unsigned long long>(r.id));
    std::fflush(stdout);
  }

  {
    std::lock_guard g(stopper.mu);
    stopper.finished = true;
  }
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes sigwait if no signal came
  waiter.join();
  client->close();
  return code;
}
