#pragma once
// A client workload runs as a fiber (Boost.Context) so it can be written as a
// plain loop ("take an ID, think, repeat") while the world stays single-threaded
// and deterministic: a fiber runs only when the world resumes it.
#include <boost/context/fiber.hpp>
#include <functional>

namespace rrseq {

class Fiber {
 public:
  static constexpr size_t stack_bytes = 64 * 1024;

  explicit Fiber(std::function<void(Fiber&)> body);
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  void resume();   // from the world: run until the body suspends or returns
  void suspend();  // from the body: hand control back to the world
  bool done() const { return done_; }

 private:
  std::function<void(Fiber&)> body_;
  boost::context::fiber self_;
  boost::context::fiber caller_;
  bool done_ = false;
};

}  // namespace rrseq
