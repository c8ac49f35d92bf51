// Every committed fuzz input (tests/fuzz/corpus/: seeds and past findings)
// through the very checks the libFuzzer targets run, here in the normal build,
// so a regression shows without clang. The long fuzz run: scripts/fuzz.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "core/codec.h"
#include "tests/fuzz/fuzz_entries.h"

#ifndef RRSEQ_FUZZ_CORPUS_DIR
#error "RRSEQ_FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

namespace rrseq {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(RRSEQ_FUZZ_CORPUS_DIR) / target)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string contents_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(FuzzRegression, EveryFrameInputPassesTheFrameChecks) {
  const auto files = inputs_of("frame_fuzz");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) EXPECT_EQ(fuzz::check_frame(bytes_of(contents_of(f))), "") << f;
}

TEST(FuzzRegression, EveryLogInputPassesTheRecoveryChecks) {
  const auto files = inputs_of("log_recovery_fuzz");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) EXPECT_EQ(fuzz::check_log_recovery(bytes_of(contents_of(f))), "") << f;
}

// A message type added without a seed would start the fuzzer far from it.
TEST(FuzzRegression, FrameSeedsCoverEveryMessageType) {
  std::set<size_t> types;
  for (const auto& f : inputs_of("frame_fuzz")) {
    const std::string bytes = contents_of(f);
    const DecodeResult r = decode_frame(bytes_of(bytes));
    if (const auto* m = std::get_if<Message>(&r)) types.insert(m->index());
  }
  for (size_t t = 0; t < std::variant_size_v<Message>; ++t) {
    EXPECT_TRUE(types.contains(t)) << "no frame seed decodes to message type " << t
                                   << " (add it to tests/fuzz/write_seeds.cpp)";
  }
}

}  // namespace
}  // namespace rrseq
