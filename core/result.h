#pragma once
// Result of an operation that can fail for expected reasons (I/O, bad input).
// Not the wire's Status (messages.h), which a node answers a client with.
#include <string>
#include <utility>

namespace rrseq {

class [[nodiscard]] Result {
 public:
  static Result ok() { return Result(); }
  static Result error(std::string message) { return Result(std::move(message)); }
  bool is_ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  Result() = default;
  explicit Result(std::string m) : failed_(true), message_(std::move(m)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace rrseq
