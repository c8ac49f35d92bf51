// A real fdatasync that fails (EIO) under a real rrseq-server process: libfiu's
// POSIX preload (Debian's fiu-utils) makes the server's next fdatasync fail on
// command. The server must stop at once with the file named and a non-zero
// exit, hand out nothing that rested on the failed sync, and, restarted on the
// same directory, grant only IDs above every ID it granted before.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "rrseq/client.h"
#include "tests/server_process.h"

namespace rrseq::test {
namespace {

constexpr const char* fiu_run = "/usr/bin/fiu-run";
constexpr const char* fiu_ctrl = "/usr/bin/fiu-ctrl";
constexpr int eio = 5;
constexpr std::chrono::milliseconds stop_within{10'000};

std::unique_ptr<Client> client_of(const std::string& addr) {
  ClientOptions o;
  o.servers = {addr};
  o.sequence = "orders";
  o.deadline = std::chrono::milliseconds(3'000);
  o.request_timeout = std::chrono::milliseconds(500);
  std::string error;
  auto c = Client::connect(o, &error);
  EXPECT_TRUE(c) << error;
  return c;
}

TEST(SyncFailureProcess, AFailedFdatasyncStopsTheServerAndARestartGrantsAboveEverything) {
  ASSERT_TRUE(std::filesystem::exists(fiu_run)) << "fiu-utils is installed by scripts/install-deps.sh";
  const auto root = std::filesystem::temp_directory_path() / ("rrseq-sync-eio-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  const std::string data = (root / "n0").string();
  const std::string ctrl = (root / "fiu-ctrl").string();
  std::filesystem::create_directories(root);

  uint64_t highest = 0;
  {
    ServerProcess server({"--log-level", "info"}, "127.0.0.1:0", data, {}, {fiu_run, "-x", "-f", ctrl});
    ASSERT_TRUE(server.error().empty()) << server.error();
    auto client = client_of(server.address());
    for (int i = 0; i < 20; ++i) {
      NextResult r = client->next();
      ASSERT_TRUE(r.ok()) << r.error << "\n" << server.log();
      highest = std::max(highest, r.id);
    }
    // From now on every fdatasync of the process fails with EIO.
    const std::string cmd = std::string(fiu_ctrl) + " -f " + ctrl + " -c 'enable name=posix/io/sync/fdatasync,failinfo=" +
                            std::to_string(eio) + "' " + std::to_string(server.pid());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    NextResult after = client->next();
    EXPECT_FALSE(after.ok()) << "granted " << after.id << " on a log whose sync failed";
    ASSERT_TRUE(eventually([&] { return !server.alive(); }, stop_within)) << server.log();
    EXPECT_NE(server.exit_code(), 0);
    EXPECT_TRUE(server.log_has("cannot sync the log")) << server.log();
    EXPECT_TRUE(server.log_has(data + "/rrseq.log")) << "the error names the file:\n" << server.log();
    EXPECT_FALSE(server.log_has("got SIGTERM")) << "it stopped on its own:\n" << server.log();
  }
  {
    ServerProcess server({"--log-level", "info"}, "127.0.0.1:0", data);
    ASSERT_TRUE(server.error().empty()) << server.error();
    auto client = client_of(server.address());
    NextResult r = client->next();
    ASSERT_TRUE(r.ok()) << r.error << "\n" << server.log();
    EXPECT_GT(r.id, highest) << "an ID granted before the failed sync came again";
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace rrseq::test
