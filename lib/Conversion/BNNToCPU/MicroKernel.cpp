//===- MicroKernel.cpp - the binary matmul micro-kernels for x86 CPUs -------===//
//
// The XOR/popcount kernels of bnn.xnor_popcount and bnn.xnor_linear, written on buffers: the
// register-blocked dot-product form (GEMV and few rows) and the outer-product form (rhs
// interleaved into panels, one output per vector lane), each followed by the fused epilogue.
// docs/CPU.md describes both forms and how they were measured.
//
//===----------------------------------------------------------------------===//

#include "MicroKernel.h"

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace bnn::cpu;
using bnn::CPUTargetInfo;

namespace {

/// `#llvm.loop_annotation<unroll = <disable = true>>`, which scf-to-cf carries to the latch.
Attribute noUnroll(MLIRContext *context) {
  return LLVM::LoopAnnotationAttr::get(
      context, /*disableNonforced=*/{}, /*vectorize=*/{}, /*interleave=*/{},
      LLVM::LoopUnrollAttr::get(context, BoolAttr::get(context, true), {}, {}, {}, {}, {}, {}),
      /*unrollAndJam=*/{}, /*licm=*/{}, /*distribute=*/{}, /*pipeline=*/{}, /*peeled=*/{},
      /*unswitch=*/{}, /*mustProgress=*/{}, /*isVectorized=*/{}, /*startLoc=*/{},
      /*endLoc=*/{}, /*parallelAccesses=*/{});
}

class BinaryMatmulEmitter {
public:
  BinaryMatmulEmitter(OpBuilder &b, Location loc, const CPUTargetInfo &target, Value lhs,
                      Value rhs, Value output, int64_t k, int64_t words, Epilogue epilogue)
      : b(b), loc(loc), target(target), lhs(lhs), rhs(rhs), output(output), k(k), words(words),
        epilogue(std::move(epilogue)) {}

  using Form = KernelForm;

  /// Emits the whole product; `colsBound` is a constant upper bound of the rhs rows when they
  /// are dynamic (ShapedType::kDynamic if none is known), which sizes the outer-product scratch.
  void emit(bool parallel, Form form, int64_t colsBound) {
    colsUpperBound = colsBound;
    if (form == Form::OuterProduct)
      return emitOuterProduct(parallel);
    if (form == Form::DotProduct)
      return emitDotProduct(parallel);
    Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, dimOf(b, loc, lhs, 0),
                                         indexConst(b, loc, target.outerProductMinRows));
    auto ifOp = scf::IfOp::create(b, loc, enough, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    emitOuterProduct(parallel);
    b.setInsertionPointToStart(ifOp.elseBlock());
    emitDotProduct(parallel);
  }

private:
  /// The dot-product form: row groups of registerRows (parallel when asked), each sweeping all
  /// columns in blocks of registerCols.
  void emitDotProduct(bool parallel) {
    int64_t mr = target.registerRows;
    Value numRows = dimOf(b, loc, lhs, 0);
    Value groups = arith::CeilDivUIOp::create(b, loc, numRows, indexConst(b, loc, mr));
    eachRow(groups, parallel, [&](Value group) {
      Value m0 = mul(group, mr);
      Value left = arith::SubIOp::create(b, loc, numRows, m0);
      Value full =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, left, indexConst(b, loc, mr));
      auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      emitRowBlock(m0, mr);
      b.setInsertionPointToStart(ifOp.elseBlock());
      loop(m0, numRows, 1, [&](Value m) { emitRowBlock(m, 1); });
    });
  }

  /// for (iv = lb; iv < ub; iv += step) body(iv), with `b` inserting into the body.
  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    forLoop(b, loc, lb, ub, step, [&](OpBuilder &lb, Location, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
      body(iv);
    });
  }

  /// forEachRow with `b` inserting into the body.
  void eachRow(Value rows, bool parallel, function_ref<void(Value)> body) {
    forEachRow(b, loc, rows, parallel, [&](OpBuilder &nb, Location, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      body(iv);
    });
  }

  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t c) { return arith::MulIOp::create(b, loc, x, indexConst(b, loc, c)); }
  Value minIndex(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  /// x rounded down to a multiple of c, counted from `from`: from + (x - from) / c * c.
  Value roundDown(Value from, Value x, int64_t c) {
    Value span = arith::SubIOp::create(b, loc, x, from);
    return add(from,
               arith::SubIOp::create(b, loc, span,
                                     arith::RemUIOp::create(b, loc, span, indexConst(b, loc, c))));
  }

  //===--------------------------------------------------------------------===//
  // Outer-product form
  //===--------------------------------------------------------------------===//
  //
  // The rhs is first interleaved into panels of L = vectorWords rows: word w of rows
  // n0 .. n0+L-1 sits in one vector (`panels[p][w][0..L)`, zero rows past N). The micro-kernel
  // then broadcasts one lhs word and XORs it with a panel vector, so lane l of an accumulator
  // counts the output of column n0 + l: every output lives in its own lane, and no horizontal
  // reduction is left (the dot-product form pays ~2 shuffles per output for it, on the same
  // port as vpopcntq). Interleaving reads the rhs once, next to M / L times in the product.

  /// Fills `panels` (P x words x L) from the rhs.
  void emitInterleave(Value panels, Value numPanels, Value numCols, bool parallel) {
    int64_t lanes = target.vectorWords;
    auto i64 = b.getI64Type();
    auto laneType = VectorType::get({lanes}, i64);
    int64_t mainWords = words - words % lanes;
    eachRow(numPanels, parallel, [&](Value p) {
      Value n0 = mul(p, lanes);
      Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                         add(n0, indexConst(b, loc, lanes)), numCols);
      auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      {
        // A whole panel: L x L blocks of words transposed in registers (log2(L) levels of
        // two-input shuffles), the leftover words one by one.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> rowIndex;
        for (int64_t r = 0; r < lanes; ++r)
          rowIndex.push_back(add(n0, indexConst(b, loc, r)));
        if (mainWords > 0)
          loop(indexConst(b, loc, 0), indexConst(b, loc, mainWords), lanes, [&](Value w) {
            SmallVector<Value> block;
            for (int64_t r = 0; r < lanes; ++r)
              block.push_back(
                  vector::LoadOp::create(b, loc, laneType, rhs, ValueRange{rowIndex[r], w}));
            for (int64_t span = 1; span < lanes; span *= 2) {
              SmallVector<int64_t> lowMask, highMask;
              for (int64_t lane = 0; lane < lanes; ++lane) {
                bool second = lane & span;
                lowMask.push_back(second ? lanes + lane - span : lane);
                highMask.push_back(second ? lanes + lane : lane + span);
              }
              SmallVector<Value> next(block);
              for (int64_t r = 0; r < lanes; ++r)
                if (!(r & span)) {
                  next[r] = vector::ShuffleOp::create(b, loc, block[r], block[r + span], lowMask);
                  next[r + span] =
                      vector::ShuffleOp::create(b, loc, block[r], block[r + span], highMask);
                }
              block = std::move(next);
            }
            for (int64_t c = 0; c < lanes; ++c)
              vector::StoreOp::create(
                  b, loc, block[c], panels,
                  ValueRange{p, add(w, indexConst(b, loc, c)), indexConst(b, loc, 0)});
          });
        if (mainWords < words)
          loop(indexConst(b, loc, mainWords), indexConst(b, loc, words), 1, [&](Value w) {
            for (int64_t r = 0; r < lanes; ++r) {
              Value word = memref::LoadOp::create(b, loc, rhs, ValueRange{rowIndex[r], w});
              memref::StoreOp::create(b, loc, word, panels,
                                      ValueRange{p, w, indexConst(b, loc, r)});
            }
          });
      }
      {
        // The last, partial panel: rows past N read as zero words.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.elseBlock());
        Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
        loop(indexConst(b, loc, 0), indexConst(b, loc, words), 1, [&](Value w) {
          for (int64_t r = 0; r < lanes; ++r) {
            Value n = add(n0, indexConst(b, loc, r));
            Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, numCols);
            // Clamp the row so the load stays in bounds; the select drops its value.
            Value row = minIndex(n, arith::SubIOp::create(b, loc, numCols, indexConst(b, loc, 1)));
            Value word = memref::LoadOp::create(b, loc, rhs, ValueRange{row, w});
            word = arith::SelectOp::create(b, loc, inside, word, zero);
            memref::StoreOp::create(b, loc, word, panels, ValueRange{p, w, indexConst(b, loc, r)});
          }
        });
      }
    });
  }

  /// Scratch memory of `type` (64-byte aligned): on the stack when `onStack`, else the heap.
  /// A heap block per tile would be returned to the system and faulted in again on every
  /// tile by glibc's per-thread arenas (halving 2-thread speed), so small, static scratch
  /// lives on the stack instead, in an alloca scope.
  Value scratch(MemRefType type, ValueRange dynamicSizes, bool onStack) {
    if (onStack)
      return memref::AllocaOp::create(b, loc, type, dynamicSizes, b.getI64IntegerAttr(64));
    return memref::AllocOp::create(b, loc, type, dynamicSizes, b.getI64IntegerAttr(64));
  }

  /// A contiguous copy of a per-column epilogue vector, zero-padded to `length` so that the
  /// kernel reads whole panels with plain vector loads.
  Value paddedCopy(Value source, Value numCols, Value length, MemRefType type, bool onStack) {
    Value copy = scratch(type, type.hasStaticShape() ? ValueRange{} : ValueRange{length}, onStack);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    loop(indexConst(b, loc, 0), length, 1, [&](Value n) {
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, numCols);
      auto ifOp = scf::IfOp::create(
          b, loc, inside,
          [&](OpBuilder &tb, Location tl) {
            scf::YieldOp::create(tb, tl,
                                 memref::LoadOp::create(tb, tl, source, ValueRange{n}).getResult());
          },
          [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, zero); });
      memref::StoreOp::create(b, loc, ifOp.getResult(0), copy, ValueRange{n});
    });
    return copy;
  }

  /// The outer-product form: interleave the rhs, then (parallel over slabs of tileRows rows)
  /// sweep chunks of tileCols columns so that a chunk's panels stay in L1/L2 while every
  /// register block of the slab's rows passes over them.
  void emitOuterProduct(bool parallel) {
    int64_t lanes = target.vectorWords;
    Value numRows = dimOf(b, loc, lhs, 0);
    Value numCols = dimOf(b, loc, rhs, 0);
    Value numPanels = arith::CeilDivUIOp::create(b, loc, numCols, indexConst(b, loc, lanes));
    // Scratch: the panels and padded copies of the per-column epilogue vectors.
    // Sized for the static column count, or for its upper bound in a ragged tile.
    int64_t staticCols = cast<MemRefType>(rhs.getType()).getDimSize(0);
    if (ShapedType::isDynamic(staticCols))
      staticCols = colsUpperBound;
    int64_t staticPanels = ShapedType::isDynamic(staticCols) ? ShapedType::kDynamic
                                                             : llvm::divideCeil(staticCols, lanes);
    auto panelsType = MemRefType::get({staticPanels, words, lanes}, b.getI64Type());
    auto vectorType = MemRefType::get(
        {ShapedType::isDynamic(staticPanels) ? ShapedType::kDynamic : staticPanels * lanes},
        b.getF32Type());
    bool onStack = false;
    if (!ShapedType::isDynamic(staticPanels)) {
      int64_t bytes = staticPanels * lanes * (words * 8 + 8);
      onStack = bytes <= kMaxStackScratchBytes;
    }
    // Stack scratch is released when the kernel ends (it may sit in a loop over tiles):
    // everything below goes into an alloca scope (bnn-lower-alloca-scopes turns it into a
    // stack save/restore before scf-to-cf).
    OpBuilder::InsertionGuard guard(b);
    if (onStack) {
      auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
      Block *body = new Block();
      scope.getBodyRegion().push_back(body);
      b.setInsertionPointToStart(body);
      memref::AllocaScopeReturnOp::create(b, loc);
      b.setInsertionPointToStart(body);
    }
    Value panels = scratch(
        panelsType, panelsType.hasStaticShape() ? ValueRange{} : ValueRange{numPanels}, onStack);
    emitInterleave(panels, numPanels, numCols, parallel);
    if (epilogue.colScale || epilogue.bias) {
      Value length = mul(numPanels, lanes);
      if (epilogue.colScale)
        colScaleCopy = paddedCopy(epilogue.colScale, numCols, length, vectorType, onStack);
      if (epilogue.bias)
        biasCopy = paddedCopy(epilogue.bias, numCols, length, vectorType, onStack);
    }

    int64_t slab = std::max<int64_t>(target.tileRows, target.outerRows);
    int64_t chunk = std::max<int64_t>(target.tileCols / lanes, 1);
    int64_t mr = target.outerRows, nr = target.outerPanels;
    Value numSlabs = arith::CeilDivUIOp::create(b, loc, numRows, indexConst(b, loc, slab));
    eachRow(numSlabs, parallel, [&](Value s) {
      Value r0 = mul(s, slab);
      Value r1 = minIndex(add(r0, indexConst(b, loc, slab)), numRows);
      Value fullRows = roundDown(r0, r1, mr);
      loop(indexConst(b, loc, 0), numPanels, chunk, [&](Value c0) {
        Value c1 = minIndex(add(c0, indexConst(b, loc, chunk)), numPanels);
        Value fullPanels = roundDown(c0, c1, nr);
        auto sweep = [&](Value m0, int64_t rows) {
          loop(c0, fullPanels, nr,
               [&](Value p0) { emitOuterBlock(panels, numCols, m0, rows, p0, nr); });
          if (nr > 1)
            loop(fullPanels, c1, 1,
                 [&](Value p0) { emitOuterBlock(panels, numCols, m0, rows, p0, 1); });
        };
        loop(r0, fullRows, mr, [&](Value m0) { sweep(m0, mr); });
        if (mr > 1)
          loop(fullRows, r1, 1, [&](Value m0) { sweep(m0, 1); });
      });
    });
  }

  /// rows x cols panels of accumulators (rows * cols * L outputs) over all words.
  void emitOuterBlock(Value panels, Value numCols, Value m0, int64_t rows, Value p0, int64_t cols) {
    int64_t lanes = target.vectorWords;
    auto i64 = b.getI64Type();
    auto accType = VectorType::get({lanes}, i64);
    SmallVector<Value> rowIndex, panelIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(i == 0 ? m0 : add(m0, indexConst(b, loc, i)));
    for (int64_t j = 0; j < cols; ++j)
      panelIndex.push_back(j == 0 ? p0 : add(p0, indexConst(b, loc, j)));
    Value zero =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(0)));
    SmallVector<Value> init(rows * cols, zero);
    auto wordLoop = scf::ForOp::create(
        b, loc, indexConst(b, loc, 0), indexConst(b, loc, words), indexConst(b, loc, 1), init,
        [&](OpBuilder &lb, Location ll, Value w, ValueRange accs) {
          SmallVector<Value> a, c, next;
          for (Value p : panelIndex)
            c.push_back(vector::LoadOp::create(lb, ll, accType, panels,
                                               ValueRange{p, w, indexConst(lb, ll, 0)}));
          for (Value m : rowIndex)
            a.push_back(vector::BroadcastOp::create(
                lb, ll, accType, memref::LoadOp::create(lb, ll, lhs, ValueRange{m, w})));
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) {
              Value count =
                  math::CtPopOp::create(lb, ll, arith::XOrIOp::create(lb, ll, a[i], c[j]));
              next.push_back(arith::AddIOp::create(lb, ll, accs[i * cols + j], count));
            }
          scf::YieldOp::create(lb, ll, next);
        });
    wordLoop->setAttr("llvm.loop_annotation", noUnroll(b.getContext()));

    // dot = K - 2 * popcount(a XOR b), lane by lane.
    Value kVector =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(k)));
    Value oneVector =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(1)));
    auto i32Vector = VectorType::get({lanes}, b.getI32Type());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        Value twice = arith::ShLIOp::create(b, loc, wordLoop.getResult(i * cols + j), oneVector);
        Value dots = arith::TruncIOp::create(b, loc, i32Vector,
                                             arith::SubIOp::create(b, loc, kVector, twice));
        emitLaneEpilogue(rowIndex[i], panelIndex[j], numCols, dots);
      }
  }

  /// bnn.xnor_linear's float epilogue on `y` (float(dot), a scalar or a vector), in its order:
  /// ((y * col_scale) * row_scale) + bias, then relu as arith.maximumf(y, +0); the loaders
  /// give col_scale, row_scale and bias in y's shape and are called only for those present.
  Value applyLinearEpilogue(Value y, function_ref<Value()> colScale, function_ref<Value()> rowScale,
                            function_ref<Value()> bias) {
    if (epilogue.colScale)
      y = arith::MulFOp::create(b, loc, y, colScale());
    if (epilogue.rowScale)
      y = arith::MulFOp::create(b, loc, y, rowScale());
    if (epilogue.bias)
      y = arith::AddFOp::create(b, loc, y, bias());
    if (epilogue.relu)
      y = arith::MaximumFOp::create(b, loc, y,
                                    arith::ConstantOp::create(b, loc, b.getZeroAttr(y.getType())));
    return y;
  }

  /// The epilogue of the L outputs of row m in panel p (columns p * L ...), masked to N.
  void emitLaneEpilogue(Value m, Value p, Value numCols, Value dots) {
    int64_t lanes = target.vectorWords;
    Value n0 = mul(p, lanes);
    auto maskType = VectorType::get({lanes}, b.getI1Type());
    Value mask = vector::CreateMaskOp::create(
        b, loc, maskType, ValueRange{arith::SubIOp::create(b, loc, numCols, n0)});
    if (epilogue.kind == Epilogue::Kind::Int32) {
      vector::MaskedStoreOp::create(b, loc, output, ValueRange{m, n0}, mask, dots);
      return;
    }
    auto f32Vector = VectorType::get({lanes}, b.getF32Type());
    Value y = applyLinearEpilogue(
        arith::SIToFPOp::create(b, loc, f32Vector, dots),
        [&] { return vector::LoadOp::create(b, loc, f32Vector, colScaleCopy, ValueRange{n0}); },
        [&] {
          return vector::BroadcastOp::create(
              b, loc, f32Vector, memref::LoadOp::create(b, loc, epilogue.rowScale, ValueRange{m}));
        },
        [&] { return vector::LoadOp::create(b, loc, f32Vector, biasCopy, ValueRange{n0}); });
    if (epilogue.kind == Epilogue::Kind::Float) {
      vector::MaskedStoreOp::create(b, loc, output, ValueRange{m, n0}, mask, y);
      return;
    }
    // Re-binarize: the L sign bits are bits n0 % 64 ... of word n0 / 64 (L divides 64); lanes
    // past N stay zero. Rows belong to one thread, so the read-modify-write is race-free.
    auto i64 = b.getI64Type();
    Value bits = arith::AndIOp::create(b, loc, isPlusOne(b, loc, y), mask);
    Value packed =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getIntegerType(lanes)), bits);
    Value field = arith::ExtUIOp::create(
        b, loc, i64, vector::ExtractOp::create(b, loc, packed, ArrayRef<int64_t>{0}));
    Value word = arith::DivUIOp::create(b, loc, n0, indexConst(b, loc, kWordBits));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64, arith::RemUIOp::create(b, loc, n0, indexConst(b, loc, kWordBits)));
    Value old = memref::LoadOp::create(b, loc, output, ValueRange{m, word});
    memref::StoreOp::create(
        b, loc, arith::OrIOp::create(b, loc, old, arith::ShLIOp::create(b, loc, field, shift)),
        output, ValueRange{m, word});
  }

  //===--------------------------------------------------------------------===//
  // Dot-product form
  //===--------------------------------------------------------------------===//

  /// `rows` rows starting at m0, against every column.
  void emitRowBlock(Value m0, int64_t rows) {
    int64_t nr = rows == 1 ? target.singleRowCols : target.registerCols;
    Value numCols = dimOf(b, loc, rhs, 0);
    Value zero = indexConst(b, loc, 0);
    Value mainCols = roundDown(zero, numCols, nr);
    loop(zero, mainCols, nr, [&](Value n0) { emitBlock(m0, rows, n0, nr); });
    if (nr > 1)
      loop(mainCols, numCols, 1, [&](Value n0) { emitBlock(m0, rows, n0, 1); });
  }

  /// rows x cols accumulators over all words: the XOR/popcount inner loop.
  void emitBlock(Value m0, int64_t rows, Value n0, int64_t cols) {
    int64_t vw = target.vectorWords;
    int64_t mainWords = words - words % vw, tailWords = words % vw;
    auto i64 = b.getI64Type();
    auto accType = VectorType::get({vw}, i64);
    SmallVector<Value> rowIndex, colIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(i == 0 ? m0 : arith::AddIOp::create(b, loc, m0, indexConst(b, loc, i)));
    for (int64_t j = 0; j < cols; ++j)
      colIndex.push_back(j == 0 ? n0 : arith::AddIOp::create(b, loc, n0, indexConst(b, loc, j)));

    auto accumulate = [&](OpBuilder &ob, Location ol, VectorType type, Value w,
                          ValueRange accs) {
      SmallVector<Value> a, c, next;
      for (Value r : rowIndex)
        a.push_back(vector::LoadOp::create(ob, ol, type, lhs, ValueRange{r, w}));
      for (Value n : colIndex)
        c.push_back(vector::LoadOp::create(ob, ol, type, rhs, ValueRange{n, w}));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          Value x = arith::XOrIOp::create(ob, ol, a[i], c[j]);
          Value count = math::CtPopOp::create(ob, ol, x);
          next.push_back(accs.empty() ? count
                                      : arith::AddIOp::create(ob, ol, accs[i * cols + j], count)
                                            .getResult());
        }
      return next;
    };

    int64_t numAccs = rows * cols;
    // One vector of per-lane popcounts per output of the block (null: nothing counted yet).
    SmallVector<Value> accs(numAccs);
    if (mainWords > 0) {
      Value zero = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                         accType, b.getI64IntegerAttr(0)));
      SmallVector<Value> init(numAccs, zero);
      auto loop = scf::ForOp::create(
          b, loc, indexConst(b, loc, 0), indexConst(b, loc, mainWords), indexConst(b, loc, vw),
          init, [&](OpBuilder &lb, Location ll, Value w, ValueRange accs) {
            scf::YieldOp::create(lb, ll, accumulate(lb, ll, accType, w, accs));
          });
      // The block already holds registerRows x registerCols accumulators: unrolling the word
      // loop on top makes LLVM hoist the next iteration's loads and spill accumulators.
      loop->setAttr("llvm.loop_annotation", noUnroll(b.getContext()));
      for (int64_t i = 0; i < numAccs; ++i)
        accs[i] = loop.getResult(i);
    }
    if (tailWords > 0) {
      // The last words % vectorWords words: narrower loads, added into the full-width
      // accumulators (zero-extended lanes) so that one reduction covers everything.
      auto tailType = VectorType::get({tailWords}, i64);
      SmallVector<Value> counts =
          accumulate(b, loc, tailType, indexConst(b, loc, mainWords), ValueRange{});
      Value zero = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                         accType, b.getI64IntegerAttr(0)));
      for (int64_t i = 0; i < numAccs; ++i) {
        Value widened = vector::InsertStridedSliceOp::create(b, loc, counts[i], zero,
                                                             ArrayRef<int64_t>{0},
                                                             ArrayRef<int64_t>{1});
        accs[i] = accs[i] ? arith::AddIOp::create(b, loc, accs[i], widened).getResult() : widened;
      }
    }

    // dot = K - 2 * popcount(a XOR b); padding bits are zero on both sides.
    auto toDot = [&](Value sum) -> Value {
      auto constant = [&](int64_t value) -> Value {
        if (auto vectorType = dyn_cast<VectorType>(sum.getType()))
          return arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(vectorType, b.getI64IntegerAttr(value)));
        return arith::ConstantIntOp::create(b, loc, i64, value);
      };
      Value twice = arith::ShLIOp::create(b, loc, sum, constant(1));
      return arith::SubIOp::create(b, loc, constant(k), twice);
    };
    if (vw > 1 && llvm::isPowerOf2_64(vw) && numAccs % vw == 0) {
      // Reduce all accumulators at once with a transposing add tree: vectorWords vectors
      // become one vector of their vectorWords sums (log2(vw) levels of shuffle + add), so a
      // block pays about 2 * numAccs shuffles instead of numAccs full horizontal reductions.
      // Lane L of result vector r is the sum of accumulator r * vw + L.
      SmallVector<Value> level(accs.begin(), accs.end());
      for (int64_t segment = vw; segment > 1; segment /= 2) {
        SmallVector<int64_t> lowMask, highMask;
        for (int64_t operand = 0; operand < 2; ++operand)
          for (int64_t start = 0; start < vw; start += segment)
            for (int64_t lane = 0; lane < segment / 2; ++lane) {
              lowMask.push_back(operand * vw + start + lane);
              highMask.push_back(operand * vw + start + segment / 2 + lane);
            }
        SmallVector<Value> next;
        for (size_t p = 0; p + 1 < level.size(); p += 2) {
          Value low = vector::ShuffleOp::create(b, loc, level[p], level[p + 1], lowMask);
          Value high = vector::ShuffleOp::create(b, loc, level[p], level[p + 1], highMask);
          next.push_back(arith::AddIOp::create(b, loc, low, high));
        }
        // Pairs of inputs combine in order, so after log2(vw) levels each group of vw
        // consecutive accumulators ends up in one vector, in lane order.
        level = std::move(next);
      }
      auto i32Vector = VectorType::get({vw}, b.getI32Type());
      for (size_t r = 0; r < level.size(); ++r) {
        Value dots = toDot(level[r]);
        if (epilogue.kind == Epilogue::Kind::Int32 && vw % cols == 0) {
          // Whole rows of the block per vector: store each row's columns at once.
          Value dots32 = arith::TruncIOp::create(b, loc, i32Vector, dots);
          for (int64_t lane = 0; lane < vw; lane += cols) {
            int64_t acc = r * vw + lane;
            Value row = vector::ExtractStridedSliceOp::create(
                b, loc, dots32, ArrayRef<int64_t>{lane}, ArrayRef<int64_t>{cols},
                ArrayRef<int64_t>{1});
            vector::StoreOp::create(b, loc, row, output,
                                    ValueRange{rowIndex[acc / cols], colIndex[0]});
          }
          continue;
        }
        for (int64_t lane = 0; lane < vw; ++lane) {
          int64_t acc = r * vw + lane;
          Value dot = vector::ExtractOp::create(b, loc, dots, ArrayRef<int64_t>{lane});
          emitEpilogue(rowIndex[acc / cols], colIndex[acc % cols],
                       arith::TruncIOp::create(b, loc, b.getI32Type(), dot));
        }
      }
      return;
    }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        Value sum =
            vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, accs[i * cols + j]);
        emitEpilogue(rowIndex[i], colIndex[j],
                     arith::TruncIOp::create(b, loc, b.getI32Type(), toDot(sum)));
      }
  }

  void emitEpilogue(Value m, Value n, Value dot) {
    if (epilogue.kind == Epilogue::Kind::Int32) {
      memref::StoreOp::create(b, loc, dot, output, ValueRange{m, n});
      return;
    }
    Value y = applyLinearEpilogue(
        arith::SIToFPOp::create(b, loc, b.getF32Type(), dot),
        [&] { return memref::LoadOp::create(b, loc, epilogue.colScale, ValueRange{n}); },
        [&] { return memref::LoadOp::create(b, loc, epilogue.rowScale, ValueRange{m}); },
        [&] { return memref::LoadOp::create(b, loc, epilogue.bias, ValueRange{n}); });
    if (epilogue.kind == Epilogue::Kind::Float) {
      memref::StoreOp::create(b, loc, y, output, ValueRange{m, n});
      return;
    }
    // Re-binarize: set bit n % 64 of word n / 64 when y is +1. Rows belong to one thread, so
    // the read-modify-write of a word is race-free.
    auto i64 = b.getI64Type();
    Value bit = arith::ExtUIOp::create(b, loc, i64, isPlusOne(b, loc, y));
    Value word = arith::DivUIOp::create(b, loc, n, indexConst(b, loc, kWordBits));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64, arith::RemUIOp::create(b, loc, n, indexConst(b, loc, kWordBits)));
    Value old = memref::LoadOp::create(b, loc, output, ValueRange{m, word});
    Value updated =
        arith::OrIOp::create(b, loc, old, arith::ShLIOp::create(b, loc, bit, shift));
    memref::StoreOp::create(b, loc, updated, output, ValueRange{m, word});
  }

  OpBuilder &b;
  Location loc;
  const CPUTargetInfo &target;
  Value lhs, rhs, output;
  int64_t k, words;
  Epilogue epilogue;
  // Zero-padded contiguous copies of the per-column epilogue vectors (outer-product form).
  Value colScaleCopy, biasCopy;
  int64_t colsUpperBound = ShapedType::kDynamic;
};

} // namespace

void bnn::cpu::emitBinaryMatmulKernel(OpBuilder &b, Location loc, const CPUTargetInfo &target,
                                      Value lhs, Value rhs, Value output, int64_t k,
                                      int64_t words, const Epilogue &epilogue, bool parallel,
                                      KernelForm form, int64_t colsBound) {
  BinaryMatmulEmitter(b, loc, target, lhs, rhs, output, k, words, epilogue)
      .emit(parallel, form, colsBound);
}
