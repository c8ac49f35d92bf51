#include "transport_net/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace rrseq {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::mutex g_mu;  // one line at a time from several threads

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::error: return "ERROR";
    case LogLevel::warn: return "WARN ";
    case LogLevel::info: return "INFO ";
    case LogLevel::debug: return "DEBUG";
  }
  return "?";
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
bool log_enabled(LogLevel level) { return level <= g_level.load(); }

bool parse_log_level(const std::string& text, LogLevel* out) {
  if (text == "error") return *out = LogLevel::error, true;
  if (text == "warn") return *out = LogLevel::warn, true;
  if (text == "info") return *out = LogLevel::info, true;
  if (text == "debug") return *out = LogLevel::debug, true;
  return false;
}

void log_line(LogLevel level, const std::string& text) {
  if (!log_enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(g_mu);
  std::fprintf(stderr, "%s.%03dZ %s %s\n", stamp, static_cast<int>(ms), level_name(level), text.c_str());
}

}  // namespace rrseq
