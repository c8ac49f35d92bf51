#pragma once
// The process's limit on open files (RLIMIT_NOFILE): every connection is one,
// so it bounds how many clients a server can hold.
#include <cstdint>
#include <string>

namespace rrseq {

// The soft limit now (UINT64_MAX when unlimited).
uint64_t open_files_limit();
// Raises the soft limit to the hard one, as far as the system allows, and
// says what it did in a line for the log.
std::string raise_open_files_limit();

}  // namespace rrseq
