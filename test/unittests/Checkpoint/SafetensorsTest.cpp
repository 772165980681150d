// The safetensors reader and writer (bnn/Frontend/Checkpoint.h): every error path of the
// reader on hand-built files, the writer's exact bytes, round trips, and f16/bf16 widening
// against values from the IEEE 754 definitions.
#include "bnn/Frontend/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace bnn::frontend;

namespace {

/// A file: 8-byte little-endian length, `header` verbatim, `data`.
std::string makeFile(const std::string &header, const std::string &data = "") {
  std::string file(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return file + header + data;
}

llvm::Expected<SafetensorsFile> parseBytes(const std::string &bytes) {
  return SafetensorsFile::parse(llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.safetensors"));
}

/// The error message of parsing `bytes` ("" when it parses).
std::string parseError(const std::string &bytes) {
  llvm::Expected<SafetensorsFile> file = parseBytes(bytes);
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

std::string entry(const std::string &name, const std::string &dtype, const std::string &shape,
                  uint64_t begin, uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

TEST(SafetensorsReader, ParsesAHandWrittenFile) {
  // Two tensors out of name order in the data, metadata, space padding after the JSON.
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("b", "F32", "[2]", 0, 8) +
                       "," + entry("a", "I8", "[1,3]", 8, 11) + "}   ";
  std::string data = std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8) + "xyz";
  llvm::Expected<SafetensorsFile> file = parseBytes(makeFile(header, data));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  ASSERT_EQ(file->getTensors().size(), 2u);
  EXPECT_EQ(file->getTensors()[0].name, "a"); // sorted by name
  EXPECT_EQ(file->getTensors()[1].name, "b");
  const TensorView *a = file->lookup("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, SafetensorsDType::I8);
  EXPECT_EQ(std::vector<int64_t>(a->shape.begin(), a->shape.end()), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(std::string(a->bytes.begin(), a->bytes.end()), "xyz");
  EXPECT_EQ(a->getNumElements(), 3);
  EXPECT_EQ(file->lookup("c"), nullptr);
  EXPECT_EQ(file->getMetadata().at("format"), "pt");
  EXPECT_EQ(file->getHeaderSize(), header.size());
  EXPECT_EQ(file->getDataSize(), 11u);
  llvm::Expected<std::vector<float>> b = readAsFloat32(*file->lookup("b"));
  ASSERT_TRUE(static_cast<bool>(b));
  EXPECT_EQ(*b, (std::vector<float>{1.0f, -2.0f}));
  llvm::Expected<std::vector<float>> notFloat = readAsFloat32(*a);
  ASSERT_FALSE(static_cast<bool>(notFloat));
  EXPECT_EQ(llvm::toString(notFloat.takeError()), "tensor 'a' is I8, expected F32, F16 or BF16");
}

TEST(SafetensorsReader, AcceptsEmptyAndZeroSizedTensors) {
  EXPECT_EQ(parseError(makeFile("{}")), "");
  EXPECT_EQ(parseError(makeFile("{" + entry("z", "F32", "[0,5]", 0, 0) + "}")), "");
  EXPECT_EQ(parseError(makeFile("{" + entry("s", "F64", "[]", 0, 8) + "}", std::string(8, 'x'))),
            "");
}

TEST(SafetensorsReader, ContainerErrors) {
  const std::string prefix = "'test.safetensors': ";
  EXPECT_EQ(parseError("abc"),
            prefix + "truncated: a safetensors file starts with an 8-byte header length, the file "
                     "has 3 bytes");
  std::string huge(8, '\0');
  huge[4] = 1; // 2^32
  EXPECT_EQ(parseError(huge),
            prefix + "header length 4294967296 exceeds the limit of 100000000 bytes");
  EXPECT_EQ(parseError(makeFile("{}").substr(0, 9)),
            prefix + "truncated: the header length says 2 bytes of header after the first 8, "
                     "the file has 1 after them");
  EXPECT_EQ(parseError(makeFile("{\"a\":")).rfind(prefix + "the header is not valid JSON: ", 0),
            0u);
  EXPECT_EQ(parseError(makeFile("[1]")), prefix + "the header is an array, expected a JSON object");
  EXPECT_EQ(parseError(makeFile("{\"__metadata__\":[]}")),
            prefix + "__metadata__ is an array, expected an object of strings");
  EXPECT_EQ(parseError(makeFile("{\"__metadata__\":{\"k\":1}}")),
            prefix + "__metadata__ entry 'k' is an integer, expected a string");
}

TEST(SafetensorsReader, EntryErrors) {
  const std::string prefix = "'test.safetensors': tensor 't'";
  auto one = [](const std::string &body, const std::string &data = "") {
    return parseError(makeFile("{\"t\":" + body + "}", data));
  };
  EXPECT_EQ(one("3"), prefix + " is an integer, expected an object with dtype, shape and "
                               "data_offsets");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":1}", "abcd"),
            prefix + " has an unknown key 'x' (expected dtype, shape and data_offsets)");
  EXPECT_EQ(one("{\"shape\":[],\"data_offsets\":[0,4]}"), prefix + " has no dtype");
  EXPECT_EQ(one("{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}"),
            prefix + ": dtype is an integer, expected a string");
  EXPECT_EQ(one("{\"dtype\":\"F4\",\"shape\":[],\"data_offsets\":[0,4]}"),
            prefix + ": unknown or unsupported dtype 'F4' (expected one of BOOL, U8, I8, "
                     "F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"data_offsets\":[0,4]}"), prefix + " has no shape");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,4]}"),
            prefix + ": shape is an object, expected an array of non-negative integers");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}"),
            prefix + ": shape[1]: expected a non-negative integer, found an integer (-3)");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}"),
            prefix + ": shape[0]: expected a non-negative integer, found a number");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}"),
            prefix + ": shape[0]: expected a non-negative integer, found a string");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1]}"), prefix + " has no data_offsets");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}"),
            prefix + ": data_offsets is an array of 1 elements, expected [begin, end]");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0,4\"}"),
            prefix + ": data_offsets is a string, expected [begin, end]");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-1,4]}"),
            prefix + ": data_offsets[0]: expected a non-negative integer, found an integer (-1)");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,null]}"),
            prefix + ": data_offsets[1]: expected a non-negative integer, found null");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}", "abcd"),
            prefix + ": data_offsets [4, 0] end before they begin");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "ab"),
            prefix + ": data_offsets [0, 4] reach beyond the data section of 2 bytes (truncated "
                     "file or lying offsets)");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}", "abcd"),
            prefix + ": data_offsets [0, 4] span 4 bytes, shape [2] of F32 needs 8");
  // 2^62 elements of 4 bytes: the byte count overflows 64 bits; 2^61 x 4 overflows 63.
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}"),
            prefix + ": shape [4611686018427387904] of F32 has a byte size that overflows 63 bits");
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}"),
            prefix + ": shape [2305843009213693952] of F32 has a byte size that overflows 63 bits");
  EXPECT_EQ(one("{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}"),
            prefix + ": shape [4294967296, 4294967296, 4] of U8 has a byte size that overflows "
                     "63 bits");
  // Beyond int64: llvm::json has no integer for it.
  EXPECT_EQ(one("{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,4]}"),
            prefix + ": shape[0]: expected a non-negative integer, found a number");
}

TEST(SafetensorsReader, TilingErrors) {
  const std::string prefix = "'test.safetensors': ";
  EXPECT_EQ(parseError(makeFile("{" + entry("a", "U8", "[4]", 0, 4) + "," +
                                    entry("b", "U8", "[4]", 2, 6) + "}",
                                "abcdef")),
            prefix + "tensor 'b' (bytes [2, 6)) overlaps tensor 'a' (bytes [0, 4))");
  EXPECT_EQ(parseError(makeFile("{" + entry("a", "U8", "[2]", 0, 2) + "," +
                                    entry("b", "U8", "[2]", 4, 6) + "}",
                                "abcdef")),
            prefix + "bytes [2, 4) of the data section belong to no tensor (a hole before tensor "
                     "'b')");
  EXPECT_EQ(parseError(makeFile("{" + entry("a", "U8", "[2]", 0, 2) + "}", "abcd")),
            prefix + "the data section has 4 bytes, the tensors cover 2 (trailing bytes after "
                     "the last tensor)");
  // Two views of the same bytes are an overlap too.
  EXPECT_EQ(
      parseError(makeFile(
          "{" + entry("a", "U8", "[2]", 0, 2) + "," + entry("b", "U8", "[2]", 0, 2) + "}", "ab")),
      prefix + "tensor 'b' (bytes [0, 2)) overlaps tensor 'a' (bytes [0, 2))");
}

TEST(SafetensorsReader, DuplicateKeys) {
  const std::string prefix = "'test.safetensors': ";
  EXPECT_EQ(
      parseError(makeFile(
          "{" + entry("a", "U8", "[2]", 0, 2) + "," + entry("a", "U8", "[2]", 2, 4) + "}", "abcd")),
      prefix + "tensor name 'a' appears twice in the header");
  // The same name spelled with an escape.
  EXPECT_EQ(parseError(makeFile("{" + entry("a", "U8", "[2]", 0, 2) + "," +
                                    entry("\\u0061", "U8", "[2]", 2, 4) + "}",
                                "abcd")),
            prefix + "tensor name 'a' appears twice in the header");
  EXPECT_EQ(parseError(makeFile(
                "{\"t\":{\"dtype\":\"U8\",\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}",
                "ab")),
            prefix + "key 'dtype' appears twice inside header entry 't'");
  // Keys inside strings, arrays and escaped quotes are not keys.
  EXPECT_EQ(parseError(makeFile("{\"__metadata__\":{\"x\":\"\\\"a\\\":\",\"y\":\"a\"}," +
                                    entry("a", "U8", "[2]", 0, 2) + "}",
                                "ab")),
            "");
}

TEST(SafetensorsReader, WidensHalfAndBFloat16Exactly) {
  // F16 bit patterns and their values by IEEE 754 binary16: 1, -2, 2^-24 (smallest subnormal),
  // 1023 * 2^-24 (largest subnormal), 2^-14 (smallest normal), 65504 (largest), -0, inf, -inf.
  const uint16_t halves[] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400,
                             0x7bff, 0x8000, 0x7c00, 0xfc00, 0x7e00};
  const float expected[] = {1.0f,
                            -2.0f,
                            std::ldexp(1.0f, -24),
                            1023 * std::ldexp(1.0f, -24),
                            std::ldexp(1.0f, -14),
                            65504.0f,
                            -0.0f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  // One byte of padding in the data, so that the F16 data starts at an odd address.
  std::string data = "x";
  for (uint16_t h : halves)
    data += std::string{static_cast<char>(h & 0xff), static_cast<char>(h >> 8)};
  // BF16: 0x3f80 = 1, 0xc0a0 = -5, 0x0001 = the smallest f32 subnormal 2^-133.
  for (uint16_t h : {0x3f80, 0xc0a0, 0x0001})
    data += std::string{static_cast<char>(h & 0xff), static_cast<char>(h >> 8)};
  std::string header = "{" + entry("pad", "U8", "[1]", 0, 1) + "," +
                       entry("h", "F16", "[10]", 1, 21) + "," + entry("b", "BF16", "[3]", 21, 27) +
                       "}";
  llvm::Expected<SafetensorsFile> file = parseBytes(makeFile(header, data));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  llvm::Expected<std::vector<float>> h = readAsFloat32(*file->lookup("h"));
  ASSERT_TRUE(static_cast<bool>(h));
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_EQ((*h)[i], expected[i]) << i;
    EXPECT_EQ(std::signbit((*h)[i]), std::signbit(expected[i])) << i;
  }
  EXPECT_TRUE(std::isnan((*h)[9]));
  llvm::Expected<std::vector<float>> b = readAsFloat32(*file->lookup("b"));
  ASSERT_TRUE(static_cast<bool>(b));
  EXPECT_EQ((*b)[0], 1.0f);
  EXPECT_EQ((*b)[1], -5.0f);
  EXPECT_EQ((*b)[2], std::ldexp(1.0f, -133));
}

TEST(SafetensorsWriter, WritesTheExactBytes) {
  const uint8_t one[4] = {0x00, 0x00, 0x80, 0x3f};
  const uint8_t bytes[2] = {7, 9};
  std::vector<SafetensorsTensor> tensors = {{"w", SafetensorsDType::F32, {1}, one},
                                            {"b", SafetensorsDType::U8, {2, 1}, bytes}};
  llvm::Expected<std::string> file = serializeSafetensors(tensors, {{"format", "pt"}});
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  std::string json = "{\"__metadata__\":{\"format\":\"pt\"},"
                     "\"b\":{\"dtype\":\"U8\",\"shape\":[2,1],\"data_offsets\":[0,2]},"
                     "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}";
  json.append((8 - json.size() % 8) % 8, ' ');
  EXPECT_EQ(*file, makeFile(json, std::string("\x07\x09\x00\x00\x80\x3f", 6)));
  EXPECT_EQ((*file).size() % 8, 6u); // header padded: the data starts at a multiple of 8

  // Deterministic: the input order does not matter.
  std::swap(tensors[0], tensors[1]);
  llvm::Expected<std::string> again = serializeSafetensors(tensors, {{"format", "pt"}});
  ASSERT_TRUE(static_cast<bool>(again));
  EXPECT_EQ(*again, *file);
}

TEST(SafetensorsWriter, RoundTripsThroughAFile) {
  std::vector<uint8_t> data(3 * 5 * 2);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 37);
  std::vector<SafetensorsTensor> tensors = {
      {"model.embed_tokens.weight", SafetensorsDType::BF16, {3, 5}, data},
      {"empty", SafetensorsDType::I64, {0}, {}}};
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("bnn-checkpoint-test", "safetensors", path));
  ASSERT_FALSE(static_cast<bool>(writeSafetensors(path, tensors)));
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->getName(), path);
  ASSERT_EQ(file->getTensors().size(), 2u);
  const TensorView *embed = file->lookup("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->dtype, SafetensorsDType::BF16);
  EXPECT_EQ(std::vector<uint8_t>(embed->bytes.begin(), embed->bytes.end()), data);
  EXPECT_TRUE(file->getMetadata().empty());
  EXPECT_EQ((8 + file->getHeaderSize()) % 8, 0u);
  llvm::sys::fs::remove(path);

  llvm::Expected<SafetensorsFile> missing = SafetensorsFile::open(path);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(
      llvm::toString(missing.takeError()).rfind("cannot open '" + path.str().str() + "': ", 0), 0u);
}

TEST(SafetensorsWriter, Errors) {
  const uint8_t four[4] = {};
  auto error = [](std::vector<SafetensorsTensor> tensors,
                  std::map<std::string, std::string> metadata = {}) {
    llvm::Expected<std::string> file = serializeSafetensors(tensors, metadata);
    return file ? std::string() : llvm::toString(file.takeError());
  };
  EXPECT_EQ(
      error({{"a", SafetensorsDType::F32, {1}, four}, {"a", SafetensorsDType::F32, {1}, four}}),
      "two tensors are named 'a'");
  EXPECT_EQ(error({{"", SafetensorsDType::F32, {1}, four}}),
            "cannot write a tensor named '' (names are non-empty UTF-8 and not __metadata__)");
  EXPECT_EQ(error({{"__metadata__", SafetensorsDType::F32, {1}, four}}),
            "cannot write a tensor named '__metadata__' (names are non-empty UTF-8 and not "
            "__metadata__)");
  EXPECT_EQ(error({{"a", SafetensorsDType::F32, {-1}, four}}),
            "tensor 'a' has a negative dimension in [-1]");
  EXPECT_EQ(error({{"a", SafetensorsDType::F32, {2}, four}}),
            "tensor 'a': shape [2] of F32 needs 8 bytes, 4 given");
  EXPECT_EQ(error({{"a", SafetensorsDType::F64, {INT64_MAX / 4}, four}}),
            "tensor 'a': the size of shape [2305843009213693951] overflows");
  EXPECT_EQ(error({}, {{"k", "\xff"}}), "__metadata__ entry 'k' is not valid UTF-8");
  EXPECT_EQ(error({}), "");
  llvm::Error write =
      writeSafetensors("/nonexistent-dir/x.safetensors", {{"a", SafetensorsDType::F32, {2}, four}});
  EXPECT_EQ(llvm::toString(std::move(write)),
            "cannot write '/nonexistent-dir/x.safetensors': tensor 'a': shape [2] of F32 needs 8 "
            "bytes, 4 given");
}

TEST(SafetensorsDTypes, NamesAndSizes) {
  EXPECT_EQ(getDTypeName(SafetensorsDType::BF16), "BF16");
  EXPECT_EQ(parseDTypeName("F8_E4M3"), SafetensorsDType::F8_E4M3);
  EXPECT_EQ(parseDTypeName("f32"), std::nullopt); // names are case-sensitive
  EXPECT_EQ(getDTypeSize(SafetensorsDType::U64), 8);
  EXPECT_EQ(getDTypeSize(SafetensorsDType::Bool), 1);
  EXPECT_TRUE(isFloatDType(SafetensorsDType::F16));
  EXPECT_FALSE(isFloatDType(SafetensorsDType::F64));
  EXPECT_EQ(formatShape({}), "[]");
  EXPECT_EQ(formatShape({2, 3}), "[2, 3]");
}

} // namespace
