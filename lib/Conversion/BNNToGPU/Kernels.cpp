//===- Kernels.cpp - pack, popcount and GEMV kernels ----------------------===//
//
// The memory-bound kernels. Each is written for memory bandwidth first:
//  - pack: warp-cooperative (selectPackGeometry in Tiling.cpp). A warp converts 8 (f32) or
//    16 (16-bit, i1) consecutive 64-bit words of one row per step: lane l loads elements
//    32*j + l of the step, so every load instruction of the warp reads one contiguous
//    segment, all loads are issued before any ballot, and one vote.ballot per 32 elements is
//    half a word (bit e % 64 of word e / 64, LSB first; elements past K vote 0). Lane i keeps
//    word i of the step, stores it and adds its popcount; the row popcount is a warp
//    butterfly sum (plus shared memory when a few rows are split over several warps).
//  - popcount: groups of lanes per row over already packed words.
//  - gemv: a group of G lanes per rhs row, 16-byte loads, 8 rows per group in flight, the K
//    steps unrolled with every load issued first when there are few (selectGemvGeometry);
//    the lhs words stay in L1. popc(a XOR b) on the CUDA cores needs no row popcounts.
//  - hamming top-k: one block per (query, database shard); thread t scans the shard's rows
//    t, t + T, ... and keeps its k best (distance, index) in a sorted list in shared memory
//    (rows arrive in index order, so a row enters only when strictly closer than the list's
//    last); then log2(T) rounds merge pairs of lists by (distance, index) between two shared
//    buffers, and the first k threads write the block's list. With several shards (few
//    queries: fill the chip), the shards' lists go to scratch and a merge kernel (one block
//    per query, one thread per shard) merges them the same way. Exact for every tie: the
//    order is total.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Epilogue.h"
#include "KernelEmitter.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace bnn::gpugen {

// Declared in GemmKernels.cpp.
void buildMmaSyncGemmBody(KernelEmitter &e, gpu::GPUFuncOp func, const GemmTiling &tiling,
                          int64_t m, int64_t n, int64_t k, const XnorKernelTypes &types,
                          const EpilogueSpec &epilogue);
void buildWgmmaGemmBody(KernelEmitter &e, gpu::GPUFuncOp func, const GemmTiling &tiling,
                        int64_t m, int64_t n, int64_t k, const XnorKernelTypes &types,
                        const EpilogueSpec &epilogue);

namespace {
constexpr int64_t kMemoryBoundBlockSize = 256;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Rows of a packed/float tensor: all dimensions but the last.
int64_t numRows(MemRefType type) {
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back())
    rows *= d;
  return rows;
}

std::string shapeTag(MemRefType type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(type.getShape(), os, "x");
  os << "x";
  type.getElementType().print(os);
  return s;
}

/// Lanes per row: one per word, rounded up to a power of two, at most a warp.
int64_t lanesPerRow(int64_t units) {
  return std::min<int64_t>(32, static_cast<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(units, 1))));
}
} // namespace

//===----------------------------------------------------------------------===//
// Library plumbing
//===----------------------------------------------------------------------===//

std::string EpilogueSpec::tag() const {
  std::string s = output == Output::Int32 ? "i32" : output == Output::Float32 ? "f32" : "bits";
  if (colScale)
    s += "_cs";
  if (rowScale)
    s += "_rs";
  if (bias)
    s += "_b";
  if (relu)
    s += "_relu";
  return s;
}

SmallVector<Type> XnorKernelTypes::inLaunchOrder() const {
  SmallVector<Type> types;
  for (MemRefType t : {lhs, lhsPopcounts, rhs, rhsPopcounts, colScale, rowScale, bias, out})
    if (t)
      types.push_back(t);
  return types;
}

KernelLibrary::KernelLibrary(ModuleOp module, ChipInfo chip)
    : module(module), chip(std::move(chip)) {
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(module.getContext()));
  for (auto existing : module.getOps<gpu::GPUModuleOp>())
    if (existing.getName() == kKernelModuleName)
      gpuModule = existing;
  if (!gpuModule) {
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModuleName);
  }
  for (auto func : gpuModule.getOps<gpu::GPUFuncOp>())
    (void)func; // Kernels from an earlier run are not reused: their geometry is unknown.
}

gpu::GPUFuncOp KernelLibrary::createKernel(StringRef name, TypeRange argTypes, int64_t blockSize) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(gpuModule.getBody());
  auto func = gpu::GPUFuncOp::create(b, module.getLoc(), name, b.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(blockSize), 1, 1}));
  // Buffers handed to a kernel never alias each other (the host allocates each one), and
  // inputs are never written: let the backend use the read-only data path.
  for (unsigned i = 0; i < argTypes.size(); ++i)
    func.setArgAttr(i, "llvm.noalias", b.getUnitAttr());
  return func;
}

//===----------------------------------------------------------------------===//
// pack
//===----------------------------------------------------------------------===//

KernelInfo KernelLibrary::getPackKernel(MemRefType inputType, MemRefType wordsType,
                                        MemRefType popcountsType) {
  const int64_t k = inputType.getShape().back();
  const int64_t rows = numRows(inputType);
  const int64_t words = ceilDiv(k, 64);
  Type elementType = inputType.getElementType();
  std::string name =
      llvm::formatv("bnn_pack_{0}", shapeTag(inputType)).str();
  if (auto it = cache.find(name); it != cache.end())
    return it->second;

  const int64_t elementBytes =
      std::max<int64_t>(1, static_cast<int64_t>(elementType.getIntOrFloatBitWidth()) / 8);
  const PackGeometry g = selectPackGeometry(chip, rows, k, elementBytes);
  const int64_t warpsPerBlock = g.blockSize / 32;
  const int64_t rowsPerBlock = warpsPerBlock / g.warpsPerRow;
  const int64_t u = g.wordsPerStep;
  KernelInfo info;
  info.geometry.grid = {std::max<int64_t>(1, ceilDiv(rows, rowsPerBlock)), 1, 1};
  info.geometry.block = {g.blockSize, 1, 1};
  info.func = createKernel(name, {inputType, wordsType, popcountsType}, g.blockSize);

  ImplicitLocOpBuilder b(module.getLoc(), &info.func.getBody().front(),
                         info.func.getBody().front().begin());
  KernelEmitter e(b);
  Value input = e.flatten(info.func.getArgument(0));
  Value out = e.flatten(info.func.getArgument(1));
  Value popcounts = info.func.getArgument(2);

  // Warp-uniform coordinates: every lane of a warp works on the same row and words, so the
  // ballots and shuffles below always run with the full warp.
  Value tid = e.threadIdX();
  Value lane = e.remu(tid, e.idx(32));
  Value warp = e.divu(tid, e.idx(32));
  Value part = e.remu(warp, e.idx(g.warpsPerRow));
  Value row = e.add(e.mulc(e.blockIdX(), rowsPerBlock), e.divu(warp, e.idx(g.warpsPerRow)));
  Value valid = e.ult(row, e.idx(rows));
  // Warps past the last row run no steps but still join the reduction below.
  Value upper = e.select(valid, e.idx(words), e.idx(0));
  const bool isBool = elementType.isInteger(1);
  // Every element of every step exists: no bounds checks.
  const bool exact = k % 64 == 0 && words % u == 0;

  Value rowBase = e.mulc(row, k);
  Value outBase = e.mulc(row, words);
  Value mask = e.i32(-1);
  SmallVector<Value> total = e.forLoop(
      e.mulc(part, u), upper, e.idx(u * g.warpsPerRow), {e.i32(0)},
      [&](Value w, ValueRange acc) -> SmallVector<Value> {
        // Lane l reads elements 32*j + l of the step's 64*u: each load instruction of the
        // warp reads 32 consecutive elements. All loads are issued before any ballot.
        Value first = e.add(e.mulc(w, 64), lane); // row-local element of j = 0
        SmallVector<Value> elements, inRange;
        for (int64_t j = 0; j < 2 * u; ++j) {
          Value element = e.addc(first, 32 * j);
          if (exact) {
            elements.push_back(e.load(input, e.add(rowBase, element)));
            continue;
          }
          // Elements past K read the row's last element (in bounds) and count as 0.
          Value ok = e.ult(element, e.idx(k));
          inRange.push_back(ok);
          elements.push_back(e.load(input, e.add(rowBase, e.minu(element, e.idx(k - 1)))));
        }
        SmallVector<Value> halves;
        for (int64_t j = 0; j < 2 * u; ++j) {
          Value bit;
          if (isBool) {
            bit = elements[j];
          } else {
            Value zero = arith::ConstantOp::create(b, b.getFloatAttr(elementType, 0.0));
            // !(x < 0): +0, -0 and NaN are all +1.
            bit = arith::CmpFOp::create(b, arith::CmpFPredicate::UGE, elements[j], zero);
          }
          if (!exact)
            bit = e.land(bit, inRange[j]);
          halves.push_back(
              NVVM::VoteSyncOp::create(b, e.i32Ty(), mask, bit, NVVM::VoteSyncKind::ballot));
        }
        // Word i of the step is ballots 2i (bits 0-31) and 2i+1 (bits 32-63); lane i keeps it.
        Value mine = e.i64(0);
        for (int64_t i = 0; i < u; ++i) {
          Value word = e.ori(e.zext64(halves[2 * i]),
                             e.shl(e.zext64(halves[2 * i + 1]), e.i64(32)));
          mine = e.select(e.eq(lane, e.idx(i)), word, mine);
        }
        Value index = e.add(w, lane);
        Value stores = e.land(e.ult(lane, e.idx(u)), e.ult(index, e.idx(words)));
        e.ifThen(stores, [&] { e.store(mine, out, e.add(outBase, index)); });
        // Lanes that store nothing hold 0.
        return {e.add(acc[0], e.trunc32(e.popcount(mine)))};
      });
  Value sum = e.groupSum(total[0], 32);
  Value isLeader = e.eq(lane, e.idx(0));
  if (g.warpsPerRow == 1) {
    e.ifThen(e.land(valid, isLeader), [&] { e.store(sum, popcounts, row); });
  } else {
    // The warps of a row add their sums through shared memory.
    auto partialType = MemRefType::get(
        {warpsPerBlock}, e.i32Ty(), MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup));
    Value partial = info.func.addWorkgroupAttribution(partialType, b.getLoc());
    e.ifThen(isLeader, [&] { e.store(sum, partial, warp); });
    e.barrier();
    e.ifThen(e.land(valid, e.land(isLeader, e.eq(part, e.idx(0)))), [&] {
      Value rowSum = e.i32(0);
      for (int64_t p = 0; p < g.warpsPerRow; ++p)
        rowSum = e.add(rowSum, e.load(partial, e.addc(warp, p)));
      e.store(rowSum, popcounts, row);
    });
  }
  gpu::ReturnOp::create(b);

  cache[name] = info;
  return info;
}

//===----------------------------------------------------------------------===//
// popcount
//===----------------------------------------------------------------------===//

KernelInfo KernelLibrary::getPopcountKernel(MemRefType wordsType, MemRefType popcountsType) {
  const int64_t rows = numRows(wordsType);
  const int64_t words = wordsType.getShape().back();
  std::string name = llvm::formatv("bnn_popcount_{0}", shapeTag(wordsType)).str();
  if (auto it = cache.find(name); it != cache.end())
    return it->second;

  const int64_t group = lanesPerRow(words);
  const int64_t rowsPerBlock = kMemoryBoundBlockSize / group;
  KernelInfo info;
  info.geometry.grid = {std::max<int64_t>(1, ceilDiv(rows, rowsPerBlock)), 1, 1};
  info.geometry.block = {kMemoryBoundBlockSize, 1, 1};
  info.func = createKernel(name, {wordsType, popcountsType}, kMemoryBoundBlockSize);

  ImplicitLocOpBuilder b(module.getLoc(), &info.func.getBody().front(),
                         info.func.getBody().front().begin());
  KernelEmitter e(b);
  Value in = e.flatten(info.func.getArgument(0));
  Value popcounts = info.func.getArgument(1);
  Value tid = e.threadIdX();
  Value lane = e.remu(tid, e.idx(group));
  Value row = e.add(e.mulc(e.blockIdX(), rowsPerBlock), e.divu(tid, e.idx(group)));
  Value valid = e.ult(row, e.idx(rows));
  Value upper = e.select(valid, e.idx(words), e.idx(0));
  Value base = e.mulc(row, words);
  SmallVector<Value> total = e.forLoop(
      lane, upper, e.idx(group), {e.i32(0)}, [&](Value w, ValueRange acc) -> SmallVector<Value> {
        Value word = e.load(in, e.add(base, w));
        return {e.add(acc[0], e.trunc32(e.popcount(word)))};
      });
  Value sum = e.groupSum(total[0], group);
  e.ifThen(e.land(valid, e.eq(lane, e.idx(0))), [&] { e.store(sum, popcounts, row); });
  gpu::ReturnOp::create(b);

  cache[name] = info;
  return info;
}

//===----------------------------------------------------------------------===//
// Epilogue
//===----------------------------------------------------------------------===//

EpilogueEmitter::EpilogueEmitter(KernelEmitter &e, const EpilogueSpec &spec, int64_t m,
                                 int64_t n, Value colScale, Value rowScale, Value bias,
                                 Value out)
    : e(e), specification(spec), m(m), n(n) {
  this->colScale = colScale ? e.flatten(colScale) : Value();
  this->rowScale = rowScale ? e.flatten(rowScale) : Value();
  this->bias = bias ? e.flatten(bias) : Value();
  if (spec.output == EpilogueSpec::Output::Packed)
    outPointer = e.globalPointer(out);
  else
    this->out = e.flatten(out);
}

Value EpilogueEmitter::floatValue(Value dot, Value row, Value col) {
  ImplicitLocOpBuilder &b = e.b;
  Value y = arith::SIToFPOp::create(b, b.getF32Type(), dot);
  // Exactly bnn.xnor_linear's order: ((dot * col_scale) * row_scale) + bias, no contraction.
  if (colScale)
    y = arith::MulFOp::create(b, y, e.load(colScale, col));
  if (rowScale)
    y = arith::MulFOp::create(b, y, e.load(rowScale, row));
  if (bias)
    y = arith::AddFOp::create(b, y, e.load(bias, col));
  if (specification.relu)
    y = arith::MaximumFOp::create(b, y, e.f32(0.0f));
  return y;
}

Value EpilogueEmitter::signBit(Value dot, Value row, Value col) {
  ImplicitLocOpBuilder &b = e.b;
  Value y = floatValue(dot, row, col);
  Value isPlus = arith::CmpFOp::create(b, arith::CmpFPredicate::UGE, y, e.f32(0.0f));
  return arith::ExtUIOp::create(b, e.i32Ty(), isPlus);
}

void EpilogueEmitter::storePair(Value row, Value col, Value dot0, Value dot1) {
  ImplicitLocOpBuilder &b = e.b;
  const bool isFloat = specification.output == EpilogueSpec::Output::Float32;
  Value rowOk = e.ult(row, e.idx(m));
  Value col1 = e.addc(col, 1);
  // Clamped coordinates keep the scale/bias loads in bounds; stores stay guarded.
  Value rowC = e.select(rowOk, row, e.idx(0));
  Value col0C = e.minu(col, e.idx(n - 1));
  Value col1C = e.minu(col1, e.idx(n - 1));
  Value v0 = isFloat ? floatValue(dot0, rowC, col0C) : dot0;
  Value v1 = isFloat ? floatValue(dot1, rowC, col1C) : dot1;
  Value base = e.add(e.mulc(row, n), col);
  if (allInBounds && n % 2 == 0) {
    auto vecType = VectorType::get({2}, v0.getType());
    Value vec = vector::FromElementsOp::create(b, vecType, ValueRange{v0, v1});
    e.vstore(vec, out, base, 8);
    return;
  }
  if (n % 2 == 0) {
    // Both columns are in bounds or neither (col is even), and the pair is 8-byte aligned.
    e.ifThen(e.land(rowOk, e.ult(col, e.idx(n))), [&] {
      auto vecType = VectorType::get({2}, v0.getType());
      Value vec = vector::FromElementsOp::create(b, vecType, ValueRange{v0, v1});
      e.vstore(vec, out, base, 8);
    });
    return;
  }
  e.ifThen(e.land(rowOk, e.ult(col, e.idx(n))), [&] { e.store(v0, out, base); });
  e.ifThen(e.land(rowOk, e.ult(col1, e.idx(n))), [&] { e.store(v1, out, e.addc(base, 1)); });
}

void EpilogueEmitter::storeOne(Value row, Value col, Value dot) {
  Value v = specification.output == EpilogueSpec::Output::Float32 ? floatValue(dot, row, col)
                                                                  : dot;
  e.store(v, out, e.add(e.mulc(row, n), col));
}

void EpilogueEmitter::storePackedU32(Value row, Value u32Index, Value bits) {
  ImplicitLocOpBuilder &b = e.b;
  Value ok = e.land(e.ult(row, e.idx(m)), e.ult(u32Index, e.idx(packedU32PerRow())));
  e.ifThen(ok, [&] {
    // LSB-first words in little-endian memory: columns [32h, 32h + 32) of a row are exactly
    // its h-th u32.
    Value offset = e.indexToI64(e.add(e.mulc(row, packedU32PerRow()), u32Index));
    Value address = LLVM::GEPOp::create(b, outPointer.getType(), b.getI32Type(), outPointer,
                                        ValueRange{offset});
    LLVM::StoreOp::create(b, bits, address, /*alignment=*/4);
  });
}

//===----------------------------------------------------------------------===//
// GEMV (M = 1)
//===----------------------------------------------------------------------===//

namespace {
void buildGemvBody(KernelEmitter &e, gpu::GPUFuncOp func, const GemvGeometry &g, int64_t n,
                   int64_t k, const XnorKernelTypes &types, const EpilogueSpec &epilogue,
                   LaunchGeometry &geometry) {
  ImplicitLocOpBuilder &b = e.b;
  const int64_t words = ceilDiv(k, 64);
  const int64_t perLoad = words % 2 == 0 ? 2 : 1; // 16-byte loads when rows are 16-byte aligned
  const int64_t group = lanesPerRow(ceilDiv(words, perLoad));
  const int64_t rowsPerGroup = g.rowsPerGroup;
  const int64_t groupsPerBlock = g.blockSize / group;
  const int64_t rowsPerBlock = groupsPerBlock * rowsPerGroup;
  geometry.grid = {ceilDiv(n, rowsPerBlock), 1, 1};
  geometry.block = {g.blockSize, 1, 1};

  unsigned arg = 0;
  Value lhs = e.flatten(func.getArgument(arg++));
  Value rhs = e.flatten(func.getArgument(arg++));
  Value colScale = types.colScale ? func.getArgument(arg++) : Value();
  Value rowScale = types.rowScale ? func.getArgument(arg++) : Value();
  Value bias = types.bias ? func.getArgument(arg++) : Value();
  Value out = func.getArgument(arg++);
  EpilogueEmitter epi(e, epilogue, /*m=*/1, n, colScale, rowScale, bias, out);

  Value tid = e.threadIdX();
  Value bid = e.blockIdX();
  Value lane = e.remu(tid, e.idx(group));
  Value groupId = e.divu(tid, e.idx(group));
  Value firstRow = e.add(e.mulc(bid, rowsPerBlock), e.mulc(groupId, rowsPerGroup));
  SmallVector<Value> rowBases;
  for (int64_t r = 0; r < rowsPerGroup; ++r) {
    // Rows past N re-read row N-1; their results are never stored.
    Value row = e.minu(e.addc(firstRow, r), e.idx(n - 1));
    rowBases.push_back(e.mulc(row, words));
  }

  auto vecType = VectorType::get({perLoad}, e.i64Ty());
  const int64_t stride = group * perLoad;
  SmallVector<Value> sums;
  if (words % stride == 0 && words / stride <= g.maxUnrolledSteps) {
    // Every lane runs the same few steps: unrolled, every load issued before any popcount.
    const int64_t steps = words / stride;
    Value first = e.mulc(lane, perLoad);
    SmallVector<Value> a;
    SmallVector<SmallVector<Value>> bw(steps);
    for (int64_t s = 0; s < steps; ++s) {
      Value w = e.addc(first, s * stride);
      a.push_back(e.vload(vecType, lhs, w, 8 * perLoad));
      for (int64_t r = 0; r < rowsPerGroup; ++r)
        bw[s].push_back(e.vload(vecType, rhs, e.add(rowBases[r], w), 8 * perLoad));
    }
    sums.assign(rowsPerGroup, e.i32(0));
    for (int64_t s = 0; s < steps; ++s)
      for (int64_t r = 0; r < rowsPerGroup; ++r) {
        Value x = e.xori(a[s], bw[s][r]);
        for (int64_t j = 0; j < perLoad; ++j)
          sums[r] = e.add(sums[r], e.trunc32(e.popcount(e.extract(x, j))));
      }
  } else {
    SmallVector<Value> zeros(rowsPerGroup, e.i32(0));
    sums = e.forLoop(
        e.mulc(lane, perLoad), e.idx(words), e.idx(stride), zeros,
        [&](Value w, ValueRange acc) -> SmallVector<Value> {
          Value a = e.vload(vecType, lhs, w, 8 * perLoad);
          SmallVector<Value> next;
          for (int64_t r = 0; r < rowsPerGroup; ++r) {
            Value bw = e.vload(vecType, rhs, e.add(rowBases[r], w), 8 * perLoad);
            Value x = e.xori(a, bw);
            Value count = acc[r];
            for (int64_t j = 0; j < perLoad; ++j)
              count = e.add(count, e.trunc32(e.popcount(e.extract(x, j))));
            next.push_back(count);
          }
          return next;
        });
  }

  Value isLeader = e.eq(lane, e.idx(0));
  Value kConst = e.i32(k);
  SmallVector<Value> dots;
  for (int64_t r = 0; r < rowsPerGroup; ++r) {
    Value mismatches = e.groupSum(sums[r], group);
    dots.push_back(e.sub(kConst, e.add(mismatches, mismatches)));
  }

  if (epilogue.output != EpilogueSpec::Output::Packed) {
    for (int64_t r = 0; r < rowsPerGroup; ++r) {
      Value row = e.addc(firstRow, r);
      // The GEMV's output "column" is the rhs row.
      e.ifThen(e.land(isLeader, e.ult(row, e.idx(n))),
               [&] { epi.storeOne(e.idx(0), row, dots[r]); });
    }
    return;
  }

  // Packed output: one bit per rhs row. Gather the block's bits in shared memory, then let
  // one thread per 32 rows write a u32 of the result.
  auto bitsType = MemRefType::get({rowsPerBlock}, e.i32Ty(), MemRefLayoutAttrInterface(),
                                  gpu::AddressSpaceAttr::get(b.getContext(),
                                                             gpu::AddressSpace::Workgroup));
  Value shared = func.addWorkgroupAttribution(bitsType, b.getLoc());
  for (int64_t r = 0; r < rowsPerGroup; ++r) {
    Value row = e.addc(firstRow, r);
    e.ifThen(isLeader, [&] {
      Value rowC = e.minu(row, e.idx(n - 1));
      Value bit = e.select(e.ult(row, e.idx(n)), epi.signBit(dots[r], e.idx(0), rowC), e.i32(0));
      e.store(bit, shared, e.add(e.mulc(groupId, rowsPerGroup), e.idx(r)));
    });
  }
  e.barrier();
  e.ifThen(e.ult(tid, e.idx(rowsPerBlock / 32)), [&] {
    Value bits = e.i32(0);
    for (int64_t j = 0; j < 32; ++j) {
      Value bit = e.load(shared, e.addc(e.mulc(tid, 32), j));
      bits = e.ori(bits, j ? e.shl(bit, e.i32(j)) : bit);
    }
    epi.storePackedU32(e.idx(0), e.add(e.mulc(bid, rowsPerBlock / 32), tid), bits);
  });
}
} // namespace

KernelInfo KernelLibrary::getXnorKernel(const GemmTiling &tiling, int64_t m, int64_t n,
                                        int64_t k, const XnorKernelTypes &types,
                                        const EpilogueSpec &epilogue) {
  std::string name;
  if (tiling.kind == GemmKernelKind::Gemv)
    name = llvm::formatv("bnn_gemv_n{0}_k{1}_{2}", n, k, epilogue.tag()).str();
  else
    name = llvm::formatv("bnn_gemm_{0}_m{1}_n{2}_k{3}_t{4}x{5}x{6}_{7}",
                         stringifyGemmKernelKind(tiling.kind), m, n, k, tiling.tileM,
                         tiling.tileN, tiling.stages, epilogue.tag())
               .str();
  // Leading dimensions of the lhs do not change the code but do change the argument types.
  name += "_" + shapeTag(types.lhs);
  if (auto it = cache.find(name); it != cache.end())
    return it->second;

  KernelInfo info;
  info.func = createKernel(name, types.inLaunchOrder(), tiling.numThreads());
  ImplicitLocOpBuilder b(module.getLoc(), &info.func.getBody().front(),
                         info.func.getBody().front().begin());
  KernelEmitter e(b);
  if (tiling.blocksPerMultiprocessor > 1)
    info.func->setAttr("nvvm.minctasm", b.getI32IntegerAttr(
                                            static_cast<int32_t>(tiling.blocksPerMultiprocessor)));
  switch (tiling.kind) {
  case GemmKernelKind::Gemv:
    buildGemvBody(e, info.func, selectGemvGeometry(chip, n, k), n, k, types, epilogue,
                  info.geometry);
    break;
  case GemmKernelKind::MmaSync:
    buildMmaSyncGemmBody(e, info.func, tiling, m, n, k, types, epilogue);
    break;
  case GemmKernelKind::Wgmma:
    buildWgmmaGemmBody(e, info.func, tiling, m, n, k, types, epilogue);
    break;
  }
  gpu::ReturnOp::create(b);
  if (tiling.kind != GemmKernelKind::Gemv) {
    info.geometry.grid = {ceilDiv(n, tiling.tileN), ceilDiv(m, tiling.tileM), 1};
    if (tiling.persistentBlocks > 0)
      info.geometry.grid = {tiling.persistentBlocks, 1, 1};
    info.geometry.block = {tiling.numThreads(), 1, 1};
    info.geometry.sharedMemoryBytes = tiling.sharedMemoryBytes();
  }
  cache[name] = info;
  return info;
}


//===----------------------------------------------------------------------===//
// hamming top-k
//===----------------------------------------------------------------------===//

namespace {
/// Threads per block of the scan kernel: two shared buffers of T lists of k (i32, i64)
/// entries stay within 24 KiB.
int64_t hammingTopKThreads(int64_t k) {
  int64_t threads = 128;
  while (threads > 32 && 2 * threads * k * 12 > 24 * 1024)
    threads /= 2;
  return threads;
}

constexpr int64_t kNoDistance = INT32_MAX;
constexpr int64_t kNoIndex = INT64_MAX;

/// Two shared buffers of `lists` sorted lists of k (distance, index) entries; entry j of list
/// t at j * lists + t (consecutive threads, consecutive banks).
struct TopKLists {
  struct Buffer {
    Value d, i;
  };
  Buffer buffers[2];
  int64_t lists = 0, k = 0;

  TopKLists(KernelEmitter &e, gpu::GPUFuncOp func, int64_t lists, int64_t k)
      : lists(lists), k(k) {
    auto workgroup = gpu::AddressSpaceAttr::get(e.b.getContext(), gpu::AddressSpace::Workgroup);
    auto type = [&](Type element) {
      return MemRefType::get({k * lists}, element, MemRefLayoutAttrInterface(), workgroup);
    };
    for (Buffer &buffer : buffers) {
      buffer.d = func.addWorkgroupAttribution(type(e.i32Ty()), e.b.getLoc());
      buffer.i = func.addWorkgroupAttribution(type(e.i64Ty()), e.b.getLoc());
    }
  }

  Value slot(KernelEmitter &e, Value entry, Value list) const {
    return e.add(e.mulc(entry, lists), list);
  }

  /// log2(lists) rounds: thread t < s merges lists t and t + s of one buffer by (distance,
  /// index) into list t of the other. Returns the buffer holding the result in list 0. Every
  /// thread of the block must call it (barriers).
  const Buffer &mergeRounds(KernelEmitter &e, Value tid) const {
    int source = 0;
    for (int64_t s = lists / 2; s >= 1; s /= 2) {
      const Buffer &from = buffers[source], &to = buffers[1 - source];
      e.barrier();
      e.ifThen(e.ult(tid, e.idx(s)), [&] {
        Value other = e.addc(tid, s);
        e.forLoop(e.idx(0), e.idx(k), e.idx(1), {e.idx(0), e.idx(0)},
                  [&](Value i, ValueRange at) -> SmallVector<Value> {
                    // at[0] + at[1] = i < k: both positions are inside their lists.
                    Value da = e.load(from.d, slot(e, at[0], tid));
                    Value xa = e.load(from.i, slot(e, at[0], tid));
                    Value db = e.load(from.d, slot(e, at[1], other));
                    Value xb = e.load(from.i, slot(e, at[1], other));
                    Value takeA = e.ori(e.cmp(arith::CmpIPredicate::slt, da, db),
                                        e.land(e.eq(da, db),
                                               e.cmp(arith::CmpIPredicate::slt, xa, xb)));
                    e.store(e.select(takeA, da, db), to.d, slot(e, i, tid));
                    e.store(e.select(takeA, xa, xb), to.i, slot(e, i, tid));
                    Value one = e.idx(1), zero = e.idx(0);
                    return {e.add(at[0], e.select(takeA, one, zero)),
                            e.add(at[1], e.select(takeA, zero, one))};
                  });
      });
      source = 1 - source;
    }
    e.barrier();
    return buffers[source];
  }

  /// Threads 0..k-1 write entry tid of list 0 of `result` at `base + tid`; with `final`, an
  /// empty entry's index becomes -1 (bnn.hamming_topk's convention).
  void write(KernelEmitter &e, const Buffer &result, Value tid, Value distances, Value indices,
             Value base, bool final) const {
    e.ifThen(e.ult(tid, e.idx(k)), [&] {
      Value d = e.load(result.d, slot(e, tid, e.idx(0)));
      Value index = e.load(result.i, slot(e, tid, e.idx(0)));
      if (final)
        index = e.select(e.eq(index, e.i64(kNoIndex)), e.i64(-1), index);
      Value out = e.add(base, tid);
      e.store(d, distances, out);
      e.store(index, indices, out);
    });
  }
};

/// Database shards per query: enough blocks to fill the chip when there are few queries
/// (each shard at least 256 rows per thread), a power of two, at most 128 (the merge kernel's
/// block).
int64_t hammingTopKShards(const ChipInfo &chip, int64_t queries, int64_t rows, int64_t threads) {
  int64_t wanted = ceilDiv(std::max<int64_t>(chip.multiprocessors, 1) * 4, std::max<int64_t>(queries, 1));
  int64_t useful = ceilDiv(rows, threads * 256);
  int64_t shards = 1;
  while (shards * 2 <= std::min<int64_t>({wanted, useful, 128}))
    shards *= 2;
  return shards;
}
} // namespace

KernelInfo KernelLibrary::getHammingScanKernel(MemRefType queriesType, MemRefType databaseType,
                                               MemRefType distancesType, MemRefType indicesType,
                                               int64_t k, int64_t shards) {
  const int64_t q = numRows(queriesType);
  const int64_t n = numRows(databaseType);
  const int64_t words = databaseType.getShape().back();
  std::string name =
      llvm::formatv("bnn_hamming_topk_q{0}_n{1}_w{2}_k{3}_s{4}", q, n, words, k, shards).str();
  if (auto it = cache.find(name); it != cache.end())
    return it->second;

  const int64_t threads = hammingTopKThreads(k);
  const int64_t chunk = ceilDiv(n, shards); // rows per shard
  KernelInfo info;
  info.geometry.grid = {std::max<int64_t>(1, q), shards, 1};
  info.geometry.block = {threads, 1, 1};
  info.func = createKernel(name, {queriesType, databaseType, distancesType, indicesType}, threads);

  ImplicitLocOpBuilder b(module.getLoc(), &info.func.getBody().front(),
                         info.func.getBody().front().begin());
  KernelEmitter e(b);
  Value queries = e.flatten(info.func.getArgument(0));
  Value database = e.flatten(info.func.getArgument(1));
  Value distances = e.flatten(info.func.getArgument(2));
  Value indices = e.flatten(info.func.getArgument(3));
  TopKLists lists(e, info.func, threads, k);
  const TopKLists::Buffer &own = lists.buffers[0];
  Value tid = e.threadIdX();
  Value query = e.blockIdX();
  Value shard = e.blockIdY();
  for (int64_t j = 0; j < k; ++j) {
    e.store(e.i32(kNoDistance), own.d, lists.slot(e, e.idx(j), tid));
    e.store(e.i64(kNoIndex), own.i, lists.slot(e, e.idx(j), tid));
  }

  // The query's words: in registers when there are few, else re-read (L1-resident).
  Value queryBase = e.mulc(query, words);
  constexpr int64_t kQueryWordsInRegisters = 16;
  SmallVector<Value> queryWords;
  if (words <= kQueryWordsInRegisters)
    for (int64_t w = 0; w < words; ++w)
      queryWords.push_back(e.load(queries, e.addc(queryBase, w)));
  auto distanceTo = [&](Value row) -> Value {
    Value rowBase = e.mulc(row, words);
    if (!queryWords.empty()) {
      Value total = e.i32(0);
      for (int64_t w = 0; w < words; ++w)
        total = e.add(total, e.trunc32(e.popcount(
                                 e.xori(queryWords[w], e.load(database, e.addc(rowBase, w))))));
      return total;
    }
    return e.forLoop(e.idx(0), e.idx(words), e.idx(1), {e.i32(0)},
                     [&](Value w, ValueRange acc) -> SmallVector<Value> {
                       Value x = e.xori(e.load(queries, e.add(queryBase, w)),
                                        e.load(database, e.add(rowBase, w)));
                       return {e.add(acc[0], e.trunc32(e.popcount(x)))};
                     })[0];
  };

  // Scan: the shard's rows first + tid, first + tid + T, ... in increasing index order, so a
  // row enters a list only when strictly closer than its last entry.
  Value first = e.mulc(shard, chunk);
  Value last = e.minu(e.addc(first, chunk), e.idx(n));
  e.forLoop(e.add(first, tid), last, e.idx(threads), {},
            [&](Value row, ValueRange) -> SmallVector<Value> {
    Value d = distanceTo(row);
    Value index = e.indexToI64(row);
    Value worst = e.load(own.d, lists.slot(e, e.idx(k - 1), tid));
    e.ifThen(e.cmp(arith::CmpIPredicate::slt, d, worst), [&] {
      // Insertion from the back: entries farther than d move one place down.
      Value placed = e.forLoop(
          e.idx(0), e.idx(k - 1), e.idx(1), {e.boolean(false)},
          [&](Value i, ValueRange carried) -> SmallVector<Value> {
            Value j = e.sub(e.idx(k - 1), i);
            Value before = e.sub(j, e.idx(1));
            Value beforeD = e.load(own.d, lists.slot(e, before, tid));
            Value notPlaced = e.xori(carried[0], e.boolean(true));
            Value move = e.land(notPlaced, e.cmp(arith::CmpIPredicate::sgt, beforeD, d));
            e.ifThen(move, [&] {
              e.store(beforeD, own.d, lists.slot(e, j, tid));
              e.store(e.load(own.i, lists.slot(e, before, tid)), own.i, lists.slot(e, j, tid));
            });
            Value here = e.land(notPlaced, e.xori(move, e.boolean(true)));
            e.ifThen(here, [&] {
              e.store(d, own.d, lists.slot(e, j, tid));
              e.store(index, own.i, lists.slot(e, j, tid));
            });
            return {e.ori(carried[0], here)};
          })[0];
      e.ifThen(e.xori(placed, e.boolean(true)), [&] {
        e.store(d, own.d, lists.slot(e, e.idx(0), tid));
        e.store(index, own.i, lists.slot(e, e.idx(0), tid));
      });
    });
    return {};
  });

  const TopKLists::Buffer &result = lists.mergeRounds(e, tid);
  // One shard writes the results; several write their lists to scratch, (query, shard)-major.
  Value base = e.mulc(e.add(e.mulc(query, shards), shard), k);
  lists.write(e, result, tid, distances, indices, base, /*final=*/shards == 1);
  gpu::ReturnOp::create(b);

  cache[name] = info;
  return info;
}

KernelInfo KernelLibrary::getHammingMergeKernel(MemRefType scratchDistancesType,
                                                MemRefType scratchIndicesType,
                                                MemRefType distancesType,
                                                MemRefType indicesType, int64_t k,
                                                int64_t shards) {
  const int64_t q = numRows(distancesType);
  std::string name = llvm::formatv("bnn_hamming_topk_merge_q{0}_k{1}_s{2}", q, k, shards).str();
  if (auto it = cache.find(name); it != cache.end())
    return it->second;
  // Thread t loads shard t's list; k <= 32 <= the block when shards < 32 is not guaranteed,
  // so the block has max(shards, 32) threads and the extra ones hold empty lists.
  const int64_t threads = std::max<int64_t>(shards, 32);
  KernelInfo info;
  info.geometry.grid = {std::max<int64_t>(1, q), 1, 1};
  info.geometry.block = {threads, 1, 1};
  info.func = createKernel(
      name, {scratchDistancesType, scratchIndicesType, distancesType, indicesType}, threads);
  ImplicitLocOpBuilder b(module.getLoc(), &info.func.getBody().front(),
                         info.func.getBody().front().begin());
  KernelEmitter e(b);
  Value scratchD = e.flatten(info.func.getArgument(0));
  Value scratchI = e.flatten(info.func.getArgument(1));
  Value distances = e.flatten(info.func.getArgument(2));
  Value indices = e.flatten(info.func.getArgument(3));
  TopKLists lists(e, info.func, threads, k);
  const TopKLists::Buffer &own = lists.buffers[0];
  Value tid = e.threadIdX();
  Value query = e.blockIdX();
  Value isShard = e.ult(tid, e.idx(shards));
  Value base = e.mulc(e.add(e.mulc(query, shards), e.select(isShard, tid, e.idx(0))), k);
  for (int64_t j = 0; j < k; ++j) {
    Value d = e.load(scratchD, e.addc(base, j));
    Value index = e.load(scratchI, e.addc(base, j));
    e.store(e.select(isShard, d, e.i32(kNoDistance)), own.d, lists.slot(e, e.idx(j), tid));
    e.store(e.select(isShard, index, e.i64(kNoIndex)), own.i, lists.slot(e, e.idx(j), tid));
  }
  const TopKLists::Buffer &result = lists.mergeRounds(e, tid);
  lists.write(e, result, tid, distances, indices, e.mulc(query, k), /*final=*/true);
  gpu::ReturnOp::create(b);
  cache[name] = info;
  return info;
}

HammingTopKPlan KernelLibrary::getHammingTopKKernels(MemRefType queries, MemRefType database,
                                                     MemRefType distances, MemRefType indices,
                                                     int64_t k) {
  HammingTopKPlan plan;
  const int64_t q = numRows(queries);
  plan.shards = hammingTopKShards(chip, q, numRows(database), hammingTopKThreads(k));
  if (plan.shards == 1) {
    plan.scan = getHammingScanKernel(queries, database, distances, indices, k, 1);
    return plan;
  }
  MLIRContext *ctx = module.getContext();
  plan.scratchDistances = MemRefType::get({q * plan.shards * k}, IntegerType::get(ctx, 32));
  plan.scratchIndices = MemRefType::get({q * plan.shards * k}, IntegerType::get(ctx, 64));
  plan.scan = getHammingScanKernel(queries, database, plan.scratchDistances, plan.scratchIndices,
                                   k, plan.shards);
  plan.merge = getHammingMergeKernel(plan.scratchDistances, plan.scratchIndices, distances,
                                     indices, k, plan.shards);
  return plan;
}

} // namespace bnn::gpugen
