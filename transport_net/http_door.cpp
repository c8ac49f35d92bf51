#include "transport_net/http_door.h"

#include <http_parser.h>
#include <strings.h>

#include <array>
#include <chrono>

namespace rrseq {

using asio::ip::tcp;

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string json_error(const std::string& why) {
  std::string escaped;
  for (char c : why) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += (static_cast<unsigned char>(c) < ' ') ? ' ' : c;
  }
  return "{\"error\": \"" + escaped + "\"}\n";
}

}  // namespace

std::string http_response_bytes(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (!r.allow.empty()) out += "Allow: " + r.allow + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out + r.body;
}

// ---- reading one request ----

struct HttpRequestReader::Parser {
  http_parser p{};
  http_parser_settings s{};

  static HttpRequestReader& reader(http_parser* p) { return *static_cast<HttpRequestReader*>(p->data); }

  static void end_header(HttpRequestReader& r) {
    if (r.in_value_ && strcasecmp(r.field_.c_str(), "authorization") == 0) r.request_.authorization = r.value_;
    r.field_.clear();
    r.value_.clear();
    r.in_value_ = false;
  }
};

HttpRequestReader::HttpRequestReader() : parser_(std::make_unique<Parser>()) {
  http_parser_init(&parser_->p, HTTP_REQUEST);
  parser_->p.data = this;
  http_parser_settings& s = parser_->s;
  http_parser_settings_init(&s);
  s.on_url = [](http_parser* p, const char* at, size_t n) {
    Parser::reader(p).url_.append(at, n);
    return 0;
  };
  s.on_header_field = [](http_parser* p, const char* at, size_t n) {
    auto& r = Parser::reader(p);
    if (r.in_value_) Parser::end_header(r);
    r.field_.append(at, n);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t n) {
    auto& r = Parser::reader(p);
    r.in_value_ = true;
    r.value_.append(at, n);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    auto& r = Parser::reader(p);
    Parser::end_header(r);
    r.head_done_ = true;
    r.request_.method = http_method_str(static_cast<http_method>(p->method));
    const size_t q = r.url_.find('?');
    r.request_.path = r.url_.substr(0, q);
    r.request_.query = q == std::string::npos ? "" : r.url_.substr(q + 1);
    // Refused before a byte of it is read: a body over the bound, or one of unknown length.
    if (p->content_length > http_body_bytes_max && p->content_length != ULLONG_MAX) {
      r.fail(413, "request body over " + std::to_string(http_body_bytes_max) + " bytes");
      return -1;
    }
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    auto& r = Parser::reader(p);
    if (r.request_.body.size() + n > http_body_bytes_max) {
      r.fail(413, "request body over " + std::to_string(http_body_bytes_max) + " bytes");
      return -1;
    }
    r.request_.body.append(at, n);
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    Parser::reader(p).done_ = true;
    return -1;  // one request per connection: stop here, whatever follows
  };
}

HttpRequestReader::~HttpRequestReader() = default;

HttpRequestReader::State HttpRequestReader::fail(int status, std::string why) {
  if (state_ == State::failed) return state_;
  error_ = HttpResponse{status, "application/json", json_error(why), ""};
  return state_ = State::failed;
}

HttpRequestReader::State HttpRequestReader::feed(const char* data, size_t n) {
  if (state_ != State::more) return state_;
  size_t take = n;
  if (!head_done_) {  // the head may not pass its bound, wherever the request line ends
    const size_t room = http_head_bytes_max - head_bytes_;
    take = std::min(n, room);
  }
  const size_t used = http_parser_execute(&parser_->p, &parser_->s, data, take);
  if (!head_done_) head_bytes_ += used;
  if (state_ == State::failed) return state_;
  if (done_) return state_ = State::done;
  if (parser_->p.http_errno != HPE_OK) {
    const auto e = static_cast<http_errno>(parser_->p.http_errno);
    return fail(400, std::string("malformed request: ") + http_errno_description(e));
  }
  if (parser_->p.upgrade) return fail(400, "protocol upgrades are not served");
  if (!head_done_ && head_bytes_ >= http_head_bytes_max) {
    return fail(431, "request head over " + std::to_string(http_head_bytes_max) + " bytes");
  }
  if (take < n) return feed(data + take, n - take);
  return state_;
}

// ---- one connection: read a request (bounded), answer, close ----
// The whole exchange, a client that sends nothing or never reads included,
// ends by the deadline.
class HttpDoor::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(HttpDoor& owner, tcp::socket socket)
      : owner_(owner), socket_(std::move(socket)), deadline_(socket_.get_executor()) {}

  void start() {
    deadline_.expires_after(std::chrono::milliseconds(http_exchange_timeout_ms));
    deadline_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    read_more();
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
  void read_more() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const asio::error_code& ec, size_t n) {
      if (ec) return self->close();  // gone before a whole request: no answer
      self->on_bytes(n);
    });
  }

  void on_bytes(size_t n) {
    switch (reader_.feed(chunk_.data(), n)) {
      case HttpRequestReader::State::more:
        return read_more();
      case HttpRequestReader::State::failed:
        return answer(reader_.error_response());
      case HttpRequestReader::State::done:
        owner_.handler_(reader_.request(), [weak = weak_from_this()](HttpResponse r) {
          if (auto self = weak.lock()) self->answer(r);  // closed by its deadline meanwhile: dropped
        });
        return;
    }
  }

  void answer(const HttpResponse& r) {
    if (closed_ || answered_) return;
    answered_ = true;
    response_ = http_response_bytes(r);
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

  HttpDoor& owner_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::array<char, 1024> chunk_{};
  HttpRequestReader reader_;
  std::string response_;
  bool answered_ = false;
  bool closed_ = false;
};

HttpDoor::HttpDoor(asio::io_context& io, Handler handler) : handler_(std::move(handler)), acceptor_(io) {}

HttpDoor::~HttpDoor() { close(); }

Result HttpDoor::open(const Address& addr) {
  asio::error_code ec;
  const auto ip = asio::ip::make_address(addr.listen_host(), ec);
  if (ec) return Result::error("http address '" + addr.text + "': " + ec.message());
  const tcp::endpoint ep(ip, addr.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) bound_ = addr.host + ":" + std::to_string(acceptor_.local_endpoint(ec).port());
  if (ec) return Result::error("http: listen on " + addr.text + ": " + ec.message());
  return Result::ok();
}

void HttpDoor::start() { accept_next(); }

void HttpDoor::accept_next() {
  acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || closed_) return;
    if (!ec) {
      if (open_.size() >= http_connections_max) {
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

void HttpDoor::finished(const std::shared_ptr<Exchange>& e) { open_.erase(e); }

void HttpDoor::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& e : std::set(open_)) e->close();
}

}  // namespace rrseq
