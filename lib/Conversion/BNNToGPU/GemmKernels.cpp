//===- GemmKernels.cpp - binary GEMM on the b1 tensor cores ---------------===//
//
// Two kernels compute dot[m][n] = K - 2*(popc(a_m) + popc(b_n) - 2*popc(a_m AND b_n)) with the
// AND+POPC tensor-core MMA (the only b1 operation sm_90 runs natively; XOR+POPC is emulated):
//
//  - mma.sync.m16n8k256.row.col.s32.b1.b1.s32.and.popc, warp-level (sm_80 and newer);
//  - wgmma.mma_async.m64nNk256.s32.b1.b1.and.popc, warpgroup-level (sm_90a).
//
// Both stage operand tiles through shared memory with cp.async (zero-filling rows past M/N and
// words past K, which then add nothing to any popcount) in the layout wgmma reads: every tile
// row holds 1024 bits of K in 128 bytes, rows come in 1024-byte groups of 8, and the 16-byte
// chunk c of row r sits at chunk position c ^ (r % 8) (the 128-byte swizzle). The mma.sync
// kernel reads the same layout with ldmatrix, conflict-free thanks to the swizzle.
//
// Bits inside a 32-bit fragment register may be permuted freely, as long as the A and B
// fragments use the same mapping: the packed LSB-first words therefore feed the MMAs as they
// are, with no repacking.
//
//===----------------------------------------------------------------------===//

#include "Epilogue.h"
#include "KernelEmitter.h"
#include "Kernels.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace bnn::gpugen {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct GemmArgs {
  Value lhs, lhsPopcounts, rhs, rhsPopcounts, colScale, rowScale, bias, out;
};

GemmArgs unpackArgs(gpu::GPUFuncOp func, const XnorKernelTypes &types) {
  GemmArgs args;
  unsigned i = 0;
  args.lhs = func.getArgument(i++);
  args.lhsPopcounts = func.getArgument(i++);
  args.rhs = func.getArgument(i++);
  args.rhsPopcounts = func.getArgument(i++);
  if (types.colScale)
    args.colScale = func.getArgument(i++);
  if (types.rowScale)
    args.rowScale = func.getArgument(i++);
  if (types.bias)
    args.bias = func.getArgument(i++);
  args.out = func.getArgument(i++);
  return args;
}

/// The pipelined shared-memory operand tiles, shared by both kernels.
class StageBuffers {
public:
  StageBuffers(KernelEmitter &e, const GemmTiling &tiling)
      : e(e), tiling(tiling), rowsPerStage(tiling.tileM + tiling.tileN) {
    MLIRContext *ctx = e.b.getContext();
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, e.b.getI8Type(),
                                     MemRefLayoutAttrInterface(), workgroup);
    bytes = gpu::DynamicSharedMemoryOp::create(e.b, bytesType);
    int64_t totalRows = tiling.stages * rowsPerStage;
    words = memref::ViewOp::create(
        e.b,
        MemRefType::get({totalRows * kStageKWords}, e.i64Ty(), MemRefLayoutAttrInterface(),
                        workgroup),
        bytes, e.idx(0), ValueRange{});
    halves = memref::ViewOp::create(
        e.b,
        MemRefType::get({totalRows * kStageKWords * 2}, e.i32Ty(), MemRefLayoutAttrInterface(),
                        workgroup),
        bytes, e.idx(0), ValueRange{});
  }

  /// Position of 16-byte chunk `chunk` of `row` (row within a stage) after the swizzle.
  Value swizzle(Value row, Value chunk) { return e.xori(chunk, e.andi(row, e.idx(7))); }

  /// Index into `words` of the first word of a (stage, row, chunk) 16-byte chunk.
  Value wordIndex(Value stage, Value row, Value chunk) {
    Value rowIndex = e.add(e.mulc(stage, rowsPerStage), row);
    return e.add(e.mulc(rowIndex, kStageKWords), e.mulc(swizzle(row, chunk), 2));
  }
  /// Index into `halves` of the first u32 of a (stage, row, chunk) 16-byte chunk.
  Value halfIndex(Value stage, Value row, Value chunk) {
    Value rowIndex = e.add(e.mulc(stage, rowsPerStage), row);
    return e.add(e.mulc(rowIndex, 2 * kStageKWords), e.mulc(swizzle(row, chunk), 4));
  }

  /// Issues the cp.async copies of K tile `kTile` (kStageKWords words of every operand row)
  /// into `stage`. Thread t copies 16-byte chunk t % 8 of rows t / 8 + i * (T / 8).
  void loadTile(Value tid, Value m0, Value n0, Value kTile, Value stage, Value lhs, Value rhs,
                int64_t m, int64_t n, int64_t numWords) {
    const int64_t rowsPerRound = tiling.numThreads() / 8;
    Value chunk = e.remu(tid, e.idx(8));
    Value rowInRound = e.divu(tid, e.idx(8));
    Value firstWord = e.add(e.mulc(kTile, kStageKWords), e.mulc(chunk, 2));

    auto copyRow = [&](bool isLhs, Value row) {
      Value source = isLhs ? lhs : rhs;
      int64_t limit = isLhs ? m : n;
      Value globalRow = isLhs ? e.add(m0, row) : e.add(n0, e.addc(row, -tiling.tileM));
      Value rowOk = e.ult(globalRow, e.idx(limit));
      Value dst = wordIndex(stage, row, chunk);
      // Rows are 16-byte aligned only when they hold an even number of words.
      const int64_t perCopy = numWords % 2 == 0 ? 2 : 1;
      for (int64_t part = 0; part < 2 / perCopy; ++part) {
        Value word = e.addc(firstWord, part);
        Value ok = e.land(rowOk, e.ult(word, e.idx(numWords)));
        // Out-of-range copies read nothing (src-size 0) and zero-fill; keep the address valid.
        Value src = e.select(ok, e.add(e.mulc(globalRow, numWords), word), e.idx(0));
        Value srcElements = e.select(ok, e.idx(perCopy), e.idx(0));
        nvgpu::DeviceAsyncCopyOp::create(
            e.b, nvgpu::DeviceAsyncTokenType::get(e.b.getContext()), words,
            ValueRange{e.addc(dst, part)}, source, ValueRange{src},
            e.b.getIndexAttr(perCopy), srcElements,
            perCopy == 2 ? e.b.getUnitAttr() : UnitAttr());
      }
    };

    for (int64_t first = 0; first < rowsPerStage; first += rowsPerRound) {
      Value row = e.addc(rowInRound, first);
      const int64_t last = first + rowsPerRound; // exclusive
      if (last <= tiling.tileM) {
        copyRow(/*isLhs=*/true, row);
      } else if (first >= tiling.tileM && last <= rowsPerStage) {
        copyRow(/*isLhs=*/false, row);
      } else {
        // A round that straddles the lhs/rhs boundary or the end of the stage.
        e.ifThen(e.ult(row, e.idx(std::min(tiling.tileM, last))),
                 [&] { copyRow(/*isLhs=*/true, row); });
        e.ifThen(e.land(e.ult(row, e.idx(rowsPerStage)),
                        e.cmp(arith::CmpIPredicate::uge, row, e.idx(tiling.tileM))),
                 [&] { copyRow(/*isLhs=*/false, row); });
      }
    }
  }

  KernelEmitter &e;
  const GemmTiling &tiling;
  int64_t rowsPerStage;
  Value bytes, words, halves;
};

/// dot = K - 2*(popc(a) + popc(b)) + 4*popc(a AND b), all i32.
Value dotFromAndPopcount(KernelEmitter &e, int64_t k, Value popA, Value popB, Value andCount) {
  Value sum = e.add(popA, popB);
  Value result = e.sub(e.i32(k), e.add(sum, sum));
  return e.add(result, e.shl(andCount, e.i32(2)));
}

/// Stores one thread's share of a 16 x (8 * numBlocks) accumulator tile in the mma/wgmma
/// fragment layout: for n8 block j, values[4j + 0/1] are (row0, col0 + 8j + 0/1) and
/// values[4j + 2/3] are (row0 + 8, ...), where col0 = colBase + 2 * (lane % 4).
/// Packed results need colBase to be a multiple of 32 and numBlocks of 4.
void storeAccumulatorFragment(KernelEmitter &e, EpilogueEmitter &epi, int64_t m, int64_t n,
                              int64_t k, Value lhsPopcounts, Value rhsPopcounts, Value lane,
                              Value row0, Value colBase, ArrayRef<Value> values) {
  const int64_t numBlocks = values.size() / 4;
  Value g = e.divu(lane, e.idx(4));
  Value t = e.remu(lane, e.idx(4));
  Value rows[2] = {e.add(row0, g), e.add(row0, e.addc(g, 8))};
  Value popA[2];
  for (int h = 0; h < 2; ++h)
    popA[h] = e.load(lhsPopcounts, e.minu(rows[h], e.idx(m - 1)));
  Value colOfLane = e.add(colBase, e.mulc(t, 2));

  const bool packed = epi.spec().output == EpilogueSpec::Output::Packed;
  SmallVector<Value> masks[2];
  Value twoT = packed ? e.indexToI32(e.mulc(t, 2)) : Value();
  // Every rhs popcount this lane needs is loaded first, in one batch: interleaved with the
  // stores below, each load's latency would be paid once per 8-column block.
  SmallVector<std::pair<Value, Value>> popB;
  for (int64_t j = 0; j < numBlocks; ++j) {
    Value col = e.addc(colOfLane, 8 * j);
    popB.push_back({e.load(rhsPopcounts, e.minu(col, e.idx(n - 1))),
                    e.load(rhsPopcounts, e.minu(e.addc(col, 1), e.idx(n - 1)))});
  }
  for (int64_t j = 0; j < numBlocks; ++j) {
    Value col = e.addc(colOfLane, 8 * j);
    Value col1 = e.addc(col, 1);
    auto [popB0, popB1] = popB[j];
    for (int h = 0; h < 2; ++h) {
      Value d0 = dotFromAndPopcount(e, k, popA[h], popB0, values[4 * j + 2 * h]);
      Value d1 = dotFromAndPopcount(e, k, popA[h], popB1, values[4 * j + 2 * h + 1]);
      if (!packed) {
        epi.storePair(rows[h], col, d0, d1);
        continue;
      }
      Value rowC = e.minu(rows[h], e.idx(m - 1));
      Value bit0 = e.select(e.ult(col, e.idx(n)),
                            epi.signBit(d0, rowC, e.minu(col, e.idx(n - 1))), e.i32(0));
      Value bit1 = e.select(e.ult(col1, e.idx(n)),
                            epi.signBit(d1, rowC, e.minu(col1, e.idx(n - 1))), e.i32(0));
      Value shift = e.add(twoT, e.i32(8 * (j % 4)));
      Value pair = e.ori(e.shl(bit0, shift), e.shl(bit1, e.add(shift, e.i32(1))));
      if (j % 4 == 0)
        masks[h].push_back(pair);
      else
        masks[h].back() = e.ori(masks[h].back(), pair);
    }
  }
  if (!packed)
    return;
  // The four lanes of a quad hold interleaved columns of the same rows: OR them together and
  // let the first lane store each 32-column group as one u32 of the packed row.
  Value isFirst = e.eq(t, e.idx(0));
  for (int h = 0; h < 2; ++h) {
    for (auto [q, mask] : llvm::enumerate(masks[h])) {
      Value bits = e.groupOr(mask, 4);
      Value u32Index = e.addc(e.divu(colBase, e.idx(32)), q);
      e.ifThen(isFirst, [&] { epi.storePackedU32(rows[h], u32Index, bits); });
    }
  }
}

} // namespace

/// What both GEMM kernels start from: the flattened operand and row-popcount buffers, the
/// epilogue (unguarded when the tiles divide M and N), the shared-memory stages, the thread id.
struct GemmSetup {
  GemmSetup(KernelEmitter &e, const GemmArgs &args, const GemmTiling &tiling,
            const EpilogueSpec &epilogue, int64_t m, int64_t n)
      : lhs(e.flatten(args.lhs)), rhs(e.flatten(args.rhs)),
        lhsPop(e.flatten(args.lhsPopcounts)), rhsPop(e.flatten(args.rhsPopcounts)),
        epi(e, epilogue, m, n, args.colScale, args.rowScale, args.bias, args.out),
        tiles(e, tiling) {
    epi.setAllInBounds(m % tiling.tileM == 0 && n % tiling.tileN == 0);
    tid = e.threadIdX();
  }

  Value lhs, rhs, lhsPop, rhsPop;
  EpilogueEmitter epi;
  StageBuffers tiles;
  Value tid;
};

//===----------------------------------------------------------------------===//
// mma.sync
//===----------------------------------------------------------------------===//

void buildMmaSyncGemmBody(KernelEmitter &e, gpu::GPUFuncOp func, const GemmTiling &tiling,
                          int64_t m, int64_t n, int64_t k, const XnorKernelTypes &types,
                          const EpilogueSpec &epilogue) {
  ImplicitLocOpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  GemmArgs args = unpackArgs(func, types);
  const int64_t numWords = ceilDiv(k, 64);
  const int64_t kTiles = ceilDiv(numWords, kStageKWords);
  const int64_t stages = tiling.stages;
  const int64_t warpM = tiling.tileM / tiling.warpsM; // rows per warp
  const int64_t warpN = tiling.tileN / tiling.warpsN; // columns per warp
  const int64_t mTiles = warpM / 16, nTiles = warpN / 8;

  GemmSetup setup(e, args, tiling, epilogue, m, n);
  Value lhs = setup.lhs, rhs = setup.rhs, lhsPop = setup.lhsPop, rhsPop = setup.rhsPop;
  EpilogueEmitter &epi = setup.epi;
  StageBuffers &tiles = setup.tiles;
  Value tid = setup.tid;
  Value warp = e.divu(tid, e.idx(32));
  Value lane = e.remu(tid, e.idx(32));
  Value warpRow = e.mulc(e.divu(warp, e.idx(tiling.warpsN)), warpM);
  Value warpCol = e.mulc(e.remu(warp, e.idx(tiling.warpsN)), warpN);
  Value m0 = e.mulc(e.blockIdY(), tiling.tileM);
  Value n0 = e.mulc(e.blockIdX(), tiling.tileN);

  // Prologue: the first stages - 1 K tiles in flight.
  for (int64_t s = 0; s < stages - 1; ++s) {
    if (s < kTiles)
      tiles.loadTile(tid, m0, n0, e.idx(s), e.idx(s), lhs, rhs, m, n, numWords);
    NVVM::CpAsyncCommitGroupOp::create(b);
  }

  // ldmatrix addresses: A x4 = rows 0-7/8-15 of chunks 2ks/2ks+1 (lane % 16, lane / 16);
  // B x4 = two n8 tiles, chunks 2ks/2ks+1 (lane % 8 + 8 * (lane / 16), (lane / 8) % 2).
  Value aRowOfLane = e.add(warpRow, e.remu(lane, e.idx(16)));
  Value aChunkOfLane = e.divu(lane, e.idx(16));
  Value bRowOfLane = e.add(e.addc(warpCol, tiling.tileM),
                           e.add(e.remu(lane, e.idx(8)), e.mulc(e.divu(lane, e.idx(16)), 8)));
  Value bChunkOfLane = e.remu(e.divu(lane, e.idx(8)), e.idx(2));

  auto i32Ty = e.i32Ty();
  auto accStruct = LLVM::LLVMStructType::getLiteral(ctx, {i32Ty, i32Ty, i32Ty, i32Ty});
  auto fragType = VectorType::get({4, 1}, i32Ty);
  SmallVector<Value> zeros(mTiles * nTiles * 4, e.i32(0));

  SmallVector<Value> acc = e.forLoop(
      e.idx(0), e.idx(kTiles), e.idx(1), zeros,
      [&](Value kTile, ValueRange carried) -> SmallVector<Value> {
        NVVM::CpAsyncWaitGroupOp::create(b, stages - 2);
        e.barrier();
        // Refill the stage every warp finished reading in the previous iteration.
        Value next = e.addc(kTile, stages - 1);
        e.ifThen(e.ult(next, e.idx(kTiles)), [&] {
          tiles.loadTile(tid, m0, n0, next, e.remu(next, e.idx(stages)), lhs, rhs, m, n,
                         numWords);
        });
        NVVM::CpAsyncCommitGroupOp::create(b);

        Value stage = e.remu(kTile, e.idx(stages));
        SmallVector<Value> values(carried.begin(), carried.end());
        for (int64_t ks = 0; ks < kStageKWords / 4; ++ks) {
          SmallVector<Value> aFrags, bFrags;
          for (int64_t mi = 0; mi < mTiles; ++mi) {
            Value index = tiles.halfIndex(stage, e.addc(aRowOfLane, mi * 16),
                                          e.addc(aChunkOfLane, 2 * ks));
            aFrags.push_back(nvgpu::LdMatrixOp::create(b, fragType, tiles.halves,
                                                       ValueRange{index}, false, 4));
          }
          for (int64_t p = 0; p < nTiles / 2; ++p) {
            Value index = tiles.halfIndex(stage, e.addc(bRowOfLane, p * 16),
                                          e.addc(bChunkOfLane, 2 * ks));
            bFrags.push_back(nvgpu::LdMatrixOp::create(b, fragType, tiles.halves,
                                                       ValueRange{index}, false, 4));
          }
          auto reg = [&](Value frag, int64_t i) {
            return vector::ExtractOp::create(b, frag, ArrayRef<int64_t>{i, 0}).getResult();
          };
          for (int64_t mi = 0; mi < mTiles; ++mi) {
            for (int64_t ni = 0; ni < nTiles; ++ni) {
              Value bf = bFrags[ni / 2];
              int64_t first = 2 * (ni % 2);
              SmallVector<Value> a = {reg(aFrags[mi], 0), reg(aFrags[mi], 1),
                                      reg(aFrags[mi], 2), reg(aFrags[mi], 3)};
              SmallVector<Value> bv = {reg(bf, first), reg(bf, first + 1)};
              int64_t at = 4 * (mi * nTiles + ni);
              SmallVector<Value> c(values.begin() + at, values.begin() + at + 4);
              auto mma = NVVM::MmaOp::create(
                  b, accStruct, a, bv, c, ArrayRef<int64_t>{16, 8, 256},
                  NVVM::MMAB1Op::and_popc, std::nullopt,
                  std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::b1, NVVM::MMATypes::b1},
                  std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                 NVVM::MMALayout::col});
              for (int64_t i = 0; i < 4; ++i)
                values[at + i] = LLVM::ExtractValueOp::create(b, mma, ArrayRef<int64_t>{i});
            }
          }
        }
        return values;
      });
  NVVM::CpAsyncWaitGroupOp::create(b, 0);

  for (int64_t mi = 0; mi < mTiles; ++mi) {
    SmallVector<Value> row;
    for (int64_t ni = 0; ni < nTiles; ++ni)
      for (int64_t i = 0; i < 4; ++i)
        row.push_back(acc[4 * (mi * nTiles + ni) + i]);
    storeAccumulatorFragment(e, epi, m, n, k, lhsPop, rhsPop, lane,
                             e.add(m0, e.addc(warpRow, mi * 16)), e.add(n0, warpCol), row);
  }
}

//===----------------------------------------------------------------------===//
// wgmma
//===----------------------------------------------------------------------===//

namespace {
/// A shared-memory matrix descriptor for a K-major operand in the 128-byte swizzle layout:
/// start address >> 4, leading byte offset 16 (unused for swizzled K-major), stride byte offset
/// 1024 (between groups of 8 rows), layout type 1 = 128-byte swizzle.
Value wgmmaDescriptor(KernelEmitter &e, Value sharedAddress) {
  Value start = e.shru(e.andi(sharedAddress, e.i64(0x3FFFF)), e.i64(4));
  int64_t fixed = (int64_t(1) << 16) | (int64_t(1024 >> 4) << 32) | (int64_t(1) << 62);
  return e.ori(start, e.i64(fixed));
}

/// One wgmma.mma_async m64nNk256 b1 AND+POPC accumulating into `acc` (N/2 i32 registers).
/// Written as inline PTX: the NVVM op of MLIR 22 prints b1 wgmma without the mandatory
/// `.and.popc` suffix, which ptxas rejects.
SmallVector<Value> emitWgmma(KernelEmitter &e, int64_t tileN, ValueRange acc, Value descA,
                             Value descB, Value accumulate = Value()) {
  ImplicitLocOpBuilder &b = e.b;
  const int64_t regs = tileN / 2;
  std::string registers, constraints;
  for (int64_t i = 0; i < regs; ++i) {
    registers += (i ? ", $" : "$") + std::to_string(i);
    constraints += (i ? ",=r" : "=r");
  }
  for (int64_t i = 0; i < regs; ++i)
    constraints += "," + std::to_string(i);
  constraints += ",l,l";
  // scale-d: 0 makes this wgmma overwrite the accumulator instead of adding to it.
  std::string scaleD = accumulate ? "$" + std::to_string(2 * regs + 2) : std::string("1");
  if (accumulate)
    constraints += ",r";
  std::string ptx = llvm::formatv("{{\n.reg .pred p;\nsetp.ne.b32 p, {4}, 0;\n"
                                  "wgmma.mma_async.sync.aligned.m64n{0}k256.s32.b1.b1.and.popc "
                                  "{{{1}}, ${2}, ${3}, p;\n}\n",
                                  tileN, registers, 2 * regs, 2 * regs + 1, scaleD)
                        .str();
  SmallVector<Type> fields(regs, e.i32Ty());
  auto structType = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  SmallVector<Value> operands(acc.begin(), acc.end());
  operands.push_back(descA);
  operands.push_back(descB);
  if (accumulate)
    operands.push_back(accumulate);
  auto asmOp = LLVM::InlineAsmOp::create(
      b, structType, operands, b.getStringAttr(ptx), b.getStringAttr(constraints),
      b.getUnitAttr(), UnitAttr(), LLVM::TailCallKindAttr(),
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT), ArrayAttr());
  SmallVector<Value> results;
  for (int64_t i = 0; i < regs; ++i)
    results.push_back(LLVM::ExtractValueOp::create(b, asmOp.getResult(0), ArrayRef<int64_t>{i}));
  return results;
}
} // namespace

void buildWgmmaGemmBody(KernelEmitter &e, gpu::GPUFuncOp func, const GemmTiling &tiling,
                        int64_t m, int64_t n, int64_t k, const XnorKernelTypes &types,
                        const EpilogueSpec &epilogue) {
  ImplicitLocOpBuilder &b = e.b;
  GemmArgs args = unpackArgs(func, types);
  const int64_t numWords = ceilDiv(k, 64);
  const int64_t kTiles = ceilDiv(numWords, kStageKWords);
  const int64_t stages = tiling.stages;
  // Loads run `prefetch` tiles ahead: the stage refilled in iteration i was last read by the
  // wgmma group of iteration i - 2, which every warpgroup has waited for (wait_group 1 in
  // iteration i - 1) before the barrier of iteration i.
  const int64_t prefetch = stages - 2;
  const int64_t bytesPerRow = kStageKBits / 8;

  GemmSetup setup(e, args, tiling, epilogue, m, n);
  Value lhs = setup.lhs, rhs = setup.rhs, lhsPop = setup.lhsPop, rhsPop = setup.rhsPop;
  EpilogueEmitter &epi = setup.epi;
  StageBuffers &tiles = setup.tiles;
  Value tid = setup.tid;
  Value warpgroup = e.divu(tid, e.idx(128));
  Value warpInGroup = e.divu(e.remu(tid, e.idx(128)), e.idx(32));
  Value lane = e.remu(tid, e.idx(32));
  Value sharedBase = e.indexToI64(memref::ExtractAlignedPointerAsIndexOp::create(b, tiles.bytes));
  Value aOffset = e.indexToI64(e.mulc(warpgroup, 64 * bytesPerRow));

  // The output tiles of this block and the flattened (tile, K tile) iteration space: block b
  // of `blocks` owns tiles b, b + blocks, ... (one block per tile when not persistent). The
  // pipeline runs across tile boundaries, so the next tile's first K tiles are in flight
  // while this tile's epilogue stores.
  const int64_t tilesN = ceilDiv(n, tiling.tileN);
  const int64_t numTiles = ceilDiv(m, tiling.tileM) * tilesN;
  const bool persistent = tiling.persistentBlocks > 0;
  const int64_t blocks = persistent ? tiling.persistentBlocks : numTiles;
  Value block = persistent ? e.blockIdX() : e.add(e.mulc(e.blockIdY(), tilesN), e.blockIdX());
  Value myTiles =
      persistent ? e.divu(e.add(e.sub(e.idx(numTiles), block), e.idx(blocks - 1)), e.idx(blocks))
                 : e.idx(1);
  Value total = e.mulc(myTiles, kTiles);
  auto originOf = [&](Value iteration) -> std::pair<Value, Value> {
    Value tile = e.add(block, e.mulc(e.divu(iteration, e.idx(kTiles)), blocks));
    return {e.mulc(e.divu(tile, e.idx(tilesN)), tiling.tileM),
            e.mulc(e.remu(tile, e.idx(tilesN)), tiling.tileN)};
  };
  auto load = [&](Value iteration) {
    auto [m0, n0] = originOf(iteration);
    tiles.loadTile(tid, m0, n0, e.remu(iteration, e.idx(kTiles)),
                   e.remu(iteration, e.idx(stages)), lhs, rhs, m, n, numWords);
  };

  for (int64_t s = 0; s < prefetch; ++s) {
    e.ifThen(e.ult(e.idx(s), total), [&] { load(e.idx(s)); });
    NVVM::CpAsyncCommitGroupOp::create(b);
  }

  SmallVector<Value> zeros(tiling.tileN / 2, e.i32(0));
  e.forLoop(
      e.idx(0), total, e.idx(1), zeros,
      [&](Value iteration, ValueRange carried) -> SmallVector<Value> {
        NVVM::CpAsyncWaitGroupOp::create(b, prefetch - 1);
        // cp.async wrote through the generic proxy; wgmma reads through the async proxy.
        NVVM::FenceProxyOp::create(
            b, NVVM::ProxyKindAttr::get(b.getContext(), NVVM::ProxyKind::async_shared),
            NVVM::SharedSpaceAttr::get(b.getContext(), NVVM::SharedSpace::shared_cta));
        e.barrier();
        Value stage = e.indexToI64(e.remu(iteration, e.idx(stages)));
        Value stageBase =
            e.add(sharedBase, e.mul(stage, e.i64(tiles.rowsPerStage * bytesPerRow)));
        Value aBase = e.add(stageBase, aOffset);
        Value bBase = e.add(stageBase, e.i64(tiling.tileM * bytesPerRow));
        NVVM::WgmmaFenceAlignedOp::create(b);
        SmallVector<Value> values(carried.begin(), carried.end());
        // A tile's first K tile starts from zero (scale-d 0) rather than from zeroed
        // registers: the accumulators stay in the wgmma chain, never copied while in flight.
        Value kTile = e.remu(iteration, e.idx(kTiles));
        Value accumulate = e.indexToI32(e.minu(kTile, e.idx(1)));
        for (int64_t ks = 0; ks < kStageKBits / 256; ++ks) {
          Value descA = wgmmaDescriptor(e, e.add(aBase, e.i64(32 * ks)));
          Value descB = wgmmaDescriptor(e, e.add(bBase, e.i64(32 * ks)));
          values = emitWgmma(e, tiling.tileN, values, descA, descB,
                             ks == 0 ? accumulate : Value());
        }
        NVVM::WgmmaGroupSyncAlignedOp::create(b);
        NVVM::WgmmaWaitGroupSyncOp::create(b, 1);
        Value next = e.addc(iteration, prefetch);
        e.ifThen(e.ult(next, total), [&] { load(next); });
        NVVM::CpAsyncCommitGroupOp::create(b);
        // The tile's last K tile: store it (the next tile's first loads are in flight).
        e.ifThen(e.eq(kTile, e.idx(kTiles - 1)), [&] {
          NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
          auto [m0, n0] = originOf(iteration);
          // Accumulator layout of m64nN: warp w of the warpgroup owns rows 16w..16w+15, in
          // the same per-n8-block fragment layout as mma.sync.
          Value row0 = e.add(m0, e.add(e.mulc(warpgroup, 64), e.mulc(warpInGroup, 16)));
          storeAccumulatorFragment(e, epi, m, n, k, lhsPop, rhsPop, lane, row0, n0, values);
        });
        return values;
      });
  NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
  NVVM::CpAsyncWaitGroupOp::create(b, 0);
}

} // namespace bnn::gpugen
