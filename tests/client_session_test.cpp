// The client session: buffering, prefetch at half use, retries and refusals.
#include "core/client_session.h"

#include <gtest/gtest.h>

namespace rrseq {
namespace {

ClientConfig config(uint64_t buf, uint32_t servers = 3) {
  ClientConfig c;
  c.seq = "s";
  c.buf_size = buf;
  c.servers = servers;
  return c;
}

// A 100 us request timeout and a fixed 10 us backoff, for retry tests.
ClientConfig quick_retries() {
  ClientConfig c = config(0);
  c.attempt_timeout_us = 100;
  c.retry_backoff_min_us = 10;
  c.retry_backoff_max_us = 10;
  return c;
}

ClientReply ok(const ClientRequest& r, uint64_t from) {
  return ClientReply{r.client, r.request, Status::ok, from, from + r.count};
}

TEST(ClientSession, BufferSizeZeroAsksForOneIdPerTake) {
  ClientSession s(config(0), 7, 1);
  EXPECT_FALSE(s.take_id(0));
  auto out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].second.count, 1u);
  s.on_reply(0, ok(out.sends[0].second, 1), 10);
  EXPECT_EQ(s.take_id(10), 1u);
  EXPECT_TRUE(s.take_output().sends.empty());  // no prefetch with B = 0
  EXPECT_FALSE(s.take_id(11));
  EXPECT_EQ(s.take_output().sends.size(), 1u);
}

TEST(ClientSession, BufferSizeZeroAsksOneIdForEachWaitingCaller) {
  ClientSession s(config(0), 7, 1);
  EXPECT_FALSE(s.take_ids(0, range_ids_max, 5));
  auto out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].second.count, 5u);
  // Callers that come while it is in flight wait for its answer, not a second request.
  EXPECT_FALSE(s.take_ids(1, range_ids_max, 9));
  EXPECT_TRUE(s.take_output().sends.empty());
  s.on_reply(0, ok(out.sends[0].second, 1), 10);
  EXPECT_EQ(s.take_ids(10, range_ids_max, 9), std::make_pair(uint64_t{1}, uint64_t{6}));
  EXPECT_TRUE(s.take_output().sends.empty());  // still no prefetch with B = 0
  // Many callers: one request asks at most shared_request_ids_max.
  EXPECT_FALSE(s.take_ids(11, range_ids_max, shared_request_ids_max + 1));
  out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].second.count, shared_request_ids_max);
}

TEST(ClientSession, PrefetchesWhenHalfTheBufferIsUsed) {
  ClientSession s(config(4), 7, 1);
  EXPECT_FALSE(s.take_id(0));
  auto out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  s.on_reply(0, ok(out.sends[0].second, 1), 5);
  ASSERT_EQ(s.take_output().grants.size(), 1u);
  EXPECT_EQ(s.take_id(6), 1u);  // 3 left: no request yet
  EXPECT_TRUE(s.take_output().sends.empty());
  EXPECT_EQ(s.take_id(7), 2u);  // 2 left = half: prefetch
  out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  s.on_reply(0, ok(out.sends[0].second, 5), 8);
  for (uint64_t want = 3; want <= 8; ++want) EXPECT_EQ(s.take_id(9), want);
}

TEST(ClientSession, TakeIdsLeasesTheOldestRangeAndRefillsAsIfItWereUsed) {
  ClientSession s(config(4), 7, 1);
  EXPECT_FALSE(s.take_ids(0, 100));
  auto out = s.take_output();
  ASSERT_EQ(out.sends.size(), 1u);
  s.on_reply(0, ok(out.sends[0].second, 1), 5);
  s.take_output();
  const auto first = s.take_ids(6, 3);  // at most 3 of the 4
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, std::make_pair(uint64_t{1}, uint64_t{4}));
  EXPECT_EQ(s.take_output().sends.size(), 1u);  // 1 left of 4: prefetch
  EXPECT_EQ(s.take_ids(7, 100), std::make_pair(uint64_t{4}, uint64_t{5}));
  EXPECT_FALSE(s.take_ids(8, 0));
}

// Takes every buffered ID, without looking once more at an empty buffer.
void drain(ClientSession& s, TimeUs now) {
  while (s.buffered() > 0) s.take_ids(now, range_ids_max);
}

// A caller who finds the buffer empty while the prefetch is on its way uses
// IDs faster than one range per round trip: twice as many ranges go ahead,
// and the buffer then holds enough that the next prefetch comes in time.
TEST(ClientSession, APrefetchThatComesLateKeepsTwiceAsManyRangesAhead) {
  ClientSession s(config(4), 7, 1);
  EXPECT_FALSE(s.take_id(0));
  auto first = s.take_output().sends.at(0).second;
  EXPECT_FALSE(s.take_id(1)) << "still waiting for the first range";
  EXPECT_EQ(s.ranges_ahead(), 1u) << "the first wait is no sign of a fast caller";
  s.on_reply(0, ok(first, 1), 2);
  s.take_output();
  drain(s, 3);  // all 4 at once: one prefetch at half use
  ASSERT_EQ(s.in_flight(), 1u);
  auto late = s.take_output().sends.at(0).second;
  EXPECT_FALSE(s.take_id(3));  // dry, the prefetch still on its way
  EXPECT_EQ(s.ranges_ahead(), 2u);
  EXPECT_EQ(s.in_flight(), 2u) << "a second range asked for at once";
  EXPECT_FALSE(s.take_id(3));
  EXPECT_EQ(s.ranges_ahead(), 2u) << "once per late request, however many callers look";
  auto second = s.take_output().sends.at(0).second;
  EXPECT_GT(second.request, late.request);
  s.on_reply(0, ok(late, 5), 4);
  s.on_reply(0, ok(second, 9), 4);
  for (uint64_t want = 5; want <= 12; ++want) EXPECT_EQ(s.take_id(5), want);
  // Keeping two ahead, a refill goes out while a whole range is still buffered.
  EXPECT_EQ(s.in_flight(), 2u);
}

TEST(ClientSession, RangesAheadAreBoundedAndOffKeepsOneRequest) {
  for (const bool keep_ahead : {true, false}) {
    ClientConfig c = config(4);
    c.keep_ahead = keep_ahead;
    ClientSession s(c, 7, 1);
    uint64_t next_from = 1;
    s.take_id(0);
    for (int round = 0; round < 10; ++round) {
      // Every range comes late: answer all requests, use every ID, look once more.
      for (const auto& [server, req] : s.take_output().sends) {
        s.on_reply(server, ok(req, next_from), 1);
        next_from += req.count;
      }
      drain(s, 2);
      EXPECT_FALSE(s.take_id(2));
      EXPECT_LE(s.in_flight(), keep_ahead ? size_t{ranges_ahead_max} : size_t{1});
    }
    EXPECT_EQ(s.ranges_ahead(), keep_ahead ? ranges_ahead_max : 1u);
  }
}

// Adaptive clients grow the range instead of the number of ranges.
TEST(ClientSession, AnAdaptiveClientKeepsOneRequestInFlight) {
  ClientConfig c = config(4);
  c.adaptive = true;
  ClientSession s(c, 7, 1);
  s.take_id(0);
  uint64_t next_from = 1;
  for (int round = 0; round < 4; ++round) {
    for (const auto& [server, req] : s.take_output().sends) {
      s.on_reply(server, ok(req, next_from), 1);
      next_from += req.count;
    }
    drain(s, 2);
    EXPECT_FALSE(s.take_id(2));
  }
  EXPECT_EQ(s.ranges_ahead(), 1u);
  EXPECT_EQ(s.in_flight(), 1u);
}

// With several requests in flight a later one may be answered first (a retry
// of the earlier went elsewhere): ranges go out lowest first, and one that
// arrives below an ID already handed out is dropped, never handed out (G3).
TEST(ClientSession, RangesGoOutLowestFirstAndALateLowerOneIsDropped) {
  ClientSession s(config(4), 7, 1);
  s.take_id(0);
  s.on_reply(0, ok(s.take_output().sends.at(0).second, 1), 1);
  drain(s, 2);
  auto a = s.take_output().sends.at(0).second;
  s.take_id(2);  // late: two ahead now
  auto b = s.take_output().sends.at(0).second;
  s.on_reply(0, ok(b, 100), 3);  // b answered first but lower than a
  s.on_reply(0, ok(a, 200), 3);
  EXPECT_EQ(s.take_id(4), 100u) << "the lowest range first, whatever the order of answers";
  for (uint64_t want = 101; want <= 103; ++want) EXPECT_EQ(s.take_id(4), want);
  EXPECT_EQ(s.take_id(4), 200u);
  auto more = s.take_output().sends;
  ASSERT_FALSE(more.empty());
  s.on_reply(0, ok(more.at(0).second, 50), 5);  // below 200, already handed out
  EXPECT_TRUE(s.take_output().grants.empty()) << "not buffered, so not a grant of this client";
  for (uint64_t want = 201; want <= 203; ++want) EXPECT_EQ(s.take_id(6), want);
  EXPECT_FALSE(s.take_id(6)) << "50..53 never handed out";
}

// A server grants one client's requests in order, but its answers may overtake
// each other: a range waits while an older request still waits at the server
// that granted it, and counts as received only then, so a calm client
// neither skips IDs nor reports a hole (G5). A timeout of the older one frees it.
TEST(ClientSession, ARangeWaitsForAnOlderRequestAtItsServer) {
  ClientConfig c = config(4);
  c.attempt_timeout_us = 100;
  for (const bool answered : {true, false}) {
    ClientSession s(c, 7, 1);
    s.take_id(0);
    s.on_reply(0, ok(s.take_output().sends.at(0).second, 1), 1);
    drain(s, 2);
    auto older = s.take_output().sends.at(0).second;
    s.take_id(2);  // late: two ahead now
    auto newer = s.take_output().sends.at(0).second;
    s.on_reply(0, ok(newer, 9), 3);
    EXPECT_TRUE(s.take_output().grants.empty()) << "held, so not yet received";
    EXPECT_FALSE(s.take_id(3)) << "9 would skip what the older request brings";
    if (answered) {
      s.on_reply(0, ok(older, 5), 4);
      EXPECT_EQ(s.take_output().grants.size(), 2u);
      for (uint64_t want = 5; want <= 12; ++want) EXPECT_EQ(s.take_id(5), want);
    } else {
      s.on_timer(102);  // the older request timed out: it may come back higher, from elsewhere
      const auto out = s.take_output();
      ASSERT_EQ(out.grants.size(), 1u);
      EXPECT_EQ(out.grants[0].from, 9u);
      EXPECT_EQ(out.grants[0].received_us, 102u);
      EXPECT_EQ(s.take_id(102), 9u);
    }
  }
}

// A lost connection moves every request waiting there on, and the server
// rotation moves once, not once per request.
TEST(ClientSession, ALostConnectionMovesEveryRequestThereOnButTheServerOnce) {
  ClientConfig c = config(4);
  c.retry_backoff_min_us = 10;
  c.retry_backoff_max_us = 10;
  ClientSession s(c, 7, 1);
  s.take_id(0);
  s.on_reply(0, ok(s.take_output().sends.at(0).second, 1), 1);
  drain(s, 2);
  s.take_id(2);  // late: two requests in flight, both at server 0
  auto sent = s.take_output().sends;
  ASSERT_EQ(s.in_flight(), 2u);
  s.on_connection_lost(0, 3);
  s.on_timer(*s.next_timer());
  auto again = s.take_output().sends;
  ASSERT_EQ(again.size(), 2u);
  for (const auto& [server, req] : again) EXPECT_EQ(server, 1u) << "request " << req.request;
}

TEST(ClientSession, TimeoutRetriesSameRequestOnNextServer) {
  ClientSession s(quick_retries(), 7, 1);
  s.take_id(0);
  auto first = s.take_output().sends.at(0);
  s.on_timer(100);  // deadline: back off
  EXPECT_TRUE(s.take_output().sends.empty());
  ASSERT_TRUE(s.next_timer());
  s.on_timer(*s.next_timer());
  auto second = s.take_output().sends.at(0);
  EXPECT_NE(first.first, second.first);
  EXPECT_EQ(first.second.request, second.second.request);
  // The late answer from the first server is as good as any.
  s.on_reply(first.first, ok(first.second, 40), 150);
  auto out = s.take_output();
  ASSERT_EQ(out.grants.size(), 1u);
  EXPECT_EQ(out.grants[0].sent_us, 0u);  // the first send counts for real-time order
  EXPECT_EQ(s.take_id(151), 40u);
  s.on_reply(second.first, ok(second.second, 41), 160);  // duplicate answer: ignored
  EXPECT_TRUE(s.take_output().grants.empty());
}

TEST(ClientSession, NotReadyBacksOffAndMovesOn) {
  ClientSession s(config(0), 7, 1);
  s.take_id(0);
  auto req = s.take_output().sends.at(0);
  s.on_reply(req.first, ClientReply{7, req.second.request, Status::not_ready, 0, 0}, 1);
  EXPECT_TRUE(s.take_output().sends.empty());
  s.on_timer(*s.next_timer());
  auto again = s.take_output().sends.at(0);
  EXPECT_EQ(again.first, (req.first + 1) % 3);
}

// 5 nodes, seed 14701: the first server answers "timeout" only after the
// client gave up on it; the attempt on the second server is not cut short.
TEST(ClientSession, ALateRefusalFromAServerAlreadyLeftChangesNothing) {
  ClientSession s(quick_retries(), 7, 1);
  s.take_id(0);
  auto first = s.take_output().sends.at(0);
  s.on_timer(100);
  s.on_timer(*s.next_timer());
  auto second = s.take_output().sends.at(0);
  ASSERT_NE(first.first, second.first);
  const TimeUs deadline = *s.next_timer();
  s.on_reply(first.first, ClientReply{7, first.second.request, Status::timeout, 0, 0}, 120);
  EXPECT_EQ(*s.next_timer(), deadline) << "still waiting on the second server";
  s.on_timer(*s.next_timer());  // it times out there too: the third server is next
  s.on_reply(second.first, ClientReply{7, second.second.request, Status::timeout, 0, 0}, deadline + 1);
  s.on_timer(*s.next_timer());
  EXPECT_EQ(s.take_output().sends.at(0).first, (second.first + 1) % 3);
}

// Five servers, server i is node i; quick retries.
ClientConfig following_redirects() {
  ClientConfig c = quick_retries();
  c.servers = 5;
  c.follow_redirects = true;
  return c;
}

ClientReply redirect(const ClientRequest& r, uint32_t to) {
  return ClientReply{r.client, r.request, Status::redirect, 0, 0, to};
}

// 7 nodes, seeds 4059, 8507, 18094: a redirect takes the request at once to
// the node that is granting, and that node is asked not to send it on again.
TEST(ClientSession, ARedirectIsFollowedAtOnceAndOnlyOnce) {
  ClientSession s(following_redirects(), 7, 1);
  s.take_id(0);
  auto first = s.take_output().sends.at(0);
  EXPECT_TRUE(first.second.may_redirect);
  s.on_reply(first.first, redirect(first.second, 3), 5);
  auto second = s.take_output().sends.at(0);
  EXPECT_EQ(second.first, 3u) << "sent to the node named, without a backoff";
  EXPECT_EQ(second.second.request, first.second.request);
  EXPECT_FALSE(second.second.may_redirect);
  // A redirect of an attempt that asked for none is a refusal: the client
  // backs off and moves on, it does not resend at once.
  s.on_reply(3, redirect(second.second, 1), 6);
  auto out = s.take_output();
  EXPECT_TRUE(out.sends.empty());
  EXPECT_EQ(out.errors.size(), 1u);
  s.on_timer(*s.next_timer());
  EXPECT_EQ(s.take_output().sends.at(0).first, 4u);
}

// 7 nodes, seed 12162: after the node a redirect named fails the request,
// the next server may redirect it again, though never back to that node.
TEST(ClientSession, AfterTheRedirectTargetFailsTheNextServerMayRedirectElsewhere) {
  ClientSession s(following_redirects(), 7, 1);
  s.take_id(0);
  auto first = s.take_output().sends.at(0);
  s.on_reply(first.first, redirect(first.second, 3), 5);
  s.take_output();
  s.on_timer(*s.next_timer());  // node 3 does not answer: back off, then node 4
  s.on_timer(*s.next_timer());
  auto next = s.take_output().sends.at(0);
  ASSERT_EQ(next.first, 4u);
  EXPECT_TRUE(next.second.may_redirect);
  s.on_reply(4, redirect(next.second, 3), *s.next_timer() - 1);
  auto served_here = s.take_output().sends.at(0);
  EXPECT_EQ(served_here.first, 4u) << "not back to node 3, which failed it";
  EXPECT_FALSE(served_here.second.may_redirect);
  s.on_timer(*s.next_timer());
  s.on_timer(*s.next_timer());
  auto after = s.take_output().sends.at(0);
  ASSERT_EQ(after.first, 0u);
  s.on_reply(0, redirect(after.second, 2), *s.next_timer() - 1);
  EXPECT_EQ(s.take_output().sends.at(0).first, 2u) << "node 2 never failed it";
}

TEST(ClientSession, ARedirectOutsideTheServerListOrToItselfIsServedWhereItWasSent) {
  ClientConfig cfg = config(0, 3);
  cfg.follow_redirects = true;
  for (uint32_t to : {3u, 0u}) {
    ClientSession s(cfg, 7, 1);
    s.take_id(0);
    auto first = s.take_output().sends.at(0);
    ASSERT_EQ(first.first, 0u);
    s.on_reply(0, redirect(first.second, to), 5);
    auto out = s.take_output();
    ASSERT_EQ(out.sends.size(), 1u) << "to " << to;
    EXPECT_EQ(out.sends[0].first, 0u);
    EXPECT_FALSE(out.sends[0].second.may_redirect);
    EXPECT_EQ(out.errors.size(), to == 3u ? 1u : 0u);
  }
}

TEST(ClientSession, AClientThatCannotFollowRedirectsAsksForNone) {
  ClientSession s(config(0, 3), 7, 1);  // follow_redirects off: server i may not be node i
  s.take_id(0);
  EXPECT_FALSE(s.take_output().sends.at(0).second.may_redirect);
}

TEST(ClientSession, ALostConnectionMovesTheRequestOnWithoutWaitingItsTimeout) {
  ClientSession s(config(0), 7, 1);
  s.take_id(0);
  auto req = s.take_output().sends.at(0);
  s.on_connection_lost((req.first + 2) % 3, 1);  // another server's connection: nothing changes
  EXPECT_EQ(*s.next_timer(), 300'000u);
  s.on_connection_lost(req.first, 1);
  ASSERT_LT(*s.next_timer(), 300'000u) << "backs off briefly instead of waiting out attempt_timeout_us";
  s.on_timer(*s.next_timer());
  auto again = s.take_output().sends.at(0);
  EXPECT_EQ(again.first, (req.first + 1) % 3);
  EXPECT_EQ(again.second.request, req.second.request) << "the same request, so a grant of the first try is only a gap";
  s.on_connection_lost(again.first, 2);  // an answer that came back first is kept
  s.on_reply(again.first, ok(again.second, 1), 3);
  EXPECT_EQ(s.take_id(3), 1u);
}

// Under affinity a refusal moves the client on, but only for a while: new
// requests go home again after home_retry_us, so clients share one proposer.
TEST(ClientSession, AffinityReturnsHomeAfterARetryInterval) {
  ClientConfig c = config(0);
  c.affinity = true;
  c.home_retry_us = 1'000;
  ClientSession s(c, 7, 1);
  const uint32_t home = home_server("s", 3);
  auto send = [&](TimeUs now) {
    EXPECT_FALSE(s.take_id(now));
    return s.take_output().sends.at(0);
  };
  auto req = send(0);
  EXPECT_EQ(req.first, home);
  s.on_reply(req.first, ClientReply{7, req.second.request, Status::not_ready, 0, 0}, 10);
  s.on_timer(*s.next_timer());
  auto retry = s.take_output().sends.at(0);
  EXPECT_EQ(retry.first, (home + 1) % 3);
  s.on_reply(retry.first, ok(retry.second, 1), 200);
  EXPECT_EQ(s.take_id(200), 1u);
  s.take_output();
  auto second = send(500);
  EXPECT_EQ(second.first, (home + 1) % 3);  // too soon: stays where it was served
  s.on_reply(second.first, ok(second.second, 2), 600);
  EXPECT_EQ(s.take_id(600), 2u);
  s.take_output();
  EXPECT_EQ(send(1'010).first, home);  // home_retry_us after leaving home
}

TEST(ClientSession, ExhaustedIsFinal) {
  ClientSession s(config(0), 7, 1);
  s.take_id(0);
  auto req = s.take_output().sends.at(0);
  s.on_reply(0, ClientReply{7, req.second.request, Status::exhausted, 0, 0}, 1);
  EXPECT_TRUE(s.failed());
  EXPECT_NE(s.error().find("exhausted"), std::string::npos);
  EXPECT_FALSE(s.take_id(2));
  EXPECT_TRUE(s.take_output().sends.empty());
}

TEST(ClientSession, MalformedRangeIsNotBuffered) {
  ClientSession s(config(2), 7, 1);
  s.take_id(0);
  auto req = s.take_output().sends.at(0);
  s.on_reply(0, ClientReply{7, req.second.request, Status::ok, 5, 100}, 1);  // wrong size
  EXPECT_EQ(s.buffered(), 0u);
  EXPECT_TRUE(s.take_output().grants.empty());
}

TEST(ClientSession, AnswerForAnotherClientIsIgnored) {
  ClientSession s(config(0), 7, 1);
  s.take_id(0);
  auto req = s.take_output().sends.at(0);
  s.on_reply(0, ClientReply{8, req.second.request, Status::ok, 1, 2}, 1);
  EXPECT_EQ(s.buffered(), 0u);
}

}  // namespace
}  // namespace rrseq
