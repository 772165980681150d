//===- ParallelFor.h - the runtime kernels' fork/join ------------*- C++ -*-===//
//
// Private to runtime/lib: the micro-kernels (Hamming top-k, AMX low-bit GEMM) split their work
// over std::threads with this one helper.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_LIB_PARALLELFOR_H
#define BNN_RUNTIME_LIB_PARALLELFOR_H

#include <cstdint>
#include <thread>
#include <vector>

namespace bnn::detail {

/// Runs body(t) for t in [0, n) on n threads (the caller's is thread 0); where a thread
/// cannot be started, its share runs on the caller's thread.
template <typename Body> void parallelFor(int64_t n, Body body) {
  std::vector<std::thread> threads;
  std::vector<int64_t> inline_;
  for (int64_t t = 1; t < n; ++t) {
    try {
      threads.emplace_back(body, t);
    } catch (...) {
      inline_.push_back(t);
    }
  }
  body(0);
  for (int64_t t : inline_)
    body(t);
  for (std::thread &th : threads)
    th.join();
}

} // namespace bnn::detail

#endif // BNN_RUNTIME_LIB_PARALLELFOR_H
