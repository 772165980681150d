//===- Status.h - Implementing the C API's statuses in C++ -----*- C++ -*-===//
//
// Helpers for the runtime's C API functions (bnn/bnn.h): record the calling thread's last error
// message and return its status, and run a body that may throw std::bad_alloc.
//
//===----------------------------------------------------------------------===//
#ifndef BNN_RUNTIME_STATUS_H
#define BNN_RUNTIME_STATUS_H

#include "bnn/bnn.h"

#include <new>
#include <string>

namespace bnn {

/// Records `message` as this thread's last error (bnn_last_error) and returns `status`.
bnn_status fail(bnn_status status, std::string message);

/// Runs `body` (returning bnn_status), turning std::bad_alloc into BNN_STATUS_OUT_OF_MEMORY.
template <typename Body> bnn_status guardedCall(const char *function, Body &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(BNN_STATUS_OUT_OF_MEMORY, std::string(function) + ": out of memory");
  }
}

} // namespace bnn

#endif // BNN_RUNTIME_STATUS_H
