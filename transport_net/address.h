#pragma once
// "host:port" as given on command lines. An empty host (":19001", as in the
// seed's quickstart) listens on every interface and connects to loopback.
#include <cstdint>
#include <optional>
#include <string>

namespace rrseq {

struct Address {
  std::string host;  // empty: any interface (listen) / loopback (connect)
  uint16_t port = 0;
  std::string text;  // as given

  std::string listen_host() const { return host.empty() ? "0.0.0.0" : host; }
  std::string connect_host() const { return host.empty() ? "127.0.0.1" : host; }
};

// Parses "host:port" or ":port"; on failure `error` says what is wrong.
std::optional<Address> parse_address(const std::string& text, std::string* error);

}  // namespace rrseq
