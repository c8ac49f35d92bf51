#pragma once
// Test side of /metrics: a blocking HTTP exchange over real TCP and a parser
// for the exposition text that also checks its shape.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio.hpp>
#include <map>
#include <sstream>
#include <string>

namespace rrseq {

// Sends `request` to "host:port", then reads until the server closes. A
// receive timeout keeps a misbehaving server from hanging the test forever.
inline std::string http_exchange(const std::string& address, const std::string& request) {
  const size_t colon = address.rfind(':');
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address(address.substr(0, colon)),
             static_cast<uint16_t>(std::stoi(address.substr(colon + 1)))});
  timeval tv{60, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  asio::error_code ec;
  asio::write(s, asio::buffer(request), ec);
  std::string reply;
  asio::read(s, asio::dynamic_buffer(reply), ec);  // until EOF (or a reset: the reply so far)
  return reply;
}

inline std::string http_get(const std::string& address, const std::string& path) {
  return http_exchange(address, "GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\n\r\n");
}

// "HTTP/1.1 404 Not Found..." -> 404; 0 when there is no status line.
inline int http_status(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::stoi(reply.substr(9, 3));
}

inline std::string http_body(const std::string& reply) {
  const size_t end = reply.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : reply.substr(end + 4);
}

// Samples by their full name with labels, e.g. `rrseq_peers_up` or
// `rrseq_rounds_total{phase="prepare"}`. Adds a test failure for any sample
// whose family has no # TYPE line before it, or a line that does not parse.
inline std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) {
      ADD_FAILURE() << "sample line without a value: " << line;
      continue;
    }
    const std::string key = line.substr(0, sp);
    std::string name = key.substr(0, key.find('{'));
    if (!types.count(name)) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        auto base = types.find(name.substr(0, name.size() > s.size() ? name.size() - s.size() : 0));
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
            base != types.end() && base->second == "histogram") {
          name = name.substr(0, name.size() - s.size());
        }
      }
    }
    EXPECT_TRUE(types.count(name)) << "no # TYPE before " << line;
    samples[key] = std::stod(line.substr(sp + 1));
  }
  return samples;
}

}  // namespace rrseq
