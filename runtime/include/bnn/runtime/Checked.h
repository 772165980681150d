//===- Checked.h - Overflow-checked size arithmetic for the runtime -*- C++ -*-===//
//
// The runtime has no LLVM (so no llvm::checkedMul): every size or count it derives from
// outside input (a bundle, a shape, a row length) goes through these helpers instead, which
// return std::nullopt where the exact result does not fit in T.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_CHECKED_H
#define BNN_RUNTIME_CHECKED_H

#include <optional>
#include <type_traits>

namespace bnn::checked {

/// a * b, or std::nullopt if the product does not fit in T.
template <typename T> std::optional<T> mul(T a, T b) {
  static_assert(std::is_integral_v<T>, "checked::mul needs an integer type");
  T result;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// a + b, or std::nullopt if the sum does not fit in T.
template <typename T> std::optional<T> add(T a, T b) {
  static_assert(std::is_integral_v<T>, "checked::add needs an integer type");
  T result;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// The product of all of `values` (1 for none), or std::nullopt if a partial product does not
/// fit in T.
template <typename T, typename Range> std::optional<T> product(const Range &values) {
  T result = 1;
  for (const auto &v : values) {
    std::optional<T> next = mul<T>(result, static_cast<T>(v));
    if (!next)
      return std::nullopt;
    result = *next;
  }
  return result;
}

} // namespace bnn::checked

#endif // BNN_RUNTIME_CHECKED_H
