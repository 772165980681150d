// The C API's status helpers (bnn/bnn.h, bnn/runtime/Status.h).
#include "bnn/runtime/Status.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

TEST(RuntimeStatus, NamesAndVersion) {
  EXPECT_EQ(bnn_abi_version(), BNN_ABI_VERSION);
  EXPECT_STREQ(bnn_status_name(BNN_STATUS_OK), "ok");
  EXPECT_STREQ(bnn_status_name(BNN_STATUS_BAD_FORMAT), "bad format");
  EXPECT_STREQ(bnn_status_name(static_cast<bnn_status>(1234)), "unknown status");
}

TEST(RuntimeStatus, LastErrorIsPerThread) {
  EXPECT_EQ(bnn::fail(BNN_STATUS_IO_ERROR, "cannot open 'x'"), BNN_STATUS_IO_ERROR);
  EXPECT_STREQ(bnn_last_error(), "cannot open 'x'");
  std::string other;
  std::thread([&] {
    other = bnn_last_error();
    bnn::fail(BNN_STATUS_INTERNAL, "elsewhere");
  }).join();
  EXPECT_EQ(other, "");
  EXPECT_STREQ(bnn_last_error(), "cannot open 'x'");
}

TEST(RuntimeStatus, GuardedCallReportsOutOfMemory) {
  bnn_status s = bnn::guardedCall("bnn_test", []() -> bnn_status { throw std::bad_alloc(); });
  EXPECT_EQ(s, BNN_STATUS_OUT_OF_MEMORY);
  EXPECT_NE(std::strstr(bnn_last_error(), "bnn_test"), nullptr);
}
