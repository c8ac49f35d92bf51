#include "bench/probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace rrseq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ns_since(Clock::time_point t) { return std::chrono::duration<double, std::nano>(Clock::now() - t).count(); }

std::string os_error(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Echoes fixed-size messages on the first connection to `listener` until it closes.
void echo(int listener) {
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return;
  no_delay(fd);
  char buf[probe_message_bytes];
  while (read_all(fd, buf, sizeof buf) && write_all(fd, buf, sizeof buf)) {
  }
  ::close(fd);
}

// A listening socket on 127.0.0.1, port from the OS; -1 with `error` set.
int listen_loopback(sockaddr_in* at, std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    *error = os_error("socket");
    return -1;
  }
  *at = sockaddr_in{};
  at->sin_family = AF_INET;
  at->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof *at;
  if (::bind(fd, reinterpret_cast<sockaddr*>(at), sizeof *at) != 0 || ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(at), &len) != 0) {
    *error = os_error("bind/listen on 127.0.0.1");
    ::close(fd);
    return -1;
  }
  return fd;
}

// probe_round_trips ping-pongs with the echo listening at `at`.
std::vector<double> ping(const sockaddr_in& at, std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
    *error = os_error("connect to the echo");
    if (fd >= 0) ::close(fd);
    return {};
  }
  no_delay(fd);
  char buf[probe_message_bytes] = {};
  std::vector<double> samples;
  samples.reserve(probe_round_trips);
  for (size_t i = 0; i < probe_round_trips; ++i) {
    const auto t = Clock::now();
    if (!write_all(fd, buf, sizeof buf) || !read_all(fd, buf, sizeof buf)) {
      *error = "the echo closed after " + std::to_string(i) + " round trips";
      samples.clear();
      break;
    }
    samples.push_back(ns_since(t));
  }
  ::close(fd);
  return samples;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::vector<double> probe_fdatasync(const std::string& dir, std::string* error) {
  const std::string path = dir + "/rrseq-bench-probe-XXXXXX";
  std::string name = path;
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    *error = os_error(("mkstemp in " + dir).c_str());
    return {};
  }
  ::unlink(name.c_str());  // gone when closed
  const char record[probe_append_bytes] = {};
  std::vector<double> samples;
  samples.reserve(probe_syncs);
  for (size_t i = 0; i < probe_syncs; ++i) {
    const auto t = Clock::now();
    if (!write_all(fd, record, sizeof record) || ::fdatasync(fd) != 0) {
      *error = os_error(("append and fdatasync in " + dir).c_str());
      samples.clear();
      break;
    }
    samples.push_back(ns_since(t));
  }
  ::close(fd);
  return samples;
}

std::vector<double> probe_round_trip_threads(std::string* error) {
  sockaddr_in at;
  const int listener = listen_loopback(&at, error);
  if (listener < 0) return {};
  std::thread peer(echo, listener);
  std::vector<double> samples = ping(at, error);  // closes its end: the echo sees EOF
  ::shutdown(listener, SHUT_RDWR);  // and wakes an accept that never got a connection
  peer.join();
  ::close(listener);
  return samples;
}

std::vector<double> probe_round_trip_processes(std::string* error) {
  sockaddr_in at;
  const int listener = listen_loopback(&at, error);
  if (listener < 0) return {};
  const pid_t child = ::fork();
  if (child < 0) {
    *error = os_error("fork");
    ::close(listener);
    return {};
  }
  if (child == 0) {  // only read, write and close from here: async-signal-safe
    echo(listener);
    ::_exit(0);
  }
  ::close(listener);  // the child holds its own copy
  std::vector<double> samples = ping(at, error);
  if (samples.empty()) ::kill(child, SIGKILL);  // it may wait in accept for a ping that failed
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return samples;
}

}  // namespace rrseq::bench
