#include "transport_sim/fiber.h"

#include <boost/context/fixedsize_stack.hpp>

namespace rrseq {

namespace ctx = boost::context;

Fiber::Fiber(std::function<void(Fiber&)> body) : body_(std::move(body)) {
  self_ = ctx::fiber(std::allocator_arg, ctx::fixedsize_stack(stack_bytes), [this](ctx::fiber&& caller) {
    caller_ = std::move(caller);
    body_(*this);
    done_ = true;
    return std::move(caller_);
  });
}

void Fiber::resume() {
  if (!done_ && self_) self_ = std::move(self_).resume();
}

void Fiber::suspend() { caller_ = std::move(caller_).resume(); }

}  // namespace rrseq
