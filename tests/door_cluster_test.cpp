// A 3-node cluster with --grpc and --http: IDs through a C++ gRPC client (both
// APIs), through curl and through the Python client, mixed on one sequence;
// admin calls without the token refused; Current never below a granted ID.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "rr_seq.grpc.pb.h"
#include "rrseq/v1/sequences.grpc.pb.h"
#include "tests/metrics_scrape.h"
#include "tests/test_cluster.h"

namespace rrseq {
namespace {

const std::string token = "door-test-admin-token-0123456789";

// Runs a shell command; returns what it printed, or "" with *ok false.
std::string run(const std::string& cmd, bool* ok) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return *ok = false, out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *ok = ::pclose(p) == 0;
  return out;
}

class DoorCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<TestCluster>(3, "", [](size_t, ServerConfig& c) {
      c.grpc = must_parse("127.0.0.1:0");
      c.http = must_parse("127.0.0.1:0");
      c.admin_token = token;
    });
    ASSERT_EQ(cluster_->error(), "");
    for (size_t i = 0; i < 3; ++i) {
      grpc_.push_back(cluster_->server(i).grpc_address());
      http_.push_back(cluster_->server(i).http_address());
    }
    // Ready once every node serves with a quorum.
    for (const auto& h : http_) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (http_status(http_get(h, "/readyz")) != 200 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ASSERT_EQ(http_status(http_get(h, "/readyz")), 200) << h;
    }
  }

  void add(uint64_t from, uint64_t to, const std::string& who) {
    ASSERT_LT(from, to) << who;
    std::lock_guard lock(mu_);
    ranges_.emplace(from, std::pair(to, who));
  }

  void expect_disjoint() {
    std::lock_guard lock(mu_);
    uint64_t end = 0;
    std::string last;
    for (const auto& [from, rest] : ranges_) {
      EXPECT_GE(from, end) << rest.second << " got [" << from << ", " << rest.first << ") overlapping " << last;
      end = rest.first;
      last = rest.second;
    }
  }

  std::unique_ptr<TestCluster> cluster_;
  std::vector<std::string> grpc_, http_;
  std::mutex mu_;
  std::multimap<uint64_t, std::pair<uint64_t, std::string>> ranges_;
};

TEST_F(DoorCluster, GrpcCurlPythonAndGoShareASequenceWithoutADuplicate) {
  constexpr int rounds = 40;
  std::vector<std::thread> threads;
  // The 2016 API and the v1 API, each on its own node; Current after each grant.
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto ch = grpc::CreateChannel(grpc_[t], grpc::InsecureChannelCredentials());
      auto legacy = pb::RRAPI::NewStub(ch);
      auto v1 = rrseq::v1::Sequences::NewStub(ch);
      for (int i = 0; i < rounds; ++i) {
        uint64_t to = 0;
        grpc::ClientContext c1, c2;
        if (t == 0) {
          pb::NextIDRequest req;
          req.set_name("mixed");
          req.set_range_size(i % 5);  // 0 means 1, as in 2016
          pb::NextIDReply rep;
          const grpc::Status st = legacy->GRPCNextID(&c1, req, &rep);
          ASSERT_TRUE(st.ok()) << st.error_message();
          add(rep.from_id(), rep.to_id(), "GRPCNextID");
          to = rep.to_id();
          pb::CurIDRequest cur;
          cur.set_name("mixed");
          pb::CurIDReply cur_rep;
          ASSERT_TRUE(legacy->GRPCCurID(&c2, cur, &cur_rep).ok());
          EXPECT_GE(cur_rep.cur_id(), to);
        } else {
          rrseq::v1::NextRequest req;
          req.set_name("mixed");
          req.set_count(1 + i % 3);
          rrseq::v1::Range rep;
          const grpc::Status st = v1->Next(&c1, req, &rep);
          ASSERT_TRUE(st.ok()) << st.error_message();
          add(rep.from_id(), rep.to_id(), "v1.Next");
          to = rep.to_id();
          rrseq::v1::CurrentRequest cur;
          cur.set_name("mixed");
          rrseq::v1::Bound bound;
          ASSERT_TRUE(v1->Current(&c2, cur, &bound).ok());
          EXPECT_GE(bound.upper_bound(), to);
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < rounds; ++i) {
      bool ok = false;
      const std::string out =
          run("curl -sf 'http://" + http_[2] + "/v1/sequences/mixed/next?count=" + std::to_string(1 + i % 4) + "'", &ok);
      ASSERT_TRUE(ok) << "curl: " << out;
      const auto from = out.find("\"from\":"), to = out.find("\"to\":");
      ASSERT_NE(from, std::string::npos) << out;
      ASSERT_NE(to, std::string::npos) << out;
      add(std::stoull(out.substr(from + 7)), std::stoull(out.substr(to + 5)), "curl");
    }
  });
  threads.emplace_back([&] {
    const std::string stubs = ::testing::TempDir() + "rrseq-py-stubs";
    bool ok = false;
    const std::string gen = run(std::string(RRSEQ_SOURCE_DIR) + "/clients/python/generate.sh " + stubs + " 2>&1", &ok);
    ASSERT_TRUE(ok) << gen;
    const std::string out = run("PYTHONPATH=" + stubs + " /usr/bin/python3 " + RRSEQ_SOURCE_DIR +
                                    "/examples/python/next_ids.py " + grpc_[0] + "," + grpc_[1] + "," + grpc_[2] +
                                    " mixed 60 2>&1",
                                &ok);
    ASSERT_TRUE(ok) << out;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      const uint64_t id = std::stoull(line);
      add(id, id + 1, "python");
    }
  });
  threads.emplace_back([&] {
    bool ok = false;
    const std::string out = run(std::string(RRSEQ_GO_CLIENT) + " mixed 40 4 " + grpc_[0] + " " + grpc_[1] + " " +
                                    grpc_[2] + " 2>&1",
                                &ok);
    ASSERT_TRUE(ok) << out;
    std::istringstream lines(out);
    uint64_t last = 0;
    int ids = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("cur ", 0) == 0) {
        EXPECT_GT(std::stoull(line.substr(4)), last) << "GRPCCurID from Go below an ID it got";
        continue;
      }
      const uint64_t id = std::stoull(line);
      EXPECT_GT(id, last) << "go";
      last = id;
      ++ids;
      add(id, id + 1, "go");
    }
    EXPECT_EQ(ids, 40) << out;
  });
  for (auto& t : threads) t.join();
  expect_disjoint();
  std::lock_guard lock(mu_);
  EXPECT_GE(ranges_.size(), size_t{3 * rounds + 60 + 40});
}

TEST_F(DoorCluster, AdminCallsNeedTheTokenAndOnlyMoveForward) {
  auto ch = grpc::CreateChannel(grpc_[0], grpc::InsecureChannelCredentials());
  auto legacy = pb::RRAPI::NewStub(ch);
  auto v1 = rrseq::v1::Sequences::NewStub(ch);
  pb::SetIDRequest set;
  set.set_name("adm");
  set.set_new_id(1000);
  pb::SetIDReply set_rep;
  {
    grpc::ClientContext c;
    EXPECT_EQ(legacy->GRPCSetID(&c, set, &set_rep).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_FALSE(set_rep.success());
  }
  rrseq::v1::AdvanceRequest adv;
  adv.set_name("adm");
  adv.set_at_least(1000);
  rrseq::v1::Bound bound;
  {
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer not-the-token-0123456789");
    EXPECT_EQ(v1->Advance(&c, adv, &bound).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(http_status(http_exchange(http_[1], "POST /v1/sequences/adm/advance HTTP/1.1\r\nContent-Length: 17\r\n\r\n"
                                                "{\"at_least\": 100}")),
            403);
  {
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer " + token);
    ASSERT_TRUE(v1->Advance(&c, adv, &bound).ok());
    EXPECT_EQ(bound.upper_bound(), 1000u);
  }
  {
    grpc::ClientContext c;  // backwards: nothing moves, and the call succeeds
    c.AddMetadata("authorization", "Bearer " + token);
    set.set_new_id(10);
    ASSERT_TRUE(legacy->GRPCSetID(&c, set, &set_rep).ok());
    EXPECT_TRUE(set_rep.success());
  }
  const std::string next = http_get(http_[2], "/v1/sequences/adm/next?count=2");
  EXPECT_EQ(http_status(next), 200) << next;
  EXPECT_NE(http_body(next).find("\"from\":1000"), std::string::npos) << next;
}

TEST_F(DoorCluster, BadInputIsRefusedAndTheNodeKeepsServing) {
  auto ch = grpc::CreateChannel(grpc_[0], grpc::InsecureChannelCredentials());
  auto v1 = rrseq::v1::Sequences::NewStub(ch);
  auto next = [&](const std::string& name, uint64_t count) {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rrseq::v1::NextRequest req;
    req.set_name(name);
    req.set_count(count);
    rrseq::v1::Range rep;
    return v1->Next(&c, req, &rep).error_code();
  };
  EXPECT_EQ(next("bad name", 1), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(next(std::string(65, 'a'), 1), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(next("ok", 0), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(next("ok", (1u << 20) + 1), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(next(std::string(64 << 10, 'a'), 1), grpc::StatusCode::RESOURCE_EXHAUSTED);  // over the message bound
  // A thousand calls at once on one connection: each is served or refused, none lost.
  grpc::CompletionQueue cq;
  constexpr int calls = 1000;
  struct Call {
    grpc::ClientContext ctx;
    rrseq::v1::Range rep;
    grpc::Status st;
    std::unique_ptr<grpc::ClientAsyncResponseReader<rrseq::v1::Range>> rpc;
  };
  std::vector<std::unique_ptr<Call>> all;
  rrseq::v1::NextRequest req;
  req.set_name("many");
  req.set_count(1);
  for (int i = 0; i < calls; ++i) {
    all.push_back(std::make_unique<Call>());
    all.back()->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    all.back()->rpc = v1->AsyncNext(&all.back()->ctx, req, &cq);
    all.back()->rpc->Finish(&all.back()->rep, &all.back()->st, all.back().get());
  }
  int done = 0, ok = 0;
  void* tag = nullptr;
  bool fine = false;
  while (done < calls && cq.Next(&tag, &fine)) {
    ++done;
    ok += static_cast<Call*>(tag)->st.ok();
  }
  EXPECT_EQ(done, calls);
  EXPECT_GT(ok, 0);
  std::set<uint64_t> ids;
  for (const auto& c : all) {
    if (!c->st.ok()) continue;
    EXPECT_TRUE(ids.insert(c->rep.from_id()).second) << c->rep.from_id();
  }
  EXPECT_EQ(next("after", 1), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace rrseq
