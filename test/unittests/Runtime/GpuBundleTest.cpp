//===- GpuBundleTest.cpp - the runtime's GPU bundle parser ----------------===//

#include "bnn/runtime/GpuBundle.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

using namespace bnn::cuda;

namespace {

std::string section(const std::string &header, const std::string &bytes) {
  return "section " + header + " " + std::to_string(bytes.size()) + "\n" + bytes + "\n";
}

/// A bundle like bnn-translate writes: one constant, one function, PTX and const sections.
std::string validBundle() {
  std::string constBytes(16, '\0');
  constBytes[0] = 5;
  return "bnn-gpu-bundle 1\n"
         "const 0 __bnn_constant_0 i64 2x1\n"
         "func linear 3\n"
         "  arg 0 in f32 8x1000 tensor<8x1000xf32>\n"
         "  arg 1 in i64 64x16 !bnn.packed<64x1000>\n"
         "  arg 2 out i32 8x64 tensor<8x64xi32>\n"
         "  temp 0 i64 8x16\n"
         "  temp 1 i32 8\n"
         "  launch bnn_kernels bnn_pack grid 1 1 1 block 256 1 1 smem 0 args a0 t0 t1\n"
         "  launch bnn_kernels bnn_gemm grid 1 2 1 block 256 1 1 smem 139264 args t0 t1 a1 c0 a2\n"
         "  copy a2 t1\n"
         "end\n" +
         section("ptx bnn_kernels sm_90a", ".version 8.0\n// two\nlines\n") +
         section("const __bnn_constant_0", constBytes) + "end-bundle\n";
}

TEST(GpuBundle, ParsesManifestAndSections) {
  Bundle bundle;
  Status s = Bundle::parse(validBundle(), bundle);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(bundle.constants.size(), 1u);
  EXPECT_EQ(bundle.constants[0].symbol, "__bnn_constant_0");
  EXPECT_EQ(bundle.constants[0].buffer.bytes(), 16u);
  EXPECT_EQ(bundle.constants[0].data[0], 5);
  ASSERT_EQ(bundle.images.size(), 1u);
  EXPECT_EQ(bundle.images[0].format, "ptx");
  EXPECT_EQ(bundle.images[0].chip, "sm_90a");
  EXPECT_EQ(bundle.images[0].data, ".version 8.0\n// two\nlines\n");

  const BundleFunction *f = bundle.findFunction("linear");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(bundle.findFunction("missing"), nullptr);
  ASSERT_EQ(f->args.size(), 3u);
  EXPECT_FALSE(f->args[0].isOutput);
  EXPECT_TRUE(f->args[2].isOutput);
  EXPECT_EQ(f->args[1].logicalType, "!bnn.packed<64x1000>");
  EXPECT_EQ(f->args[0].buffer.str(), "f32 8x1000");
  EXPECT_EQ(f->args[2].buffer.bytes(), 8u * 64u * 4u);
  ASSERT_EQ(f->temps.size(), 2u);
  ASSERT_EQ(f->steps.size(), 3u);
  const LaunchStep &gemm = f->steps[1].launch;
  EXPECT_EQ(gemm.kernel, "bnn_gemm");
  EXPECT_EQ(gemm.grid[1], 2u);
  EXPECT_EQ(gemm.sharedBytes, 139264u);
  ASSERT_EQ(gemm.args.size(), 5u);
  EXPECT_EQ(gemm.args[3].kind, BufferRef::Kind::Const);
  EXPECT_EQ(gemm.args[0].kind, BufferRef::Kind::Temp);
  EXPECT_EQ(f->steps[2].kind, Step::Kind::Copy);
  EXPECT_EQ(f->steps[2].to.index, 1u);
}

TEST(GpuBundle, ScalarAndBoolBuffers) {
  BufferDesc scalar{bnn::ElementType::F32, {}};
  EXPECT_EQ(scalar.numElements(), 1);
  EXPECT_EQ(scalar.str(), "f32 scalar");
  BufferDesc bits{bnn::ElementType::I1, {5, 130}};
  EXPECT_EQ(bits.bytes(), 650u) << "i1 elements take one byte each";
}

/// Parses `text` (expecting failure) and returns the message.
std::string errorOf(const std::string &text) {
  Bundle bundle;
  Status s = Bundle::parse(text, bundle);
  EXPECT_FALSE(s.ok()) << "parsed although invalid:\n" << text;
  return s.message();
}

std::string replace(std::string text, const std::string &from, const std::string &to) {
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(GpuBundle, Errors) {
  const std::string good = validBundle();
  EXPECT_NE(errorOf("not a bundle\n").find("expected the header 'bnn-gpu-bundle 1'"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "i64 2x1", "u7 2x1")).find("unknown element type 'u7'"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "i64 2x1", "i64 2xq")).find("bad shape '2xq'"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "arg 1 in", "arg 2 in")).find("argument 2 out of order"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "temp 1 i32", "temp 3 i32")).find("temporary 3 out of order"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "func linear 3", "func linear 4"))
                .find("declares 4 arguments but lists 3"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "args a0 t0 t1", "args a0 t0 t7"))
                .find("refers to a buffer that does not exist (t7)"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "args a0 t0 t1", "args a0 t0 x1")).find("bad buffer reference"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "grid 1 2 1", "grid 0 2 1")).find("bad launch dimensions"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "smem 0 args", "smem x args")).find("bad shared memory size"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "block 256 1 1 smem 0", "block 256 1 1"))
                .find("expected 'launch <module>"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "  copy a2 t1\n", "  jump a2\n"))
                .find("unknown entry 'jump' in function 'linear'"),
            std::string::npos);
  EXPECT_NE(errorOf(good.substr(0, good.find("end-bundle"))).find("no 'end-bundle'"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "ptx bnn_kernels sm_90a 26", "ptx bnn_kernels sm_90a 999"))
                .find("runs past the end of the data"),
            std::string::npos);
  EXPECT_NE(errorOf(replace(good, "section const __bnn_constant_0 16\n",
                            "section const __bnn_constant_9 16\n"))
                .find("section for unknown constant '__bnn_constant_9'"),
            std::string::npos);
  // A constant whose declared shape does not match its bytes.
  EXPECT_NE(errorOf(replace(good, "i64 2x1", "i64 3x1")).find("has 16 bytes, expected 24"),
            std::string::npos);
  // A launch into a module without any code section.
  EXPECT_NE(errorOf(replace(good, "launch bnn_kernels bnn_pack", "launch other bnn_pack"))
                .find("which has no code section"),
            std::string::npos);
  // A declared constant without data.
  std::string noData = good;
  std::size_t at = noData.find("section const");
  noData = noData.substr(0, at) + "end-bundle\n";
  EXPECT_NE(errorOf(noData).find("constant '__bnn_constant_0' has no data section"),
            std::string::npos);
}

TEST(GpuBundle, ErrorsNameTheLine) {
  // Line numbers count the lines inside earlier sections, so they point into the file.
  std::string text = replace(validBundle(), "end-bundle", "bogus");
  std::string message = errorOf(text);
  EXPECT_NE(message.find("line 20: unknown entry 'bogus'"), std::string::npos) << message;
}

// Regression: a section size near SIZE_MAX made `pos + size + 1` wrap, pass the bounds check
// and move the read position backwards, so the parser looped forever on a 100-byte file.
TEST(GpuBundle, SectionSizesThatWrapAreErrors) {
  const std::string good = validBundle();
  for (const char *size : {"18446744073709551615", "18446744073709551614",
                           "18446744073709551000", "9223372036854775807"}) {
    std::string message =
        errorOf(replace(good, "ptx bnn_kernels sm_90a 26", std::string("ptx bnn_kernels sm_90a ") +
                                                               size));
    EXPECT_NE(message.find("runs past the end of the data"), std::string::npos) << message;
  }
  // The size that moved the position back to the start of the section line itself (2^64 minus
  // the line's 42 bytes minus 1): the old parser read that line again forever.
  std::string loop = "bnn-gpu-bundle 1\nsection ptx m sm_90a 18446744073709551573\nend-bundle\n";
  EXPECT_NE(errorOf(loop).find("line 2: section of 18446744073709551573 bytes runs past the end"),
            std::string::npos)
      << errorOf(loop);
  // A size that does not fit in size_t at all is not a number.
  EXPECT_NE(errorOf(replace(good, "ptx bnn_kernels sm_90a 26",
                            "ptx bnn_kernels sm_90a 18446744073709551616"))
                .find("expected 'section"),
            std::string::npos);
}

TEST(GpuBundle, SectionAtTheVeryEnd) {
  // A last line without '\n' leaves no byte for a payload, not even an empty one.
  std::string head = "bnn-gpu-bundle 1\n";
  EXPECT_NE(errorOf(head + "section ptx m sm_90a 0").find("runs past the end of the data"),
            std::string::npos);
  EXPECT_NE(errorOf(head + "section ptx m sm_90a 1\nx").find("runs past the end of the data"),
            std::string::npos);
  // The payload's closing '\n' is the last byte of the data, then the bundle has no end.
  EXPECT_NE(errorOf(head + "section ptx m sm_90a 1\nx\n").find("no 'end-bundle'"),
            std::string::npos);
}

// Regression: element and byte counts of declared buffers were multiplied without checks, so
// 2^32 x 2^32 f32 wrapped to a 0-byte buffer.
TEST(GpuBundle, BufferSizesThatOverflowAreErrors) {
  const std::string good = validBundle();
  for (const char *shape : {"4294967296x4294967296", "9223372036854775807x2",
                            "3037000500x3037000500", "2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2"
                                                     "x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x"
                                                     "2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2"}) {
    std::string message = errorOf(replace(good, "temp 1 i32 8", std::string("temp 1 i32 ") + shape));
    EXPECT_NE(message.find("has more bytes than fit in 63 bits"), std::string::npos) << message;
  }
  // The element count fits but the byte count does not (2^61 i64 elements).
  EXPECT_NE(errorOf(replace(good, "temp 1 i32 8", "temp 1 i64 2305843009213693952"))
                .find("has more bytes than fit in 63 bits"),
            std::string::npos);
  // The largest buffer that fits is accepted by the parser (allocating it is the backend's
  // business, and fails there with a status).
  Bundle bundle;
  Status s = Bundle::parse(replace(good, "temp 1 i32 8", "temp 1 i8 9223372036854775807"), bundle);
  EXPECT_TRUE(s.ok()) << s.message();
  // Constants: the declared size is checked before it is compared with the section.
  EXPECT_NE(errorOf(replace(good, "i64 2x1", "i64 4294967296x4294967296"))
                .find("has more bytes than fit in 63 bits"),
            std::string::npos);
}

TEST(GpuBundle, BufferDescSizesSaturate) {
  BufferDesc desc;
  desc.dtype = bnn::ElementType::F32;
  desc.shape = {int64_t{1} << 32, int64_t{1} << 32};
  EXPECT_EQ(desc.numElements(), -1);
  EXPECT_EQ(desc.bytes(), std::numeric_limits<std::size_t>::max());
  desc.shape = {int64_t{1} << 31, 2};
  EXPECT_EQ(desc.numElements(), int64_t{1} << 32);
  EXPECT_EQ(desc.bytes(), std::size_t{1} << 34);
  desc.shape = {int64_t{1} << 62};
  EXPECT_EQ(desc.bytes(), std::numeric_limits<std::size_t>::max());
}

TEST(GpuBundle, DuplicateConstantSymbol) {
  std::string text = replace(validBundle(), "const 0 __bnn_constant_0 i64 2x1\n",
                             "const 0 __bnn_constant_0 i64 2x1\nconst 1 __bnn_constant_0 i64 2x1\n");
  EXPECT_NE(errorOf(text).find("line 3: constant symbol '__bnn_constant_0' defined twice"),
            std::string::npos);
}

// A second data section for a constant, or a second image for one module and chip, would
// silently replace the first.
TEST(GpuBundle, DuplicateSections) {
  std::string bundle = validBundle();
  std::string constSection = section("const __bnn_constant_0", std::string(16, '\1'));
  std::string twice = bundle.substr(0, bundle.size() - std::string("end-bundle\n").size()) +
                      constSection + "end-bundle\n";
  Bundle parsed;
  Status s = Bundle::parse(twice, parsed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("second data section for constant '__bnn_constant_0'"),
            std::string::npos)
      << s.message();
  std::string image = section("ptx bnn_kernels sm_90a", ".version 8.0\n");
  std::string twoImages = bundle.substr(0, bundle.size() - std::string("end-bundle\n").size()) +
                          image + "end-bundle\n";
  s = Bundle::parse(twoImages, parsed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("second ptx section for module 'bnn_kernels' and chip sm_90a"),
            std::string::npos)
      << s.message();
}

TEST(GpuBundle, LoadReportsMissingFile) {
  Bundle bundle;
  Status s = Bundle::load("/nonexistent/model.bundle", bundle);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot open GPU bundle '/nonexistent/model.bundle'");
}

} // namespace
