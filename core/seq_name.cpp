#include "core/seq_name.h"

#include <algorithm>

#include "core/limits.h"

namespace rrseq {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

bool valid_seq_name(std::string_view name) {
  return !name.empty() && name.size() <= seq_name_bytes_max &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

std::string seq_name_problem(std::string_view name) {
  if (name.empty()) return "empty sequence name";
  if (name.size() > seq_name_bytes_max) {
    return "sequence name too long (" + std::to_string(name.size()) + " > " +
           std::to_string(seq_name_bytes_max) + ")";
  }
  const auto bad = std::find_if_not(name.begin(), name.end(), is_name_char);
  if (bad == name.end()) return "valid sequence name";
  return "sequence name has invalid byte " + std::to_string(static_cast<uint8_t>(*bad)) + " at " +
         std::to_string(bad - name.begin());
}

}  // namespace rrseq
