#include "transport_net/frame_conn.h"

#include "transport_net/net_limits.h"

namespace rrseq {

void FrameConn::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  read_header();
}

void FrameConn::read_header() {
  frame_.resize(frame_header_bytes);
  asio::async_read(socket_, asio::buffer(frame_.data(), frame_header_bytes),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (self->closed_) return;
                     if (ec) return self->close(ec == asio::error::eof ? "closed by peer" : ec.message());
                     auto len = decode_header(std::span<const uint8_t>(self->frame_.data(), frame_header_bytes));
                     if (auto* e = std::get_if<DecodeError>(&len)) return self->close("bad frame: " + e->reason);
                     self->read_body(std::get<uint32_t>(len));
                   });
}

void FrameConn::read_body(uint32_t body_len) {
  frame_.resize(frame_header_bytes + body_len);  // body_len was checked against frame_bytes_max
  asio::async_read(socket_, asio::buffer(frame_.data() + frame_header_bytes, body_len),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (self->closed_) return;
                     if (ec) return self->close(ec == asio::error::eof ? "closed by peer mid-frame" : ec.message());
                     auto r = decode_frame(std::span<const uint8_t>(self->frame_.data(), self->frame_.size()));
                     if (auto* e = std::get_if<DecodeError>(&r)) return self->close("bad frame: " + e->reason);
                     self->on_frame_(std::get<Message>(std::move(r)));
                     if (!self->closed_) self->read_header();
                   });
}

bool FrameConn::send(const Message& m) {
  if (closed_) return false;
  encode_frame(m, pending_);
  if (queued_bytes() > write_queue_bytes_max) {
    close("write queue over " + std::to_string(write_queue_bytes_max) + " bytes: peer is not reading");
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

void FrameConn::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  if (on_close_) {
    auto cb = std::move(on_close_);
    on_close_ = nullptr;
    cb(reason);
  }
  on_frame_ = nullptr;
}

}  // namespace rrseq
