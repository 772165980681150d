//===- Status.cpp - Statuses and error messages of the C API --------------===//
#include "bnn/runtime/Status.h"

namespace {
thread_local std::string lastError;
} // namespace

bnn_status bnn::fail(bnn_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

extern "C" int bnn_abi_version(void) { return BNN_ABI_VERSION; }

extern "C" const char *bnn_last_error(void) { return lastError.c_str(); }

extern "C" const char *bnn_status_name(bnn_status status) {
  switch (status) {
  case BNN_STATUS_OK:
    return "ok";
  case BNN_STATUS_INVALID_ARGUMENT:
    return "invalid argument";
  case BNN_STATUS_OUT_OF_MEMORY:
    return "out of memory";
  case BNN_STATUS_IO_ERROR:
    return "I/O error";
  case BNN_STATUS_BAD_FORMAT:
    return "bad format";
  case BNN_STATUS_OUT_OF_RANGE:
    return "out of range";
  case BNN_STATUS_CAPACITY:
    return "capacity exhausted";
  case BNN_STATUS_UNSUPPORTED:
    return "unsupported";
  case BNN_STATUS_NOT_FOUND:
    return "not found";
  case BNN_STATUS_INTERNAL:
    return "internal error";
  case BNN_STATUS_FORCE_INT32_:
    break;
  }
  return "unknown status";
}
