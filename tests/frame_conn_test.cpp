// FrameConn on a real loopback connection: a frame handler may close its own
// connection, and what the handler holds lives until it returns.
#include "transport_net/frame_conn.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <memory>
#include <string>

namespace rrseq {
namespace {

// Set when the frame handler's captures are destroyed: static, so the handler
// can read it without touching its own (possibly destroyed) closure.
bool handler_released = false;
bool released_while_running = false;
std::string close_reason;

struct ReleaseMark {
  ~ReleaseMark() { handler_released = true; }
};

TEST(FrameConn, AHandlerThatClosesItsConnectionKeepsItsCapturesUntilItReturns) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket sender(io);
  sender.connect(acceptor.local_endpoint());
  auto conn = FrameConn::make(acceptor.accept(), "test");

  auto mark = std::make_shared<ReleaseMark>();
  conn->start(
      [conn_raw = conn.get(), mark](Message&&) {
        conn_raw->close("handler closed it");
        released_while_running = handler_released;
      },
      [](const std::string& reason) { close_reason = reason; });
  mark.reset();  // the handler holds the last reference

  const std::string frame = encode_frame(Message{Hello{}});
  asio::write(sender, asio::buffer(frame + frame));  // the second frame must not be delivered
  io.run();

  EXPECT_EQ(close_reason, "handler closed it");
  EXPECT_FALSE(released_while_running) << "close() destroyed the running handler";
  EXPECT_TRUE(handler_released) << "the handler is released once it returned";
  EXPECT_FALSE(conn->is_open());
}

}  // namespace
}  // namespace rrseq
