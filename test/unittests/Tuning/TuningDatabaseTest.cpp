//===- TuningDatabaseTest.cpp - the tuning database library ---------------===//
//
// Shape classes at their bucket boundaries, the writer's output read back by the reader, and
// how a tuning-db option resolves to a file (docs/Tuning.md).
//
//===----------------------------------------------------------------------===//

#include "bnn/Tuning/TuningDatabase.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using namespace bnn::tuning;

namespace {

Entry cpuEntry(int64_t m, int64_t n, int64_t k, int64_t rows, int64_t cols, double us) {
  Entry e;
  e.kernel = kCpuXnorMatmul;
  e.shape = classifyShape(m, n, k);
  e.cpu = CpuTileParams{rows, cols};
  e.chip = "cpu-avx512";
  e.device = "unit test";
  e.threads = 1;
  e.date = "2026-12-03";
  e.timeUs = us;
  e.measuredShape = {m, n, k};
  return e;
}

void writeFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << text;
}

TEST(TuningShapeClass, Buckets) {
  // M: 1 | 2..16 | 17..64 | 65..
  EXPECT_EQ(classifyShape(1, 8, 8).mBucket, 1);
  EXPECT_EQ(classifyShape(2, 8, 8).mBucket, 16);
  EXPECT_EQ(classifyShape(16, 8, 8).mBucket, 16);
  EXPECT_EQ(classifyShape(17, 8, 8).mBucket, 64);
  EXPECT_EQ(classifyShape(64, 8, 8).mBucket, 64);
  EXPECT_EQ(classifyShape(65, 8, 8).mBucket, 0);
  EXPECT_EQ(classifyShape(100000, 8, 8).mBucket, 0);
  // N and K: the least power of two at least as large.
  EXPECT_EQ(classifyShape(4, 1, 1).n, 1);
  EXPECT_EQ(classifyShape(4, 1000, 1).n, 1024);
  EXPECT_EQ(classifyShape(4, 1024, 1).n, 1024);
  EXPECT_EQ(classifyShape(4, 1025, 1).n, 2048);
  EXPECT_EQ(classifyShape(4, 8, 4097).k, 8192);
  EXPECT_EQ(classifyShape(17, 1000, 4096).str(), "m<=64 n1024 k4096");
  EXPECT_EQ(classifyShape(65, 1, 1).str(), "m>64 n1 k1");
}

TEST(TuningDatabase, WriteThenRead) {
  TuningDatabase db;
  db.chip = "cpu-avx512";
  db.upsert(cpuEntry(256, 4096, 4096, 256, 128, 4484.5));
  db.upsert(cpuEntry(1, 4096, 4096, 16, 1024, 59.25));
  Entry untuned = cpuEntry(16, 4096, 4096, 64, 256, 1);
  untuned.untuned = true;
  untuned.timeUs.reset();
  db.upsert(untuned);
  // Replaces the first entry (same class).
  db.upsert(cpuEntry(300, 4000, 4000, 128, 256, 4000.0));
  ASSERT_EQ(db.entries.size(), 3u);

  llvm::Expected<TuningDatabase> back = TuningDatabase::parse(db.toJSON(), "test");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->chip, "cpu-avx512");
  ASSERT_EQ(back->entries.size(), 3u);
  const Entry *big = back->lookup(kCpuXnorMatmul, classifyShape(65, 4096, 4096));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->cpu->tileRows, 128);
  EXPECT_EQ(big->cpu->tileCols, 256);
  EXPECT_EQ(*big->timeUs, 4000.0);
  EXPECT_EQ(big->measuredShape[0], 300);
  const Entry *small = back->lookup(kCpuXnorMatmul, classifyShape(9, 3000, 2049));
  ASSERT_NE(small, nullptr);
  EXPECT_TRUE(small->untuned);
  EXPECT_FALSE(small->timeUs.has_value());
  EXPECT_EQ(back->lookup(kCpuXnorMatmul, classifyShape(64, 4096, 4096)), nullptr);
  EXPECT_EQ(back->lookup(kGpuXnorGemm, classifyShape(1, 4096, 4096)), nullptr);
  // Sorted by kernel, then M bucket (1, 16, 64, >64), N, K.
  EXPECT_EQ(back->entries[0].shape.mBucket, 1);
  EXPECT_EQ(back->entries[1].shape.mBucket, 16);
  EXPECT_EQ(back->entries[2].shape.mBucket, 0);
}

TEST(TuningDatabase, CheckEntryRefusesWrongKernelForChip) {
  Entry e = cpuEntry(256, 4096, 4096, 256, 128, 1.0);
  e.chip = "sm_90a";
  llvm::Error error = checkEntry(e, "sm_90a");
  ASSERT_TRUE(bool(error));
  EXPECT_EQ(llvm::toString(std::move(error)),
            "kernel cpu.xnor_matmul does not belong in a database for sm_90a");
}

TEST(TuningDatabase, OptionResolution) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("bnn-tuning-test", dir));
  TuningDatabase db;
  db.chip = "cpu-avx512";
  db.upsert(cpuEntry(256, 4096, 4096, 256, 128, 10.0));
  llvm::SmallString<128> file(dir);
  llvm::sys::path::append(file, "cpu-avx512.json");
  writeFile(std::string(file), db.toJSON());

  std::string resolved;
  auto none = loadTuningDatabase("none", "cpu-avx512", &resolved);
  ASSERT_TRUE(bool(none));
  EXPECT_EQ(none->get(), nullptr);

  auto byDir = loadTuningDatabase(dir, "cpu-avx512", &resolved);
  ASSERT_TRUE(bool(byDir)) << llvm::toString(byDir.takeError());
  ASSERT_NE(byDir->get(), nullptr);
  EXPECT_EQ(resolved, std::string(file));

  auto otherChip = loadTuningDatabase(dir, "cpu-avx2", &resolved);
  ASSERT_FALSE(bool(otherChip));
  EXPECT_NE(llvm::toString(otherChip.takeError()).find("the directory has no cpu-avx2.json"),
            std::string::npos);

  // "default" follows $BNN_TUNING_DIR; a chip without a file there means no database.
  ASSERT_EQ(setenv("BNN_TUNING_DIR", dir.c_str(), 1), 0);
  auto byDefault = loadTuningDatabase("default", "cpu-avx512", &resolved);
  ASSERT_TRUE(bool(byDefault));
  ASSERT_NE(byDefault->get(), nullptr);
  auto noFile = loadTuningDatabase("default", "cpu-generic", &resolved);
  ASSERT_TRUE(bool(noFile));
  EXPECT_EQ(noFile->get(), nullptr);
  unsetenv("BNN_TUNING_DIR");

  // A rewritten file is read again (the cache key has its size and modification time).
  db.upsert(cpuEntry(16, 4096, 4096, 16, 64, 3.0));
  writeFile(std::string(file), db.toJSON());
  auto reread = loadTuningDatabase(std::string(file), "cpu-avx512", &resolved);
  ASSERT_TRUE(bool(reread));
  EXPECT_EQ((*reread)->entries.size(), 2u);

  llvm::sys::fs::remove(file);
  llvm::sys::fs::remove(dir);
}

} // namespace
