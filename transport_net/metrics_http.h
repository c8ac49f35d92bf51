#pragma once
// A tiny HTTP/1.1 endpoint for Prometheus scrapes: GET /metrics answers the
// text a callback renders, then closes. Anyone who can reach the port can
// send anything, so every request is bounded: its size, the connections open
// at once, and the time one exchange may take. Runs on the io_context thread
// of its owner (the server), so the callback may read the node directly.
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "transport_net/address.h"

namespace rrseq {

inline constexpr size_t metrics_request_bytes_max = 8192;          // request line and headers
inline constexpr size_t metrics_connections_max = 16;              // more are closed at accept
inline constexpr uint64_t metrics_exchange_timeout_ms = 5'000;     // accept to last byte written

struct HttpAnswer {
  int status = 0;  // 200, 400, 404, 405 or 431
  const char* reason = "";
};
// The answer to one request head (request line and headers, up to the blank
// line): 200 for GET /metrics (a query string is ignored), else why not.
HttpAnswer route_metrics_request(std::string_view head);

class MetricsHttp {
 public:
  using Render = std::function<std::string()>;  // the exposition text, called per scrape

  MetricsHttp(asio::io_context& io, Render render);
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds and listens (port 0 picks a free port); nothing is served before start().
  Result open(const Address& addr);
  std::string bound_address() const { return bound_; }  // "host:port"; set by open()
  void start();
  // Closes the listening socket and every open exchange. Idempotent.
  void close();
  // Connections closed at accept because metrics_connections_max were open.
  uint64_t refused_connections() const { return refused_; }

 private:
  class Exchange;
  void accept_next();
  void finished(const std::shared_ptr<Exchange>& e);

  Render render_;
  asio::ip::tcp::acceptor acceptor_;
  std::string bound_;  // kept from open(): other threads may ask while the io thread runs
  std::set<std::shared_ptr<Exchange>> open_;
  uint64_t refused_ = 0;
  bool closed_ = false;
};

}  // namespace rrseq
