#pragma once
// The protocol's speed-ups, each of which can be switched off to prove it in
// the simulator and to measure it: one struct, carried whole from the command
// lines (rrseq-server, rrseq-sim) through Scenario and ServerConfig to the
// node, so no copy can forget one.
#include <string>
#include <string_view>

namespace rrseq {

struct SpeedUps {
  bool combine = true;       // serve all queued requests of one sequence with one round
  bool fast_path = true;     // piggyback the next prepare on each accept (ballot protocol)
  bool group_commit = true;  // durable: one sync covers every record written so far, not just the next

  bool operator==(const SpeedUps&) const = default;
};

// Switches one speed-up off if `arg` is its flag (--no-combine, ...); false: not one of them.
inline bool parse_speedup_flag(std::string_view arg, SpeedUps& s) {
  bool* off = arg == "--no-combine"        ? &s.combine
              : arg == "--no-fast-path"    ? &s.fast_path
              : arg == "--no-group-commit" ? &s.group_commit
                                           : nullptr;
  if (off) *off = false;
  return off != nullptr;
}

// The flags that switch off what `s` has off, each with a leading space (" --no-combine").
inline std::string speedup_flags(const SpeedUps& s) {
  std::string out;
  if (!s.combine) out += " --no-combine";
  if (!s.fast_path) out += " --no-fast-path";
  if (!s.group_commit) out += " --no-group-commit";
  return out;
}

}  // namespace rrseq
