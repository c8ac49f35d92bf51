// A durable node whose log is corrupt in the middle, in a 3-node cluster of
// in-process servers on loopback TCP with real files. Without the option it
// refuses to start, naming the file and offset; with --rejoin-if-corrupt
// (ServerConfig::rejoin_if_corrupt) it sets the log aside, rejoins through a
// majority of its peers like a wiped node, and IDs go on above every earlier one.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log_format.h"
#include "core/storage.h"
#include "rrseq/client.h"
#include "transport_net/address.h"
#include "transport_net/log.h"
#include "transport_net/server.h"

namespace rrseq {
namespace {

namespace fs = std::filesystem;

constexpr size_t nodes = 3;
// Long enough for a loaded CI machine; a healthy cluster answers in microseconds.
constexpr std::chrono::milliseconds test_deadline{15'000};

Address must_parse(const std::string& text) {
  std::string err;
  auto a = parse_address(text, &err);
  if (!a) throw std::runtime_error(err);
  return *a;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class CorruptLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rrseq-corrupt-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    set_log_level(LogLevel::warn);
    servers_.resize(nodes);
    threads_.resize(nodes);
    stop_reasons_.resize(nodes);
    for (size_t i = 0; i < nodes; ++i) {
      servers_[i] = std::make_unique<Server>(config(i, "127.0.0.1:0"));
      Result r = servers_[i]->open();
      ASSERT_TRUE(r.is_ok()) << r.message();
      addresses_.push_back(servers_[i]->bound_address());
    }
    for (size_t i = 0; i < nodes; ++i) {
      Result r = servers_[i]->start(peers_of(i));
      ASSERT_TRUE(r.is_ok()) << r.message();
      run(i);
    }
  }

  void TearDown() override {
    for (size_t i = 0; i < servers_.size(); ++i) stop(i);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ServerConfig config(size_t i, const std::string& listen) const {
    ServerConfig cfg;
    cfg.listen = must_parse(listen);
    cfg.log_level = LogLevel::warn;
    cfg.data_dir = data_dir(i).string();
    return cfg;
  }

  fs::path data_dir(size_t i) const { return dir_ / ("node" + std::to_string(i)); }

  std::vector<Address> peers_of(size_t i) const {
    std::vector<Address> peers;
    for (size_t j = 0; j < addresses_.size(); ++j)
      if (j != i) peers.push_back(must_parse(addresses_[j]));
    return peers;
  }

  void run(size_t i) {
    threads_[i] = std::thread([this, i] { stop_reasons_[i] = servers_[i]->run(); });
  }

  void stop(size_t i) {
    if (!servers_[i]) return;
    servers_[i]->stop();
    if (threads_[i].joinable()) threads_[i].join();
    EXPECT_EQ(stop_reasons_[i], "") << "node " << i << " stopped by itself";
    servers_[i].reset();
  }

  // Starts node i again on its address and data directory.
  Result restart(size_t i, bool rejoin_if_corrupt) {
    ServerConfig cfg = config(i, addresses_[i]);
    cfg.rejoin_if_corrupt = rejoin_if_corrupt;
    auto s = std::make_unique<Server>(cfg);
    if (Result r = s->open(); !r.is_ok()) return r;
    if (Result r = s->start(peers_of(i)); !r.is_ok()) return r;
    servers_[i] = std::move(s);
    run(i);
    return Result::ok();
  }

  // `n` IDs of sequence "s" from a client of `servers`; each stream must increase.
  std::vector<uint64_t> take(std::vector<std::string> servers, uint64_t buffer, size_t n) {
    ClientOptions o;
    o.servers = std::move(servers);
    o.sequence = "s";
    o.buffer_size = buffer;
    o.deadline = test_deadline;
    std::string error;
    auto c = Client::connect(o, &error);
    EXPECT_TRUE(c) << error;
    std::vector<uint64_t> ids;
    for (size_t k = 0; c && k < n; ++k) {
      NextResult r = c->next();
      if (!r.ok()) {
        ADD_FAILURE() << "next() failed after " << k << " IDs: " << r.error;
        break;
      }
      EXPECT_TRUE(ids.empty() || r.id > ids.back()) << r.id << " after " << ids.back();
      ids.push_back(r.id);
    }
    return ids;
  }

  fs::path dir_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::thread> threads_;
  std::vector<std::string> stop_reasons_;
};

// Flips one payload byte of the record in the middle of the log at `path`;
// returns that record's offset.
uint64_t corrupt_middle_record(const fs::path& path) {
  std::string bytes = read_file(path);
  const LogReadResult log = read_log({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  EXPECT_FALSE(log.torn_tail || log.corrupt) << log.error;
  EXPECT_GE(log.payloads.size(), 3u) << "too few records to corrupt one in the middle";
  const uint64_t offset = log.offsets[log.payloads.size() / 2];
  bytes[offset + log_record_header_bytes] ^= 0x5a;
  write_file(path, bytes);
  return offset;
}

TEST_F(CorruptLogTest, RefusedWithFileAndOffsetThenRejoinsWithTheOption) {
  const std::vector<uint64_t> before = take(addresses_, 4, 200);
  ASSERT_EQ(before.size(), 200u);

  stop(2);
  const fs::path log = data_dir(2) / log_file_name;
  const uint64_t offset = corrupt_middle_record(log);
  const std::string corrupt = read_file(log);

  Result refused = restart(2, /*rejoin_if_corrupt=*/false);
  ASSERT_FALSE(refused.is_ok());
  // Synced long before the stop: below the watermark, so corruption, not an unsynced tail.
  EXPECT_EQ(refused.message().rfind(log.string() + " offset " + std::to_string(offset) +
                                        ": checksum mismatch, below the synced watermark ", 0),
            0u) << refused.message();
  EXPECT_NE(refused.message().find("; refusing to serve from a corrupted log"), std::string::npos);
  EXPECT_EQ(read_file(log), corrupt);  // untouched

  Result rejoined = restart(2, /*rejoin_if_corrupt=*/true);
  ASSERT_TRUE(rejoined.is_ok()) << rejoined.message();
  EXPECT_EQ(read_file(data_dir(2) / (std::string(corrupt_log_prefix) + "1")), corrupt);  // kept aside

  // Node 2 alone answers only once it has rejoined, and above every earlier ID.
  const std::vector<uint64_t> via_rejoined = take({addresses_[2]}, 0, 50);
  ASSERT_EQ(via_rejoined.size(), 50u);
  EXPECT_GT(via_rejoined.front(), *std::max_element(before.begin(), before.end()));

  // With node 0 gone every quorum includes node 2 and what it adopted.
  stop(0);
  const std::vector<uint64_t> after = take({addresses_[1], addresses_[2]}, 4, 200);
  ASSERT_EQ(after.size(), 200u);
  EXPECT_GT(after.front(), via_rejoined.back());

  std::set<uint64_t> all;
  size_t count = 0;
  for (const auto* ids : {&before, &via_rejoined, &after}) {
    all.insert(ids->begin(), ids->end());
    count += ids->size();
  }
  EXPECT_EQ(all.size(), count) << "duplicate IDs";

  // The rejoined node's new log is sound: it restarts like any node.
  stop(2);
  Result again = restart(2, /*rejoin_if_corrupt=*/false);
  ASSERT_TRUE(again.is_ok()) << again.message();
  const std::vector<uint64_t> last = take({addresses_[1], addresses_[2]}, 0, 10);
  ASSERT_EQ(last.size(), 10u);
  EXPECT_GT(last.front(), after.back());
}

}  // namespace
}  // namespace rrseq
