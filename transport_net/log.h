#pragma once
// Readable log lines on stderr for the production programs:
//   2026-11-27T06:40:00.123Z INFO  n0: listening on 127.0.0.1:19001
// The simulator never logs this way; it traces through its own stream.
#include <string>

#include "transport_net/server.h"

namespace rrseq {

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& text);
bool parse_log_level(const std::string& text, LogLevel* out);

}  // namespace rrseq
