#pragma once
// What a sequence name may be: 1..seq_name_bytes_max of [A-Za-z0-9_.-].
// Checked wherever a name enters: the codec, the log, the doors, the client.
#include <string>
#include <string_view>

namespace rrseq {

bool valid_seq_name(std::string_view name);
// Why `name` is not valid, naming the limit or the byte: "sequence name too long (70 > 64)".
std::string seq_name_problem(std::string_view name);

}  // namespace rrseq
