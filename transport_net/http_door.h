#pragma once
// rrseq-server --http ADDR: HTTP/1.1, one request per connection, parsed by
// Node.js's http_parser (Debian's libhttp-parser). Anyone who can reach the
// port can send anything, so every request is bounded where its bytes enter:
// the size of its head and of its body, the connections open at once, and the
// time one exchange may take, a client that trickles bytes included. What a
// request means is http_routes.h's; this file only reads and answers. Runs on
// the io_context thread of its owner (the server).
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "transport_net/address.h"

namespace rrseq {

inline constexpr size_t http_head_bytes_max = 8192;          // request line and headers
inline constexpr size_t http_body_bytes_max = 1024;          // an advance's JSON is a few bytes
inline constexpr size_t http_connections_max = 256;          // more are closed at accept
inline constexpr uint64_t http_exchange_timeout_ms = 5'000;  // accept to last byte written

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target before any '?', not decoded
  std::string query;   // after the '?', not decoded
  std::string authorization;  // the Authorization header, if any
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // the Allow header of a 405
};

// Reads requests from raw bytes with http_parser, enforcing the bounds above.
class HttpRequestReader {
 public:
  HttpRequestReader();
  ~HttpRequestReader();
  enum class State { more, done, failed };
  // Feeds bytes; `done` once a whole request is read, `failed` with
  // error_response() set when the bytes are not an acceptable request.
  State feed(const char* data, size_t n);
  const HttpRequest& request() const { return request_; }
  const HttpResponse& error_response() const { return error_; }

 private:
  struct Parser;
  friend struct Parser;
  State fail(int status, std::string why);

  std::unique_ptr<Parser> parser_;
  HttpRequest request_;
  HttpResponse error_;
  std::string url_;
  std::string field_;     // the header field being read
  std::string value_;     // its value
  bool in_value_ = false;
  size_t head_bytes_ = 0;
  bool head_done_ = false;
  bool done_ = false;
  State state_ = State::more;
};

class HttpDoor {
 public:
  using Reply = std::function<void(HttpResponse)>;
  // Answers one request; may call `reply` later, on the io thread.
  using Handler = std::function<void(const HttpRequest&, Reply)>;

  HttpDoor(asio::io_context& io, Handler handler);
  ~HttpDoor();
  HttpDoor(const HttpDoor&) = delete;
  HttpDoor& operator=(const HttpDoor&) = delete;

  // Binds and listens (port 0 picks a free port); nothing is served before start().
  Result open(const Address& addr);
  std::string bound_address() const { return bound_; }  // "host:port"; set by open()
  void start();
  // Closes the listening socket and every open exchange. Idempotent.
  void close();
  // Connections closed at accept because http_connections_max were open.
  uint64_t refused_connections() const { return refused_; }

 private:
  class Exchange;
  void accept_next();
  void finished(const std::shared_ptr<Exchange>& e);

  Handler handler_;
  asio::ip::tcp::acceptor acceptor_;
  std::string bound_;  // kept from open(): other threads may ask while the io thread runs
  std::set<std::shared_ptr<Exchange>> open_;
  uint64_t refused_ = 0;
  bool closed_ = false;
};

// "HTTP/1.1 200 OK\r\n..." with Content-Length and Connection: close.
std::string http_response_bytes(const HttpResponse& r);

}  // namespace rrseq
