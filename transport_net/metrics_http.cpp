#include "transport_net/metrics_http.h"

#include <array>
#include <chrono>

#include "transport_net/metrics_text.h"

namespace rrseq {

using asio::ip::tcp;

HttpAnswer route_metrics_request(std::string_view head) {
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // METHOD SP TARGET SP HTTP/x.y
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
      line.substr(sp2 + 1).substr(0, 5) != "HTTP/") {
    return {400, "Bad Request"};
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.substr(0, target.find('?')) != "/metrics") return {404, "Not Found"};
  if (method != "GET") return {405, "Method Not Allowed"};
  return {200, "OK"};
}

namespace {

std::string http_response(const HttpAnswer& a, const std::string& body) {
  std::string r = "HTTP/1.1 " + std::to_string(a.status) + " " + a.reason + "\r\n";
  r += std::string("Content-Type: ") + (a.status == 200 ? metrics_content_type : "text/plain; charset=utf-8") + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (a.status == 405) r += "Allow: GET\r\n";
  r += "Connection: close\r\n\r\n";
  return r + body;
}

std::string error_body(const HttpAnswer& a) {
  switch (a.status) {
    case 404:
      return "not found: only /metrics is served\n";
    case 405:
      return "method not allowed: use GET\n";
    case 431:
      return "request head over " + std::to_string(metrics_request_bytes_max) + " bytes\n";
    default:
      return "malformed request line\n";
  }
}

}  // namespace

// One connection: read the request head (bounded), answer, close. The whole
// exchange, including a client that sends nothing or never reads, ends by the
// deadline.
class MetricsHttp::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(MetricsHttp& owner, tcp::socket socket)
      : owner_(owner), socket_(std::move(socket)), deadline_(socket_.get_executor()) {}

  void start() {
    deadline_.expires_after(std::chrono::milliseconds(metrics_exchange_timeout_ms));
    deadline_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    read_head();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    deadline_.cancel();
    socket_.close(ignored);
    owner_.finished(shared_from_this());
  }

 private:
  void read_head() {
    const size_t room = metrics_request_bytes_max - head_.size();
    socket_.async_read_some(asio::buffer(chunk_.data(), std::min(room, chunk_.size())),
                            [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                              if (ec) return self->close();  // gone before a whole head: no answer
                              self->on_bytes(n);
                            });
  }

  void on_bytes(size_t n) {
    const size_t scan_from = head_.size() < 3 ? 0 : head_.size() - 3;
    head_.append(chunk_.data(), n);
    const size_t crlf = head_.find("\r\n\r\n", scan_from);
    const size_t lf = head_.find("\n\n", scan_from);
    if (crlf == std::string::npos && lf == std::string::npos) {
      if (head_.size() < metrics_request_bytes_max) return read_head();
      return answer(HttpAnswer{431, "Request Header Fields Too Large"});
    }
    answer(route_metrics_request(head_));
  }

  void answer(const HttpAnswer& a) {
    head_.clear();
    response_ = http_response(a, a.status == 200 ? owner_.render_() : error_body(a));
    asio::async_write(socket_, asio::buffer(response_), [self = shared_from_this()](const asio::error_code& ec, size_t) {
      if (ec) return self->close();
      // Half-close, then discard what the client still sends until it closes:
      // closing with unread bytes would reset the connection and could destroy
      // the answer before the client reads it.
      asio::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
      self->discard_rest();
    });
  }

  void discard_rest() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const asio::error_code& ec, size_t) {
      if (ec) return self->close();
      self->discard_rest();
    });
  }

  MetricsHttp& owner_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::array<char, 1024> chunk_{};
  std::string head_;
  std::string response_;
  bool closed_ = false;
};

MetricsHttp::MetricsHttp(asio::io_context& io, Render render)
    : render_(std::move(render)), acceptor_(io) {}

MetricsHttp::~MetricsHttp() { close(); }

Result MetricsHttp::open(const Address& addr) {
  asio::error_code ec;
  const auto ip = asio::ip::make_address(addr.listen_host(), ec);
  if (ec) return Result::error("metrics address '" + addr.text + "': " + ec.message());
  const tcp::endpoint ep(ip, addr.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) bound_ = addr.host + ":" + std::to_string(acceptor_.local_endpoint(ec).port());
  if (ec) return Result::error("metrics: listen on " + addr.text + ": " + ec.message());
  return Result::ok();
}

void MetricsHttp::start() { accept_next(); }

void MetricsHttp::accept_next() {
  acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || closed_) return;
    if (!ec) {
      if (open_.size() >= metrics_connections_max) {
        ++refused_;  // closing the socket refuses it
      } else {
        auto e = std::make_shared<Exchange>(*this, std::move(socket));
        open_.insert(e);
        e->start();
      }
    }
    accept_next();
  });
}

void MetricsHttp::finished(const std::shared_ptr<Exchange>& e) { open_.erase(e); }

void MetricsHttp::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& e : std::set(open_)) e->close();
}

}  // namespace rrseq
