// The /metrics HTTP endpoint on its own, over real loopback TCP: routing, and
// every bound on what an untrusted client can make it do.
#include "transport_net/metrics_http.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/metrics_scrape.h"
#include "tests/test_cluster.h"

namespace rrseq {
namespace {

TEST(MetricsRoute, GetMetricsIsServed) {
  EXPECT_EQ(route_metrics_request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(route_metrics_request("GET /metrics?name[]=up HTTP/1.0\n\n").status, 200);
}

TEST(MetricsRoute, OtherPathsAreNotFound) {
  EXPECT_EQ(route_metrics_request("GET / HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(route_metrics_request("GET /metrics/x HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(route_metrics_request("POST /other HTTP/1.1\r\n\r\n").status, 404);
}

TEST(MetricsRoute, OtherMethodsAreNotAllowed) {
  EXPECT_EQ(route_metrics_request("POST /metrics HTTP/1.1\r\n\r\n").status, 405);
  EXPECT_EQ(route_metrics_request("DELETE /metrics HTTP/1.1\r\n\r\n").status, 405);
}

TEST(MetricsRoute, MalformedRequestLinesAreBadRequests) {
  for (const char* head : {"", "\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n", "GET /metrics FTP/1\r\n\r\n",
                           "GET  /metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/1.1 extra\r\n\r\n"}) {
    EXPECT_EQ(route_metrics_request(head).status, 400) << head;
  }
}

// A MetricsHttp on its own io_context thread, answering a fixed text.
class MetricsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_ = std::make_unique<MetricsHttp>(io_, [] { return std::string("up 1\n"); });
    Result r = http_->open(must_parse("127.0.0.1:0"));
    ASSERT_TRUE(r.is_ok()) << r.message();
    address_ = http_->bound_address();
    http_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] {
      http_->close();
      io_.stop();
    });
    thread_.join();
    http_.reset();
  }

  asio::io_context io_;
  std::unique_ptr<MetricsHttp> http_;
  std::string address_;
  std::thread thread_;
};

TEST_F(MetricsHttpTest, ScrapeAnswersTheRenderedTextThenCloses) {
  const std::string reply = http_get(address_, "/metrics");
  EXPECT_EQ(http_status(reply), 200) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Length: 5\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_EQ(http_body(reply), "up 1\n");  // and the read ended: the server closed
}

TEST_F(MetricsHttpTest, WrongPathMethodOrSyntaxGetsTheRightStatus) {
  EXPECT_EQ(http_status(http_get(address_, "/")), 404);
  const std::string post = http_exchange(address_, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_status(post), 405);
  EXPECT_NE(post.find("Allow: GET\r\n"), std::string::npos) << post;
  EXPECT_EQ(http_status(http_exchange(address_, "hello\r\n\r\n")), 400);
}

TEST_F(MetricsHttpTest, OversizedRequestHeadIsRefusedWithoutReadingItAll) {
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4 * metrics_request_bytes_max, 'a') + "\r\n\r\n";
  EXPECT_EQ(http_status(http_exchange(address_, head)), 431);
  // A head that just fits is fine.
  std::string fits = "GET /metrics HTTP/1.1\r\nX: ";
  fits += std::string(metrics_request_bytes_max - fits.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), metrics_request_bytes_max);
  EXPECT_EQ(http_status(http_exchange(address_, fits)), 200);
}

TEST_F(MetricsHttpTest, ClientThatSendsNothingIsClosedByTheDeadline) {
  // Sends nothing and waits: the server closes it once metrics_exchange_timeout_ms pass.
  EXPECT_EQ(http_exchange(address_, ""), "");
}

TEST_F(MetricsHttpTest, ConnectionsOverTheLimitAreClosedAndOthersStillServed) {
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  const size_t colon = address_.rfind(':');
  const asio::ip::tcp::endpoint ep(asio::ip::make_address(address_.substr(0, colon)),
                                   static_cast<uint16_t>(std::stoi(address_.substr(colon + 1))));
  for (size_t i = 0; i < metrics_connections_max; ++i) {
    idle.emplace_back(io);
    idle.back().connect(ep);
  }
  // Accepts are taken in order, so these are all open when the next one comes.
  const std::string refused = http_get(address_, "/metrics");
  EXPECT_EQ(refused, "") << "connection " << metrics_connections_max + 1 << " was served";
  idle.clear();  // closing them frees their places
  // The server notices the closes in its own time; until then new ones are refused.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::string served;
  while (http_status(served) != 200 && std::chrono::steady_clock::now() < give_up) {
    served = http_get(address_, "/metrics");
    if (http_status(served) != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(http_status(served), 200) << served;
}

}  // namespace
}  // namespace rrseq
