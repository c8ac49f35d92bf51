#include "transport_net/frame_conn.h"

namespace rrseq {

void FrameConn::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  read_header();
}

auto FrameConn::watch_partial(size_t total) {
  return [self = shared_from_this(), total](const asio::error_code& ec, size_t got) -> size_t {
    if (ec || got >= total) return 0;
    if (got > 0) self->frame_begun();
    return total - got;
  };
}

// A frame that has begun must finish within limits_.frame_arrival_ms. The
// timer runs only while a frame is partly in, so whole frames (the usual
// case) and idle connections cost nothing.
void FrameConn::frame_begun() {
  if (frame_timer_armed_ || closed_ || limits_.frame_arrival_ms == 0) return;
  frame_timer_armed_ = true;
  const uint64_t gen = ++frame_timer_gen_;
  frame_timer_.expires_after(std::chrono::milliseconds(limits_.frame_arrival_ms));
  frame_timer_.async_wait([self = shared_from_this(), gen](const asio::error_code& ec) {
    if (ec || self->closed_ || !self->frame_timer_armed_ || gen != self->frame_timer_gen_) return;
    self->fail("a frame did not arrive whole within " + std::to_string(self->limits_.frame_arrival_ms) +
               " ms (frame_arrival_ms_max)");
  });
}

void FrameConn::frame_done() {
  if (!frame_timer_armed_) return;
  frame_timer_armed_ = false;
  frame_timer_.cancel();
}

void FrameConn::read_header() {
  frame_.resize(frame_header_bytes);
  asio::async_read(
      socket_, asio::buffer(frame_.data(), frame_header_bytes), watch_partial(frame_header_bytes),
      [self = shared_from_this()](const asio::error_code& ec, size_t) {
        if (self->closed_) return;
        if (ec) return self->close(ec == asio::error::eof ? "closed by peer" : ec.message());
        auto len = decode_header(std::span<const uint8_t>(self->frame_.data(), frame_header_bytes));
        if (auto* e = std::get_if<DecodeError>(&len)) return self->fail("bad frame: " + e->reason);
        const uint32_t body_len = std::get<uint32_t>(len);
        if (frame_header_bytes + body_len > self->limits_.frame_bytes) {
          return self->fail("frame of " + std::to_string(frame_header_bytes + body_len) +
                            " bytes over this connection's limit of " + std::to_string(self->limits_.frame_bytes));
        }
        // The body's bytes may not all be here yet: the deadline covers the wait.
        asio::error_code ignored;
        if (self->limits_.frame_arrival_ms > 0 && self->socket_.available(ignored) < body_len) self->frame_begun();
        self->read_body(body_len);
      });
}

void FrameConn::read_body(uint32_t body_len) {
  frame_.resize(frame_header_bytes + body_len);  // body_len was checked against limits_.frame_bytes
  asio::async_read(socket_, asio::buffer(frame_.data() + frame_header_bytes, body_len), watch_partial(body_len),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (self->closed_) return;
                     if (ec) return self->close(ec == asio::error::eof ? "closed by peer mid-frame" : ec.message());
                     self->frame_done();
                     auto r = decode_frame(std::span<const uint8_t>(self->frame_.data(), self->frame_.size()));
                     if (auto* e = std::get_if<DecodeError>(&r)) return self->fail("bad frame: " + e->reason);
                     self->on_frame_(std::get<Message>(std::move(r)));
                     if (!self->closed_) self->read_header();
                   });
}

bool FrameConn::send(const Message& m) {
  if (closed_) return false;
  encode_frame(m, pending_);
  if (queued_bytes() > limits_.write_queue_bytes) {
    fail("write queue over " + std::to_string(limits_.write_queue_bytes) + " bytes: peer is not reading");
    return false;
  }
  if (writing_.empty()) write_next();
  return true;
}

void FrameConn::write_next() {
  if (pending_.empty() || closed_) return;
  writing_.swap(pending_);
  asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](const asio::error_code& ec, size_t) {
    self->writing_.clear();
    if (self->closed_) return;
    if (ec) return self->close(ec.message());
    self->write_next();
  });
}

void FrameConn::fail(const std::string& reason) {
  if (closed_) return;
  violation_ = true;
  close(reason);
}

void FrameConn::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  frame_timer_.cancel();
  pending_.clear();
  if (on_close_) {
    auto cb = std::move(on_close_);
    on_close_ = nullptr;
    cb(reason);
  }
  on_frame_ = nullptr;
}

}  // namespace rrseq
