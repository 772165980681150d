//===- NpyTest.cpp - the strict .npy reader and writer (bnn/runtime/Npy.h) -===//
//
// The bytes NumPy 1.24's np.save writes (spelled out below) parse to their values and are what
// serialize() writes; every malformed variant is rejected with its message, and no prefix of a
// valid file parses (nor reads past its end: the sanitized build checks).
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace bnn::npy;

namespace {

/// A version 1.0 file whose header dictionary `dict` is padded with spaces and '\n' to
/// `headerLen` bytes (NumPy pads so that 10 + headerLen is a multiple of 64).
std::vector<uint8_t> v1File(const std::string &dict, size_t headerLen,
                            const std::vector<uint8_t> &data) {
  std::string header = dict + std::string(headerLen - dict.size() - 1, ' ') + "\n";
  std::vector<uint8_t> bytes = {0x93,
                                'N',
                                'U',
                                'M',
                                'P',
                                'Y',
                                1,
                                0,
                                static_cast<uint8_t>(headerLen & 0xff),
                                static_cast<uint8_t>(headerLen >> 8)};
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

// np.save(f, np.array([[1.5, -2], [3, 4.25], [0, 7]], dtype='<f4')) with NumPy 1.24.
const std::vector<uint8_t> kNumpyF4Data = {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0,
                                           0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x88, 0x40,
                                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x40};
std::vector<uint8_t> numpyF4() {
  return v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 118, kNumpyF4Data);
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  Array array;
  std::string error;
  EXPECT_FALSE(parse(bytes.data(), bytes.size(), array, error));
  return error;
}

std::vector<uint8_t> withDict(const std::string &dict, const std::vector<uint8_t> &data) {
  return v1File(dict, 118, data);
}

TEST(Npy, ReadsWhatNumpyWrites) {
  std::vector<uint8_t> bytes = numpyF4();
  ASSERT_EQ(bytes.size(), 152u);
  Array array;
  std::string error;
  ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.majorVersion, 1);
  EXPECT_EQ(array.dtype, DType::Float32);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{3, 2}));
  ASSERT_EQ(array.numElements(), 6);
  const double expected[] = {1.5, -2, 3, 4.25, 0, 7};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(array.elementAsDouble(i), expected[i]) << i;
}

TEST(Npy, WritesWhatNumpyWrites) {
  float values[] = {1.5f, -2, 3, 4.25f, 0, 7};
  EXPECT_EQ(serialize(DType::Float32, {3, 2}, values, sizeof values), numpyF4());
  // np.save(f, np.array([5, -7, 2**40], dtype='<i8')): the 1-D shape is spelled (3,).
  int64_t ints[] = {5, -7, int64_t(1) << 40};
  std::vector<uint8_t> data(sizeof ints);
  std::memcpy(data.data(), ints, sizeof ints);
  EXPECT_EQ(serialize(DType::Int64, {3}, ints, sizeof ints),
            v1File("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 118, data));
}

TEST(Npy, RoundTripsEveryDTypeAndShape) {
  const DType dtypes[] = {DType::Float32, DType::Float64, DType::Int32, DType::Int64,
                          DType::UInt64};
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {5}, {2, 3}, {0, 4}, {2, 1, 3}};
  for (DType dtype : dtypes)
    for (const std::vector<int64_t> &shape : shapes) {
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      std::vector<uint8_t> data(static_cast<size_t>(n * dtypeSize(dtype)));
      for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<uint8_t>(i * 37 + 11);
      std::vector<uint8_t> bytes = serialize(dtype, shape, data.data(), data.size());
      EXPECT_EQ((bytes.size() - data.size()) % 64, 0u) << "header padded to 64 bytes";
      Array array;
      std::string error;
      ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
      EXPECT_EQ(array.dtype, dtype);
      EXPECT_EQ(array.shape, shape);
      EXPECT_EQ(array.data, data);
    }
}

TEST(Npy, ElementAccess) {
  int32_t i32[] = {-3, 2147483647};
  std::vector<uint8_t> bytes = serialize(DType::Int32, {2}, i32, sizeof i32);
  Array array;
  std::string error;
  ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.elementAsInt64(0), -3);
  EXPECT_EQ(array.elementAsInt64(1), 2147483647);
  EXPECT_EQ(array.elementAsDouble(0), -3.0);
  double f8[] = {0.1, -1e300};
  bytes = serialize(DType::Float64, {1, 2}, f8, sizeof f8);
  ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.elementAsDouble(0), 0.1);
  EXPECT_EQ(array.elementAsDouble(1), -1e300);
}

TEST(Npy, AcceptsOtherVersionsKeyOrdersAndSpacing) {
  // Version 2.0 and 3.0: a 4-byte header length.
  for (uint8_t major : {2, 3}) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    std::string header = dict + std::string(116 - dict.size() - 1, ' ') + "\n";
    std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0, 116, 0, 0, 0};
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), kNumpyF4Data.begin(), kNumpyF4Data.end());
    Array array;
    std::string error;
    ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
    EXPECT_EQ(array.majorVersion, major);
    EXPECT_EQ(array.shape, (std::vector<int64_t>{3, 2}));
  }
  // Any key order, double quotes, no trailing comma, spaces inside the tuple.
  std::vector<uint8_t> bytes =
      withDict("{\"shape\": ( 3 , 2 ), 'fortran_order': False, 'descr': '<f4'}", kNumpyF4Data);
  Array array;
  std::string error;
  ASSERT_TRUE(parse(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.shape, (std::vector<int64_t>{3, 2}));
}

TEST(Npy, RejectsMalformedFiles) {
  std::vector<uint8_t> good = numpyF4();
  std::vector<uint8_t> bytes = good;
  bytes[5] = 'X';
  EXPECT_EQ(parseError(bytes), "not a .npy file: expected the magic \"\\x93NUMPY\" at the start");
  bytes = good;
  bytes[6] = 4;
  EXPECT_EQ(parseError(bytes), "unsupported .npy version 4.0: expected 1.0, 2.0 or 3.0");
  bytes = good;
  bytes[7] = 1;
  EXPECT_EQ(parseError(bytes), "unsupported .npy version 1.1: expected 1.0, 2.0 or 3.0");
  bytes = good;
  bytes.pop_back();
  EXPECT_EQ(parseError(bytes), "truncated .npy data: shape (3, 2) of '<f4' needs 24 data bytes, "
                               "the file has 23");
  bytes = good;
  bytes.push_back(0);
  EXPECT_EQ(parseError(bytes), "trailing bytes in .npy: shape (3, 2) of '<f4' needs 24 data "
                               "bytes, the file has 25");
  bytes = good;
  bytes[127] = ' '; // the header's final '\n'
  EXPECT_EQ(parseError(bytes),
            "bad .npy header: the header must end with spaces and one '\\n' after the dictionary");
  bytes = good;
  bytes[20] = 0xc3; // inside 'fortran_order'
  EXPECT_EQ(parseError(bytes), "bad .npy header: it holds a byte that is not printable ASCII");
  // A header length beyond the limit is refused before anything is read.
  bytes = good;
  bytes[8] = 0xff;
  bytes[9] = 0xff;
  Array array;
  std::string error;
  Limits limits;
  limits.maxHeaderBytes = 1000;
  EXPECT_FALSE(parse(bytes.data(), bytes.size(), array, error, limits));
  EXPECT_EQ(error, "bad .npy header: its length 65535 exceeds the limit of 1000 bytes");
  EXPECT_EQ(parseError(bytes),
            "truncated .npy header: it declares 65535 bytes, the file has 142 after the length");
}

TEST(Npy, RejectsUnsupportedHeaders) {
  const std::vector<uint8_t> &d = kNumpyF4Data;
  struct Case {
    const char *dict;
    const char *message;
  } cases[] = {
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }",
       "fortran_order is True: only C-order arrays are supported (save with "
       "np.ascontiguousarray)"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }",
       "unsupported dtype '>f4' (big-endian data is not supported): expected one of '<f4', "
       "'<f8', '<i4', '<i8', '<u8'"},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }",
       "unsupported dtype '<f2': expected one of '<f4', '<f8', '<i4', '<i8', '<u8'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3, 2), }",
       "'descr' must be a quoted type string such as '<f4' (structured dtypes are not "
       "supported)"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (3, 2), }",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [3, 2], }",
       "'shape' must be a tuple of integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2), }",
       "'shape' must hold non-negative decimal integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }",
       "expected ',' or ')' in 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6), }",
       "a one-dimensional 'shape' must be written (n,)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1), }",
       "a 'shape' dimension does not fit in 64 bits"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
       "shape (4294967296, 4294967296) overflows 64 bits"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
       "'shape' has more than 8 dimensions"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
       "the key 'descr' appears twice"},
      {"{'descr': '<f4', 'shape': (3, 2), }", "the header lacks the key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), 'x': 1}",
       "unexpected key 'x' in the header (expected only 'descr', 'fortran_order', 'shape')"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (3, 2), }",
       "expected ',' or '}' after the value of 'descr'"},
      {"{'descr: '<f4', 'fortran_order': False, 'shape': (3, 2), }",
       "expected ':' after the key 'descr: '"},
      {"{'des\\cr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
       "expected a quoted key or '}' in the header dictionary"},
      {"('descr', '<f4')", "expected '{' at the start of the header dictionary"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(parseError(withDict(c.dict, d)), std::string("bad .npy header: ") + c.message)
        << c.dict;
}

TEST(Npy, NoPrefixOfAFileParses) {
  std::vector<uint8_t> good = numpyF4();
  for (size_t n = 0; n < good.size(); ++n) {
    // An exact-size copy, so that a read past the prefix is a heap overflow under ASan.
    std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<long>(n));
    Array array;
    std::string error;
    EXPECT_FALSE(parse(prefix.data(), prefix.size(), array, error)) << n;
    EXPECT_FALSE(error.empty()) << n;
  }
}

TEST(Npy, LoadAndSaveFiles) {
  std::string path = ::testing::TempDir() + "/bnn-npy-test.npy";
  uint64_t words[] = {1, 0xffffffffffffffffull, 3, 4};
  std::string error;
  ASSERT_TRUE(save(path, DType::UInt64, {2, 2}, words, sizeof words, error)) << error;
  Array array;
  ASSERT_TRUE(load(path, array, error)) << error;
  EXPECT_EQ(array.dtype, DType::UInt64);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 2}));
  ASSERT_EQ(array.data.size(), sizeof words);
  EXPECT_EQ(std::memcmp(array.data.data(), words, sizeof words), 0);
  EXPECT_FALSE(load(path + ".missing", array, error));
  EXPECT_EQ(error.rfind("'" + path + ".missing': cannot open: ", 0), 0u) << error;
  std::remove(path.c_str());
}

} // namespace
