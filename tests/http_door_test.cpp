// The HTTP door on its own: the request reader's bounds, the routes (with a
// node that answers by hand), and the door over real loopback TCP, with every
// bound on what an untrusted client can make it do.
#include "transport_net/http_door.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "core/limits.h"
#include "tests/metrics_scrape.h"
#include "tests/test_cluster.h"
#include "transport_net/http_routes.h"

namespace rrseq {
namespace {

HttpRequestReader::State read_all(HttpRequestReader& r, const std::string& bytes, size_t step = SIZE_MAX) {
  HttpRequestReader::State st = HttpRequestReader::State::more;
  for (size_t at = 0; at < bytes.size() && st == HttpRequestReader::State::more; at += step) {
    st = r.feed(bytes.data() + at, std::min(step, bytes.size() - at));
  }
  return st;
}

TEST(HttpRequestReader, ReadsMethodPathQueryAuthorizationAndBody) {
  HttpRequestReader r;
  const std::string req =
      "POST /v1/sequences/a/advance?x=1 HTTP/1.1\r\nHost: h\r\nauthorization: Bearer t0k\r\n"
      "Content-Length: 17\r\n\r\n{\"at_least\": 100}";
  ASSERT_EQ(read_all(r, req, 1), HttpRequestReader::State::done);  // one byte at a time, as a trickle
  EXPECT_EQ(r.request().method, "POST");
  EXPECT_EQ(r.request().path, "/v1/sequences/a/advance");
  EXPECT_EQ(r.request().query, "x=1");
  EXPECT_EQ(r.request().authorization, "Bearer t0k");
  EXPECT_EQ(r.request().body, "{\"at_least\": 100}");
}

TEST(HttpRequestReader, RefusesOversizedHeadsAndBodiesAndMalformedBytes) {
  {
    HttpRequestReader r;
    EXPECT_EQ(read_all(r, "GET / HTTP/1.1\r\nX: " + std::string(2 * http_head_bytes_max, 'a') + "\r\n\r\n"),
              HttpRequestReader::State::failed);
    EXPECT_EQ(r.error_response().status, 431);
  }
  {
    HttpRequestReader r;  // a head that just fits
    std::string fits = "GET / HTTP/1.1\r\nX: ";
    fits += std::string(http_head_bytes_max - fits.size() - 4, 'b') + "\r\n\r\n";
    ASSERT_EQ(fits.size(), http_head_bytes_max);
    EXPECT_EQ(read_all(r, fits), HttpRequestReader::State::done);
  }
  {
    HttpRequestReader r;  // refused by its Content-Length, before the body comes
    EXPECT_EQ(read_all(r, "POST / HTTP/1.1\r\nContent-Length: " + std::to_string(http_body_bytes_max + 1) + "\r\n\r\n"),
              HttpRequestReader::State::failed);
    EXPECT_EQ(r.error_response().status, 413);
  }
  {
    HttpRequestReader r;  // a chunked body is counted as it comes
    std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) chunked += "200\r\n" + std::string(0x200, 'c') + "\r\n";
    EXPECT_EQ(read_all(r, chunked), HttpRequestReader::State::failed);
    EXPECT_EQ(r.error_response().status, 413);
  }
  for (const std::string bad : {"hello\r\n\r\n", "GET / HTTP/9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    HttpRequestReader r;
    EXPECT_EQ(read_all(r, bad), HttpRequestReader::State::failed) << bad;
    EXPECT_EQ(r.error_response().status, 400) << bad;
  }
}

// A node that records the calls and answers them when told.
class HandNode final : public NodeDoor {
 public:
  void call(DoorCall c, Done done) override { calls.push_back({std::move(c), std::move(done)}); }
  void list(std::function<void(std::vector<SeqBound>)> done) override { done({}); }
  bool ready() const override { return is_ready; }

  std::deque<std::pair<DoorCall, Done>> calls;
  bool is_ready = false;
};

class HttpRoutesTest : public ::testing::Test {
 protected:
  HttpResponse ask(const std::string& method, const std::string& target, const std::string& auth = "",
                   const std::string& body = "") {
    HttpRequest req{method, target.substr(0, target.find('?')),
                    target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1), auth, body};
    HttpResponse got{0, "", "", ""};
    route_http(routes_, req, [&](HttpResponse r) { got = std::move(r); });
    return got;
  }
  // Answers the oldest call the node holds.
  void answer(DoorAnswer a) {
    ASSERT_FALSE(node_.calls.empty());
    auto done = std::move(node_.calls.front().second);
    node_.calls.pop_front();
    done(a);
  }

  HandNode node_;
  HttpRoutes routes_{&node_, [] { return std::string("up 1\n"); }, std::string("secret-token-0123")};
};

TEST_F(HttpRoutesTest, NextCurrentAndAdvanceReachTheNodeAsTheirCalls) {
  HttpResponse got;
  HttpRequest req{"GET", "/v1/sequences/orders/next", "count=5", "", ""};
  route_http(routes_, req, [&](HttpResponse r) { got = std::move(r); });
  ASSERT_EQ(node_.calls.size(), 1u);
  EXPECT_EQ(node_.calls[0].first.op, DoorOp::next);
  EXPECT_EQ(node_.calls[0].first.seq, "orders");
  EXPECT_EQ(node_.calls[0].first.count, 5u);
  answer(DoorAnswer{Status::ok, 11, 16});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "{\"from\":11,\"sequence\":\"orders\",\"to\":16}\n");

  EXPECT_EQ(ask("GET", "/v1/sequences/orders/next").status, 0);  // no count: one ID, once the node answers
  EXPECT_EQ(node_.calls.back().first.count, 1u);
  answer(DoorAnswer{Status::ok, 16, 17});

  ask("GET", "/v1/sequences/orders");
  EXPECT_EQ(node_.calls.back().first.op, DoorOp::current);
  answer(DoorAnswer{Status::ok, 17, 17});

  ask("POST", "/v1/sequences/orders/advance", "Bearer secret-token-0123", "{\"at_least\": 5000}");
  ASSERT_EQ(node_.calls.size(), 1u);
  EXPECT_EQ(node_.calls.back().first.op, DoorOp::advance);
  EXPECT_EQ(node_.calls.back().first.at_least, 5000u);
}

TEST_F(HttpRoutesTest, RefusalsCarryAStatusAProgramCanActOn) {
  const std::pair<Status, int> cases[] = {{Status::timeout, 503},   {Status::not_ready, 503},
                                          {Status::overloaded, 429}, {Status::exhausted, 409},
                                          {Status::too_many_sequences, 409}};
  for (const auto& [status, http] : cases) {
    HttpResponse got;
    HttpRequest req{"GET", "/v1/sequences/orders", "", "", ""};
    route_http(routes_, req, [&](HttpResponse r) { got = std::move(r); });
    answer(DoorAnswer{status});
    EXPECT_EQ(got.status, http) << status_name(status);
    EXPECT_NE(got.body.find(std::string("\"status\":\"") + status_name(status) + "\""), std::string::npos) << got.body;
  }
}

TEST_F(HttpRoutesTest, BadInputIsRefusedAtTheDoorWithoutReachingTheNode) {
  EXPECT_EQ(ask("GET", "/v1/sequences/bad%20name/next").status, 400);
  EXPECT_EQ(ask("GET", "/v1/sequences/" + std::string(seq_name_bytes_max + 1, 'a')).status, 400);
  for (const std::string count : {"0", "-1", "x", "", "1048577", "99999999999999999999999"}) {
    EXPECT_EQ(ask("GET", "/v1/sequences/a/next?count=" + count).status, 400) << count;
  }
  EXPECT_EQ(ask("GET", "/v1/sequences/a/nope").status, 404);
  EXPECT_EQ(ask("GET", "/v2/anything").status, 404);
  const HttpResponse del = ask("DELETE", "/v1/sequences/a/next");
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.allow, "GET");
  EXPECT_EQ(ask("GET", "/v1/sequences/a/advance").status, 405);
  // Advance: the token first, then the body.
  EXPECT_EQ(ask("POST", "/v1/sequences/a/advance", "", "{\"at_least\": 5}").status, 403);
  EXPECT_EQ(ask("POST", "/v1/sequences/a/advance", "Bearer wrong-token-012345", "{\"at_least\": 5}").status, 403);
  EXPECT_EQ(ask("POST", "/v1/sequences/a/advance", "secret-token-0123", "{\"at_least\": 5}").status, 403);
  for (const std::string body : {"", "{", "[]", "{\"at_least\": 0}", "{\"at_least\": -5}", "{\"at_least\": \"5\"}",
                                 "{\"at_least\": 18446744073709551615}", "{\"at\": 5}"}) {
    EXPECT_EQ(ask("POST", "/v1/sequences/a/advance", "Bearer secret-token-0123", body).status, 400) << body;
  }
  EXPECT_TRUE(node_.calls.empty());
}

TEST_F(HttpRoutesTest, WithoutATokenNoAdvanceIsAllowed) {
  routes_.admin_token.reset();
  const HttpResponse r = ask("POST", "/v1/sequences/a/advance", "Bearer ", "{\"at_least\": 5}");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("no --admin-token"), std::string::npos) << r.body;
  EXPECT_TRUE(node_.calls.empty());
}

TEST_F(HttpRoutesTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(ask("GET", "/healthz").status, 200);
  EXPECT_EQ(ask("GET", "/readyz").status, 503);
  node_.is_ready = true;
  EXPECT_EQ(ask("GET", "/readyz").status, 200);
  const HttpResponse m = ask("GET", "/metrics?name[]=up");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, "up 1\n");
  EXPECT_EQ(ask("POST", "/metrics").status, 405);
}

// An HttpDoor on its own io_context thread, answering through the routes.
class HttpDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_ = std::make_unique<HttpDoor>(io_, [this](const HttpRequest& req, HttpDoor::Reply reply) {
      route_http(routes_, req, std::move(reply));
    });
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

  HandNode node_;  // holds every call: a request for IDs waits, like one for a node without a quorum
  HttpRoutes routes_{&node_, [] { return std::string("up 1\n"); }, std::nullopt};
  asio::io_context io_;
  std::unique_ptr<HttpDoor> http_;
  std::string address_;
  std::thread thread_;
};

TEST_F(HttpDoorTest, ScrapeAnswersTheRenderedTextThenCloses) {
  const std::string reply = http_get(address_, "/metrics");
  EXPECT_EQ(http_status(reply), 200) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Length: 5\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_EQ(http_body(reply), "up 1\n");  // and the read ended: the server closed
}

TEST_F(HttpDoorTest, WrongPathMethodOrSyntaxGetsTheRightStatus) {
  EXPECT_EQ(http_status(http_get(address_, "/")), 404);
  const std::string post = http_exchange(address_, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_status(post), 405);
  EXPECT_NE(post.find("Allow: GET\r\n"), std::string::npos) << post;
  EXPECT_EQ(http_status(http_exchange(address_, "hello\r\n\r\n")), 400);
  const std::string bad_name = http_get(address_, "/v1/sequences/bad!/next");
  EXPECT_EQ(http_status(bad_name), 400);
  EXPECT_NE(bad_name.find("Content-Type: application/json"), std::string::npos) << bad_name;
}

TEST_F(HttpDoorTest, OversizedRequestHeadIsRefusedWithoutReadingItAll) {
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4 * http_head_bytes_max, 'a') + "\r\n\r\n";
  EXPECT_EQ(http_status(http_exchange(address_, head)), 431);
}

TEST_F(HttpDoorTest, ClientThatSendsNothingIsClosedByTheDeadline) {
  // Sends nothing and waits: the server closes it once http_exchange_timeout_ms pass.
  EXPECT_EQ(http_exchange(address_, ""), "");
}

TEST_F(HttpDoorTest, ARequestTheNodeNeverAnswersEndsAtTheDeadline) {
  EXPECT_EQ(http_exchange(address_, "GET /v1/sequences/a/next HTTP/1.1\r\n\r\n"), "");
}

TEST_F(HttpDoorTest, ConnectionsOverTheLimitAreClosedAndOthersStillServed) {
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  const size_t colon = address_.rfind(':');
  const asio::ip::tcp::endpoint ep(asio::ip::make_address(address_.substr(0, colon)),
                                   static_cast<uint16_t>(std::stoi(address_.substr(colon + 1))));
  for (size_t i = 0; i < http_connections_max; ++i) {
    idle.emplace_back(io);
    idle.back().connect(ep);
  }
  // Accepts are taken in order, so these are all open when the next one comes.
  const std::string refused = http_get(address_, "/metrics");
  EXPECT_EQ(refused, "") << "connection " << http_connections_max + 1 << " was served";
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
