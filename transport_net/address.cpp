#include "transport_net/address.h"

#include <charconv>

#include "transport_net/net_limits.h"

namespace rrseq {

std::optional<Address> parse_address(const std::string& text, std::string* error) {
  if (text.empty() || text.size() > address_bytes_max) {
    *error = "address '" + text + "' must be 1.." + std::to_string(address_bytes_max) + " characters";
    return std::nullopt;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "address '" + text + "' has no ':port'";
    return std::nullopt;
  }
  Address a;
  a.text = text;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535) {
    *error = "address '" + text + "': port '" + port + "' is not a number in 0..65535";
    return std::nullopt;
  }
  a.port = static_cast<uint16_t>(value);
  return a;
}

}  // namespace rrseq
