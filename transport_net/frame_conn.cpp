#include "transport_net/frame_conn.h"

namespace rrseq {

void FrameConn::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);  // on_readable() reads what is there, never waits
  wait_readable();
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

void FrameConn::wait_readable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
    if (self->closed_) return;
    if (ec) return self->close(ec.message());
    self->on_readable();
  });
}

void FrameConn::on_readable() {
  // One scratch buffer per thread: connections share it between reads.
  thread_local std::vector<uint8_t> scratch(read_chunk_bytes);
  asio::error_code ec;
  const size_t n = socket_.read_some(asio::buffer(scratch), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_readable();
  if (ec) {
    if (ec != asio::error::eof) return close(ec.message());
    return close(partial_.empty() ? "closed by peer" : "closed by peer mid-frame");
  }
  std::span<const uint8_t> in(scratch.data(), n);
  if (!partial_.empty()) {
    partial_.insert(partial_.end(), in.begin(), in.end());
    in = partial_;
  }
  const size_t used = take_frames(in);
  if (closed_) return;
  // Keep only the unfinished frame's bytes, and no more memory than they need.
  std::vector<uint8_t> rest(in.begin() + static_cast<std::ptrdiff_t>(used), in.end());
  partial_.swap(rest);
  // The arrival deadline runs from the first byte of a frame still unfinished.
  if (used > 0 || partial_.empty()) frame_done();
  if (!partial_.empty()) frame_begun();
  wait_readable();
}

size_t FrameConn::take_frames(std::span<const uint8_t> in) {
  size_t used = 0;
  while (!closed_ && in.size() - used >= frame_header_bytes) {
    const std::span<const uint8_t> rest = in.subspan(used);
    auto len = decode_header(rest.first(frame_header_bytes));
    if (auto* e = std::get_if<DecodeError>(&len)) {
      fail("bad frame: " + e->reason);
      break;
    }
    const size_t frame_bytes = frame_header_bytes + std::get<uint32_t>(len);
    if (frame_bytes > limits_.frame_bytes) {
      fail("frame of " + std::to_string(frame_bytes) + " bytes over this connection's limit of " +
           std::to_string(limits_.frame_bytes));
      break;
    }
    if (rest.size() < frame_bytes) break;  // the rest of it is still on its way
    auto r = decode_frame(rest.first(frame_bytes));
    if (auto* e = std::get_if<DecodeError>(&r)) {
      fail("bad frame: " + e->reason);
      break;
    }
    used += frame_bytes;
    deliver(std::get<Message>(std::move(r)));
  }
  return used;
}

// The handler may close this connection; it is released only once it has
// returned, since destroying a std::function while it runs destroys its captures.
void FrameConn::deliver(Message&& m) {
  delivering_ = true;
  on_frame_(std::move(m));
  delivering_ = false;
  if (closed_) on_frame_ = nullptr;
}

bool FrameConn::queued() {
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
  if (!delivering_) on_frame_ = nullptr;  // else deliver() releases it on return
}

}  // namespace rrseq
