#pragma once
// Invariants of the core's own state, checked in every build type (release
// included): a broken one means a bug here, never bad input (untrusted bytes
// are refused at the boundary with an error instead). By default a failure
// prints the file, line and condition and aborts the process; the simulator
// installs a handler that throws, so a failed invariant is a failed seed with
// its replay command.
#include <string>

namespace rrseq {

// Must not return. Called with "file:line: condition (what)".
using InvariantHandler = void (*)(const std::string& message);
void set_invariant_handler(InvariantHandler handler);  // nullptr: the default (abort)
[[noreturn]] void invariant_failed(const char* file, int line, const char* condition, const char* what);

}  // namespace rrseq

#define RRSEQ_INVARIANT(cond, what) \
  ((cond) ? void(0) : ::rrseq::invariant_failed(__FILE__, __LINE__, #cond, what))
