#include "transport_net/open_files.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace rrseq {
namespace {

std::string text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

}  // namespace

uint64_t open_files_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return r.rlim_cur;
}

std::string raise_open_files_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return std::string("open files limit unknown: ") + std::strerror(errno);
  if (r.rlim_cur == r.rlim_max) return "open files limit " + text(r.rlim_cur);
  const rlim_t before = r.rlim_cur;
  r.rlim_cur = r.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
    return "open files limit " + text(before) + " (raising it to " + text(r.rlim_max) +
           " failed: " + std::strerror(errno) + ")";
  }
  return "open files limit raised from " + text(before) + " to " + text(r.rlim_cur);
}

}  // namespace rrseq
