#pragma once
// One TCP connection carrying codec frames. Reading waits for the socket to be
// readable, then takes whatever is there in one read into a per-thread scratch
// buffer and hands on every whole frame in it; only the start of an unfinished
// frame is kept per connection, so an idle connection holds no read buffer.
// Writing keeps one write in flight and batches whatever queued up behind it
// into the next write. A frame that does
// not decode or is over this connection's size limit, a frame whose bytes do
// not all arrive in time (if it has a deadline), or a write queue over its
// limit closes the connection with a reason. Not thread-safe: use it from the thread
// running its io_context.
#include <asio.hpp>
#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/limits.h"
#include "transport_net/net_limits.h"

namespace rrseq {

class FrameConn : public std::enable_shared_from_this<FrameConn> {
 public:
  using OnFrame = std::function<void(Message&&)>;
  using OnClose = std::function<void(const std::string& reason)>;

  static std::shared_ptr<FrameConn> make(asio::ip::tcp::socket socket, std::string label) {
    return std::shared_ptr<FrameConn>(new FrameConn(std::move(socket), std::move(label)));
  }

  // Bounds for this connection; until set, peer_conn_limits.
  void set_limits(const ConnLimits& limits) { limits_ = limits; }
  // Starts reading; callbacks run on the io_context thread. on_close runs once.
  void start(OnFrame on_frame, OnClose on_close);
  // Queues a frame of any plane (codec.h: PeerMessage, HandshakeMessage,
  // ClientRequest, ClientReply); false when the connection is closed or its
  // queue overflowed (then closed).
  template <class M>
  bool send(const M& m) {
    if (closed_) return false;
    encode_frame(m, pending_);
    return queued();
  }
  void close(const std::string& reason);
  bool is_open() const { return !closed_; }
  // Closed because the other side broke a rule (bad, oversized or too slow a
  // frame, replies left unread), not by an I/O error or an ordinary close.
  bool closed_for_violation() const { return violation_; }
  const std::string& label() const { return label_; }
  size_t queued_bytes() const { return pending_.size() + writing_.size(); }

 private:
  FrameConn(asio::ip::tcp::socket socket, std::string label)
      : socket_(std::move(socket)), frame_timer_(socket_.get_executor()), label_(std::move(label)) {}
  void wait_readable();
  void on_readable();
  // Hands on every whole frame at the start of `in`; returns the bytes used.
  size_t take_frames(std::span<const uint8_t> in);
  void deliver(Message&& m);  // runs on_frame_, which may close()
  bool queued();  // a frame was appended to pending_: bound the queue, start writing
  void write_next();
  void fail(const std::string& reason);  // close() for a violation
  void frame_begun();  // arms the arrival deadline, once per frame
  void frame_done();

  asio::ip::tcp::socket socket_;
  asio::steady_timer frame_timer_;  // armed only while a frame is partly in
  bool frame_timer_armed_ = false;
  uint64_t frame_timer_gen_ = 0;    // tells a stale expiry from the current frame's
  ConnLimits limits_ = peer_conn_limits;
  std::string label_;
  std::vector<uint8_t> partial_;  // the start of a frame not yet whole
  std::string pending_;         // frames queued behind the write in flight
  std::string writing_;         // the write in flight
  bool closed_ = false;
  bool violation_ = false;
  bool delivering_ = false;  // on_frame_ is running
  OnFrame on_frame_;
  OnClose on_close_;
};

}  // namespace rrseq
