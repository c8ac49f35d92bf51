#pragma once
// A client that speaks the wire protocol by hand over a blocking loopback
// socket, so a test can do what the client library never does: send bad or
// oversized frames, pipeline requests, stop reading, trickle bytes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/codec.h"
#include "core/crc32c.h"
#include "core/limits.h"
#include "tests/sealed_frame.h"
#include "transport_net/handshake.h"

namespace rrseq::test {

// A ClientRequest frame with any name and count, valid or not.
inline std::string client_request_frame(uint64_t client, uint64_t request, std::string_view seq, uint64_t count,
                                        uint64_t at_least = 0) {
  std::string body;
  ByteWriter w(body);
  w.put_u64(client);
  w.put_u64(request);
  w.put_string(seq);
  w.put_u64(count);
  w.put_u8(0);  // may_redirect: no
  w.put_u64(at_least);
  return sealed_frame(static_cast<uint8_t>(Message(ClientRequest{}).index()), body);
}

class RawClient {
 public:
  static constexpr std::chrono::seconds io_timeout{20};  // a blocking read or write gives up after this

  // Connects to "host:port" (IPv4); `rcvbuf_bytes` > 0 shrinks the receive buffer first.
  explicit RawClient(const std::string& address, int rcvbuf_bytes = 0) {
    const auto colon = address.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr) != 1) return;
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{static_cast<time_t>(io_timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf_bytes > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // "127.0.0.1:PORT" as the server names this connection in its log.
  std::string local_address() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }

  bool send_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool send(const Message& m) { return send_bytes(encode_frame(m)); }

  // The next frame, or nothing on close, error, timeout or a frame that does not decode.
  std::optional<Message> read() {
    std::string frame(frame_header_bytes, '\0');
    if (!read_exactly(frame.data(), frame_header_bytes)) return std::nullopt;
    auto len = decode_header(bytes(frame));
    if (!std::holds_alternative<uint32_t>(len)) return std::nullopt;
    frame.resize(frame_header_bytes + std::get<uint32_t>(len));
    if (!read_exactly(frame.data() + frame_header_bytes, frame.size() - frame_header_bytes)) return std::nullopt;
    auto m = decode_frame(bytes(frame));
    if (!std::holds_alternative<Message>(m)) return std::nullopt;
    return std::get<Message>(std::move(m));
  }

  // Says Hello as a client and reads the server's; false if refused.
  bool hello(const std::string& cluster = "rrseq") {
    if (!send(Hello{static_cast<uint32_t>(Role::client), 0, 0, cluster_id(cluster)})) return false;
    auto m = read();
    return m && std::holds_alternative<Hello>(*m);
  }

  std::optional<ClientReply> read_reply() {
    auto m = read();
    if (!m || !std::holds_alternative<ClientReply>(*m)) return std::nullopt;
    return std::get<ClientReply>(*m);
  }

  // One request, then its reply.
  std::optional<ClientReply> request(const std::string& seq, uint64_t count, uint64_t at_least = 0) {
    if (!send_bytes(client_request_frame(client_id, ++last_request, seq, count, at_least))) return std::nullopt;
    return read_reply();
  }

  // True once the server has closed the connection (end of stream or reset),
  // checked without consuming data; waits up to `bound`.
  bool closed_by_server(std::chrono::milliseconds bound) {
    pollfd p{fd_, POLLIN, 0};
    const auto until = std::chrono::steady_clock::now() + bound;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) > 0) {
        char c;
        const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
        if (n > 0) {  // unread replies first: drop them and look again
          std::string sink(4096, '\0');
          if (::recv(fd_, sink.data(), sink.size(), MSG_DONTWAIT) == 0) return true;
        }
      }
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }

  uint64_t client_id = 42;
  uint64_t last_request = 0;

 private:
  static std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  bool read_exactly(char* out, size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, out, n, 0);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_ = -1;
};

}  // namespace rrseq::test
