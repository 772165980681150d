//===- TuningDatabase.cpp - reading and writing tuning/<chip>.json ---------===//

#include "bnn/Tuning/TuningDatabase.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <algorithm>
#include <mutex>
#include <tuple>

namespace bnn::tuning {

namespace {
constexpr int64_t kFormatVersion = 1;
constexpr const char kFormatName[] = "bnn-tuning-db";

int64_t nextPowerOfTwo(int64_t x) {
  int64_t p = 1;
  while (p < x && p <= (INT64_MAX >> 1))
    p <<= 1;
  return p;
}

bool isPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

bool isDate(llvm::StringRef s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/// Reads the keys of one JSON object strictly: every key must be read once, and the caller
/// finishes with `unknown()`, which reports the first key nobody asked for.
class StrictObject {
public:
  StrictObject(const llvm::json::Object &object, std::string where)
      : object(object), where(std::move(where)) {}

  llvm::Error error(const llvm::Twine &why) const {
    return llvm::createStringError(where + ": " + why);
  }
  const llvm::json::Value *find(llvm::StringRef key) {
    seen.insert(key);
    return object.get(key);
  }
  llvm::Expected<const llvm::json::Value *> require(llvm::StringRef key) {
    const llvm::json::Value *v = find(key);
    if (!v)
      return error("missing key '" + key + "'");
    return v;
  }
  llvm::Expected<std::string> string(llvm::StringRef key) {
    auto v = require(key);
    if (!v)
      return v.takeError();
    if (auto s = (*v)->getAsString())
      return s->str();
    return error("'" + key + "' must be a string");
  }
  llvm::Expected<int64_t> integer(llvm::StringRef key, int64_t lo, int64_t hi) {
    auto v = require(key);
    if (!v)
      return v.takeError();
    std::optional<int64_t> i = (*v)->getAsInteger();
    if (!i)
      return error("'" + key + "' must be an integer");
    if (*i < lo || *i > hi)
      return error("'" + key + "' = " + llvm::Twine(*i) + ": expected " + llvm::Twine(lo) + " to " +
                   llvm::Twine(hi));
    return *i;
  }
  llvm::Expected<bool> boolean(llvm::StringRef key) {
    auto v = require(key);
    if (!v)
      return v.takeError();
    if (auto b = (*v)->getAsBoolean())
      return *b;
    return error("'" + key + "' must be true or false");
  }
  llvm::Expected<const llvm::json::Object *> objectOf(llvm::StringRef key) {
    auto v = require(key);
    if (!v)
      return v.takeError();
    if (auto *o = (*v)->getAsObject())
      return o;
    return error("'" + key + "' must be an object");
  }
  llvm::Error unknown() const {
    std::vector<std::string> keys;
    for (const auto &kv : object)
      if (!seen.contains(llvm::StringRef(kv.first)))
        keys.push_back(llvm::StringRef(kv.first).str());
    if (keys.empty())
      return llvm::Error::success();
    std::sort(keys.begin(), keys.end());
    return error("unknown key '" + keys.front() + "'");
  }

private:
  const llvm::json::Object &object;
  std::string where;
  llvm::StringSet<> seen;
};

#define TRY_ASSIGN(var, expr)                                                                      \
  auto var##OrErr = (expr);                                                                        \
  if (!var##OrErr)                                                                                 \
    return var##OrErr.takeError();                                                                 \
  auto var = std::move(*var##OrErr)

llvm::Expected<int64_t> parseMBucket(llvm::StringRef s) {
  if (s == "1")
    return 1;
  if (s == "<=16")
    return 16;
  if (s == "<=64")
    return 64;
  if (s == ">64")
    return 0;
  return llvm::createStringError("'m' = '" + s +
                                 "': expected \"1\", \"<=16\", \"<=64\" or \">64\"");
}

llvm::Expected<Entry> parseEntry(const llvm::json::Value &value, size_t index,
                                 llvm::StringRef fileChip, llvm::StringRef sourceName) {
  std::string where = (sourceName + ": entries[" + llvm::Twine(index) + "]").str();
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return llvm::createStringError(where + ": an entry must be an object");
  Entry e;
  // The name of the entry first, so that every later message can say which one it is.
  {
    StrictObject probe(*object, where);
    TRY_ASSIGN(kernel, probe.string("kernel"));
    e.kernel = kernel;
    TRY_ASSIGN(shape, probe.objectOf("shape"));
    StrictObject s(*shape, where + ".shape");
    TRY_ASSIGN(m, s.string("m"));
    auto bucket = parseMBucket(m);
    if (!bucket)
      return llvm::createStringError(where + ".shape: " + llvm::toString(bucket.takeError()));
    e.shape.mBucket = *bucket;
    TRY_ASSIGN(n, s.integer("n", 1, int64_t(1) << 40));
    TRY_ASSIGN(k, s.integer("k", 1, int64_t(1) << 40));
    if (!isPowerOfTwo(n) || !isPowerOfTwo(k))
      return s.error("'n' and 'k' must be powers of two (the class of N and K rounded up), "
                     "found n = " +
                     llvm::Twine(n) + ", k = " + llvm::Twine(k));
    e.shape.n = n;
    e.shape.k = k;
    if (llvm::Error err = s.unknown())
      return std::move(err);
  }
  where += " (" + e.describe() + ")";
  StrictObject o(*object, where);
  (void)o.find("kernel");
  (void)o.find("shape");
  TRY_ASSIGN(untuned, o.boolean("untuned"));
  e.untuned = untuned;
  TRY_ASSIGN(chip, o.string("chip"));
  e.chip = chip;
  const bool gpuKernel = e.kernel == kGpuXnorGemm;
  if (isGpuChip(fileChip)) {
    TRY_ASSIGN(driver, o.string("driver"));
    e.device = driver;
  } else {
    TRY_ASSIGN(model, o.string("cpu_model"));
    e.device = model;
    TRY_ASSIGN(threads, o.integer("threads", 1, 4096));
    e.threads = threads;
  }
  TRY_ASSIGN(date, o.string("date"));
  e.date = date;
  {
    TRY_ASSIGN(time, o.require("time_us"));
    if (time->getAsNull()) {
      e.timeUs = std::nullopt;
    } else if (auto t = time->getAsNumber()) {
      e.timeUs = *t;
    } else {
      return o.error("'time_us' must be a number or null");
    }
  }
  {
    TRY_ASSIGN(measured, o.require("measured_shape"));
    const llvm::json::Array *array = measured->getAsArray();
    if (!array || array->size() != 3)
      return o.error("'measured_shape' must be an array [M, N, K]");
    for (size_t i = 0; i < 3; ++i) {
      std::optional<int64_t> d = (*array)[i].getAsInteger();
      if (!d || *d < 1)
        return o.error("'measured_shape' must hold three positive integers");
      e.measuredShape[i] = *d;
    }
  }
  TRY_ASSIGN(params, o.objectOf("params"));
  StrictObject p(*params, where + ".params");
  if (gpuKernel) {
    GpuGemmParams g;
    TRY_ASSIGN(mma, p.string("mma"));
    g.mma = mma;
    TRY_ASSIGN(tileM, p.integer("tile_m", 16, 256));
    TRY_ASSIGN(tileN, p.integer("tile_n", 64, 256));
    TRY_ASSIGN(stages, p.integer("stages", 2, 8));
    TRY_ASSIGN(warpsM, p.integer("warps_m", 1, 32));
    TRY_ASSIGN(warpsN, p.integer("warps_n", 1, 32));
    TRY_ASSIGN(persistent, p.integer("persistent_blocks", 0, 1 << 20));
    g.tileM = tileM;
    g.tileN = tileN;
    g.stages = stages;
    g.warpsM = warpsM;
    g.warpsN = warpsN;
    g.persistentBlocks = persistent;
    e.gpu = g;
  } else {
    CpuTileParams c;
    TRY_ASSIGN(rows, p.integer("tile_rows", 1, int64_t(1) << 30));
    TRY_ASSIGN(cols, p.integer("tile_cols", 1, int64_t(1) << 30));
    c.tileRows = rows;
    c.tileCols = cols;
    e.cpu = c;
  }
  if (llvm::Error err = p.unknown())
    return std::move(err);
  if (llvm::Error err = o.unknown())
    return std::move(err);
  if (llvm::Error err = checkEntry(e, fileChip))
    return llvm::createStringError(where + ": " + llvm::toString(std::move(err)));
  return e;
}

llvm::json::Value entryToJSON(const Entry &e) {
  llvm::json::Object shape{{"m", e.shape.mBucketName()}, {"n", e.shape.n}, {"k", e.shape.k}};
  llvm::json::Object params;
  if (e.gpu) {
    params = llvm::json::Object{{"mma", e.gpu->mma},
                                {"tile_m", e.gpu->tileM},
                                {"tile_n", e.gpu->tileN},
                                {"stages", e.gpu->stages},
                                {"warps_m", e.gpu->warpsM},
                                {"warps_n", e.gpu->warpsN},
                                {"persistent_blocks", e.gpu->persistentBlocks}};
  } else if (e.cpu) {
    params = llvm::json::Object{{"tile_rows", e.cpu->tileRows}, {"tile_cols", e.cpu->tileCols}};
  }
  llvm::json::Object object{
      {"kernel", e.kernel},
      {"shape", std::move(shape)},
      {"params", std::move(params)},
      {"untuned", e.untuned},
      {"chip", e.chip},
      {"date", e.date},
      {"time_us", e.timeUs ? llvm::json::Value(*e.timeUs) : llvm::json::Value(nullptr)},
      {"measured_shape",
       llvm::json::Array{e.measuredShape[0], e.measuredShape[1], e.measuredShape[2]}}};
  if (isGpuChip(e.chip)) {
    object["driver"] = e.device;
  } else {
    object["cpu_model"] = e.device;
    object["threads"] = e.threads;
  }
  return llvm::json::Value(std::move(object));
}
} // namespace

std::string ShapeClass::mBucketName() const {
  switch (mBucket) {
  case 1: return "1";
  case 16: return "<=16";
  case 64: return "<=64";
  default: return ">64";
  }
}

std::string ShapeClass::str() const {
  return "m" + mBucketName() + " n" + std::to_string(n) + " k" + std::to_string(k);
}

ShapeClass classifyShape(int64_t m, int64_t n, int64_t k) {
  ShapeClass c;
  c.mBucket = m <= 1 ? 1 : m <= 16 ? 16 : m <= 64 ? 64 : 0;
  c.n = nextPowerOfTwo(std::max<int64_t>(n, 1));
  c.k = nextPowerOfTwo(std::max<int64_t>(k, 1));
  return c;
}

std::string Entry::describe() const { return kernel + " " + shape.str(); }

bool isGpuChip(llvm::StringRef chip) { return chip.starts_with("sm_"); }

llvm::Error checkEntry(const Entry &e, llvm::StringRef fileChip) {
  auto fail = [](const llvm::Twine &why) { return llvm::createStringError(why); };
  const bool gpuChip = isGpuChip(fileChip);
  if (e.kernel != kGpuXnorGemm && e.kernel != kCpuXnorMatmul)
    return fail("kernel '" + e.kernel + "': expected " + kGpuXnorGemm + " or " + kCpuXnorMatmul);
  if ((e.kernel == kGpuXnorGemm) != gpuChip)
    return fail("kernel " + e.kernel + " does not belong in a database for " + fileChip);
  if (e.chip != fileChip)
    return fail("chip '" + e.chip + "' differs from the file's chip '" + fileChip + "'");
  if (!isDate(e.date))
    return fail("date '" + e.date + "': expected YYYY-MM-DD");
  if (e.device.empty())
    return fail(gpuChip ? "'driver' must not be empty" : "'cpu_model' must not be empty");
  if (e.untuned && e.timeUs)
    return fail("an untuned entry has no measured time: 'time_us' must be null");
  if (!e.untuned && (!e.timeUs || !(*e.timeUs > 0)))
    return fail("a tuned entry needs a measured 'time_us' > 0");
  ShapeClass measured = classifyShape(e.measuredShape[0], e.measuredShape[1], e.measuredShape[2]);
  if (!(measured == e.shape))
    return fail("'measured_shape' " + llvm::Twine(e.measuredShape[0]) + "x" +
                llvm::Twine(e.measuredShape[1]) + "x" + llvm::Twine(e.measuredShape[2]) +
                " is in class " + measured.str() + ", not the entry's");
  if (e.gpu) {
    const GpuGemmParams &g = *e.gpu;
    if (e.shape.mBucket == 1)
      return fail("M = 1 runs the GEMV kernel, which has no tunable parameters");
    if (g.mma != "sync" && g.mma != "wgmma")
      return fail("mma '" + g.mma + "': expected sync or wgmma");
    if (g.mma == "wgmma" && fileChip != "sm_90a")
      return fail("mma wgmma needs sm_90a");
    if (g.tileM % (g.mma == "wgmma" ? 64 : 16) != 0)
      return fail("tile_m " + llvm::Twine(g.tileM) + " is not a multiple of " +
                  (g.mma == "wgmma" ? "64" : "16") + " (" + g.mma + ")");
    if (g.tileN % 64 != 0)
      return fail("tile_n " + llvm::Twine(g.tileN) + " is not a multiple of 64");
    if (g.persistentBlocks > 0 && g.mma != "wgmma")
      return fail("persistent_blocks needs mma wgmma");
  }
  return llvm::Error::success();
}

llvm::Expected<TuningDatabase> TuningDatabase::parse(llvm::StringRef json,
                                                     llvm::StringRef sourceName) {
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(json);
  if (!value)
    return llvm::createStringError(sourceName +
                                   ": not valid JSON: " + llvm::toString(value.takeError()));
  const llvm::json::Object *top = value->getAsObject();
  if (!top)
    return llvm::createStringError(sourceName + ": expected a JSON object at the top");
  StrictObject o(*top, sourceName.str());
  TuningDatabase db;
  TRY_ASSIGN(format, o.string("format"));
  if (format != kFormatName)
    return o.error("'format' = '" + format + "': expected '" + kFormatName + "'");
  TRY_ASSIGN(version, o.integer("version", kFormatVersion, kFormatVersion));
  (void)version;
  TRY_ASSIGN(chip, o.string("chip"));
  static constexpr const char *chips[] = {"sm_80",  "sm_86",      "sm_89",    "sm_90",
                                          "sm_90a", "cpu-avx512", "cpu-avx2", "cpu-generic"};
  if (!llvm::is_contained(chips, llvm::StringRef(chip)))
    return o.error("'chip' = '" + chip +
                   "': expected sm_80, sm_86, sm_89, sm_90, sm_90a, cpu-avx512, cpu-avx2 or "
                   "cpu-generic");
  db.chip = chip;
  TRY_ASSIGN(entries, o.require("entries"));
  const llvm::json::Array *array = entries->getAsArray();
  if (!array)
    return o.error("'entries' must be an array");
  if (llvm::Error err = o.unknown())
    return std::move(err);
  for (size_t i = 0; i < array->size(); ++i) {
    llvm::Expected<Entry> entry = parseEntry((*array)[i], i, db.chip, sourceName);
    if (!entry)
      return entry.takeError();
    if (db.lookup(entry->kernel, entry->shape))
      return llvm::createStringError(sourceName + ": entries[" + llvm::Twine(i) + "] (" +
                                     entry->describe() + "): a second entry for this class");
    db.entries.push_back(std::move(*entry));
  }
  return db;
}

llvm::Expected<TuningDatabase> TuningDatabase::load(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(path + ": cannot read: " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), path);
}

const Entry *TuningDatabase::lookup(llvm::StringRef kernel, const ShapeClass &shape) const {
  for (const Entry &e : entries)
    if (e.kernel == kernel && e.shape == shape)
      return &e;
  return nullptr;
}

void TuningDatabase::upsert(Entry entry) {
  for (Entry &e : entries)
    if (e.kernel == entry.kernel && e.shape == entry.shape) {
      e = std::move(entry);
      return;
    }
  entries.push_back(std::move(entry));
}

std::string TuningDatabase::toJSON() const {
  std::vector<const Entry *> sorted;
  for (const Entry &e : entries)
    sorted.push_back(&e);
  auto key = [](const Entry *e) {
    // ">64" (0) sorts last.
    int64_t m = e->shape.mBucket == 0 ? INT64_MAX : e->shape.mBucket;
    return std::make_tuple(e->kernel, m, e->shape.n, e->shape.k);
  };
  std::sort(sorted.begin(), sorted.end(),
            [&](const Entry *a, const Entry *b) { return key(a) < key(b); });
  llvm::json::Array array;
  for (const Entry *e : sorted)
    array.push_back(entryToJSON(*e));
  llvm::json::Value top(llvm::json::Object{{"format", kFormatName},
                                           {"version", kFormatVersion},
                                           {"chip", chip},
                                           {"entries", std::move(array)}});
  return llvm::formatv("{0:2}", top).str() + "\n";
}

std::string getDefaultTuningDir() {
  if (std::optional<std::string> env = llvm::sys::Process::GetEnv("BNN_TUNING_DIR");
      env && !env->empty())
    return *env;
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("", &anchor);
  if (!exe.empty()) {
    llvm::SmallString<256> installed(llvm::sys::path::parent_path(exe));
    llvm::sys::path::append(installed, "..", "share", "bnn", "tuning");
    if (llvm::sys::fs::is_directory(installed))
      return std::string(installed);
  }
#ifdef BNN_SOURCE_TUNING_DIR
  if (llvm::sys::fs::is_directory(BNN_SOURCE_TUNING_DIR))
    return BNN_SOURCE_TUNING_DIR;
#endif
  return "";
}

llvm::Expected<std::shared_ptr<const TuningDatabase>>
loadTuningDatabase(llvm::StringRef option, llvm::StringRef chip, std::string *resolvedPath) {
  if (resolvedPath)
    resolvedPath->clear();
  if (option == "none" || option.empty())
    return nullptr;
  std::string path;
  if (option == "default") {
    std::string dir = getDefaultTuningDir();
    if (dir.empty())
      return nullptr;
    llvm::SmallString<256> file(dir);
    llvm::sys::path::append(file, chip + ".json");
    if (!llvm::sys::fs::exists(file))
      return nullptr;
    path = std::string(file);
  } else if (llvm::sys::fs::is_directory(option)) {
    llvm::SmallString<256> file(option);
    llvm::sys::path::append(file, chip + ".json");
    path = std::string(file);
    if (!llvm::sys::fs::exists(path))
      return llvm::createStringError("tuning-db=" + option + ": the directory has no " + chip +
                                     ".json");
  } else {
    path = option.str();
    if (!llvm::sys::fs::exists(path))
      return llvm::createStringError("tuning-db=" + option +
                                     ": no such file or directory (expected a database file, "
                                     "a directory of them, 'default' or 'none')");
  }
  if (resolvedPath)
    *resolvedPath = path;

  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return llvm::createStringError(path + ": " + ec.message());
  std::string cacheKey =
      path + "|" + std::to_string(status.getSize()) + "|" +
      std::to_string(status.getLastModificationTime().time_since_epoch().count());
  static std::mutex mutex;
  static llvm::StringMap<std::shared_ptr<const TuningDatabase>> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(cacheKey);
    if (it != cache.end())
      return it->second;
  }
  llvm::Expected<TuningDatabase> db = TuningDatabase::load(path);
  if (!db)
    return db.takeError();
  if (db->chip != chip)
    return llvm::createStringError(path + ": a database for " + db->chip + ", not " + chip);
  auto shared = std::make_shared<const TuningDatabase>(std::move(*db));
  std::lock_guard<std::mutex> lock(mutex);
  cache[cacheKey] = shared;
  return shared;
}

} // namespace bnn::tuning
