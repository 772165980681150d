//===- LowBitMatmulToCPU.cpp - low-bit ops to CPU kernels ------------------===//
//
// bnn.lowbit_matmul and bnn.lowbit_linear as register-blocked kernels on the packed storage,
// exact in i32, plus the ternary constant and the absmax int8 quantizer of run-time
// activations (linalg). Two kernel families:
//
// * ternary weights x binary activations: bit-serial over the planes, per output
//   popcount(mask) - 2 * popcount(mask AND (a XOR sign)) (vector<vectorWords x i64> XOR, AND
//   and ctpop, as the binary dot-product kernel);
// * int8 activations x ternary or binary weights: each weight word is unpacked in registers to
//   64 unsigned bytes u = w + 1 (0/1/2 for ternary, 0/2 for binary: an i1-vector bitcast and
//   selects), multiplied with 64 int8 activations and summed in i32 by the target's int8 dot
//   product (CPUTargetInfo::int8Dot: vpdpbusd, vpmaddubsw + vpmaddwd, or plain arithmetic);
//   dot = sum(u * x) - sum(x), with sum(x) taken by the same instruction on u = 1. Unsigned
//   u times signed x is what vpdpbusd and vpmaddubsw multiply; u <= 2 keeps vpmaddubsw's i16
//   pair sums (|.| <= 512) far from saturation, and i32 sums wrap like the exact result.
//
// Output columns (weight rows) are split into blocks that run on threads; each block sweeps
// all activation rows in register blocks of lowBitRows x lowBitCols outputs. The fused
// epilogue is bnn.xnor_linear's: ((float(dot) * weight_scale) * row_scale) + bias, then relu.
//
// On targets whose lowBitGemm is Amx, int8 products of at least amxMinRows activation rows
// (GEMM, prefill) call the runtime's AMX-INT8 kernel instead (bnn_ukernel_int8_lowbit_gemm,
// bnn/runtime/LowBitGemm.h, through a private wrapper `bnn_lowbit_gemm_call` as
// bnn.hamming_topk calls its kernel); fewer rows keep the streaming register kernel, and a
// dynamic row count picks at run time. bnn.lowbit_linear then applies its epilogue to the i32
// products in a loop over the outputs.
//
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace bnn::cpu;
using bnn::CPUTargetInfo;

namespace {

/// The x86 intrinsics the int8 dot products call, as (name, result, operands).
struct IntrinsicSignature {
  const char *name;
  SmallVector<Type> operands;
  Type result;
};

SmallVector<IntrinsicSignature> intrinsicsOf(MLIRContext *context, CPUTargetInfo::Int8Dot dot) {
  auto vector = [&](int64_t n, int64_t bits) {
    return VectorType::get({n}, IntegerType::get(context, bits));
  };
  switch (dot) {
  case CPUTargetInfo::Int8Dot::Vnni:
    return {{"llvm.x86.avx512.vpdpbusd.512", {vector(16, 32), vector(64, 8), vector(64, 8)},
             vector(16, 32)}};
  case CPUTargetInfo::Int8Dot::MaddUbs:
    return {{"llvm.x86.avx2.pmadd.ub.sw", {vector(32, 8), vector(32, 8)}, vector(16, 16)},
            {"llvm.x86.avx2.pmadd.wd", {vector(16, 16), vector(16, 16)}, vector(8, 32)}};
  case CPUTargetInfo::Int8Dot::Plain:
    break;
  }
  return {};
}

/// Declares the intrinsics of `dot` in `module` as private functions named after them. A call
/// of such a function is an ordinary func.call to bufferization and buffer deallocation (which
/// refuse llvm.call_intrinsic: its memory effects are unknown); after func-to-llvm it is a call
/// of the LLVM intrinsic of that name, which the backend selects to one instruction.
void declareIntrinsics(OpBuilder &b, ModuleOp module, CPUTargetInfo::Int8Dot dot) {
  for (const IntrinsicSignature &intrinsic : intrinsicsOf(module.getContext(), dot)) {
    if (SymbolTable::lookupSymbolIn(module, intrinsic.name))
      continue;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto decl = func::FuncOp::create(
        b, module.getLoc(), intrinsic.name,
        FunctionType::get(module.getContext(), intrinsic.operands, {intrinsic.result}));
    decl.setPrivate();
  }
}

Value callIntrinsic(OpBuilder &b, Location loc, StringRef name, Type result, ValueRange args) {
  return func::CallOp::create(b, loc, name, TypeRange{result}, args).getResult(0);
}

/// What the kernel does with each i32 dot product.
struct LowBitEpilogue {
  bool toFloat = false;
  Value weightScale, rowScale, bias; // rank-1 buffers, or null
  bool perTensorWeightScale = false; // weight_scale has one element
  bool relu = false;
};

/// The operand kinds of a low-bit product.
enum class Kind { TernaryBinary, Int8Ternary, Int8Binary };

class LowBitEmitter {
public:
  LowBitEmitter(OpBuilder &b, Location loc, const CPUTargetInfo &target, Kind kind, Value lhs,
                Value rhs, Value output, int64_t k, LowBitEpilogue epilogue)
      : b(b), loc(loc), target(target), kind(kind), lhs(lhs), rhs(rhs), output(output), k(k),
        words(k / kWordBits + (k % kWordBits != 0)), epilogue(std::move(epilogue)) {}

  /// The fused epilogue (or the copy) of products already computed into `dots`, an i32
  /// buffer of the output's shape.
  void emitEpilogueFrom(Value dots) {
    Value rows = dimOf(b, loc, lhs, 0), cols = dimOf(b, loc, rhs, 0);
    loop(index(0), rows, 1, [&](Value m) {
      loop(index(0), cols, 1, [&](Value n) {
        emitEpilogue(m, n, memref::LoadOp::create(b, loc, dots, ValueRange{m, n}));
      });
    });
  }

  void emit(bool parallel) {
    // A GEMV (one activation row) keeps more weight rows live: the activation vector and its
    // sum are loaded once per block of singleRowCols weight rows instead of lowBitCols.
    bool singleRow = cast<MemRefType>(lhs.getType()).getDimSize(0) == 1;
    int64_t nr = singleRow ? target.singleRowCols : target.lowBitCols;
    Value numCols = dimOf(b, loc, rhs, 0);
    Value blocks = arith::CeilDivUIOp::create(b, loc, numCols, index(nr));
    forEachRow(b, loc, blocks, parallel, [&](OpBuilder &nb, Location, Value block) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      Value n0 = arith::MulIOp::create(b, loc, block, index(nr));
      Value left = arith::SubIOp::create(b, loc, numCols, n0);
      Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, left, index(nr));
      auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      b.setInsertionPointToStart(ifOp.thenBlock());
      emitColumnBlock(n0, nr);
      b.setInsertionPointToStart(ifOp.elseBlock());
      loop(n0, numCols, 1, [&](Value n) { emitColumnBlock(n, 1); });
    });
  }

private:
  Value index(int64_t value) { return indexConst(b, loc, value); }

  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    forLoop(b, loc, lb, ub, step, [&](OpBuilder &lb, Location, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
      body(iv);
    });
  }

  Value splat(VectorType type, Attribute value) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
  }

  /// `cols` weight rows from n0 against every activation row, in blocks of lowBitRows rows.
  void emitColumnBlock(Value n0, int64_t cols) {
    int64_t mr = target.lowBitRows;
    Value numRows = dimOf(b, loc, lhs, 0);
    Value span = numRows;
    Value mainRows = arith::SubIOp::create(b, loc, span,
                                           arith::RemUIOp::create(b, loc, span, index(mr)));
    loop(index(0), mainRows, mr, [&](Value m0) { emitBlock(m0, mr, n0, cols); });
    if (mr > 1)
      loop(mainRows, numRows, 1, [&](Value m0) { emitBlock(m0, 1, n0, cols); });
  }

  void emitBlock(Value m0, int64_t rows, Value n0, int64_t cols) {
    SmallVector<Value> rowIndex, colIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(i == 0 ? m0 : arith::AddIOp::create(b, loc, m0, index(i)).getResult());
    for (int64_t j = 0; j < cols; ++j)
      colIndex.push_back(j == 0 ? n0 : arith::AddIOp::create(b, loc, n0, index(j)).getResult());
    SmallVector<Value> dots = kind == Kind::TernaryBinary
                                  ? emitBitSerialBlock(rowIndex, colIndex)
                                  : emitInt8Block(rowIndex, colIndex);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        emitEpilogue(rowIndex[i], colIndex[j], dots[i * cols + j]);
  }

  //===--------------------------------------------------------------------===//
  // Ternary x binary: bit-serial popcounts over the planes
  //===--------------------------------------------------------------------===//

  /// The i32 dots of rows x cols outputs: for each, popcount(mask) - 2 * popcount(mask AND
  /// (a XOR sign)), summed over vectors of vectorWords words, then single words.
  SmallVector<Value> emitBitSerialBlock(ArrayRef<Value> rowIndex, ArrayRef<Value> colIndex) {
    int64_t rows = rowIndex.size(), cols = colIndex.size();
    int64_t vw = target.vectorWords;
    int64_t mainWords = words - words % vw;
    auto i64 = b.getI64Type();
    // Accumulators: rows * cols "differ" counts, then cols non-zero counts.
    auto sweep = [&](int64_t from, int64_t to, int64_t step) -> SmallVector<Value> {
      auto type = VectorType::get({step}, i64);
      Value zero = splat(type, b.getI64IntegerAttr(0));
      SmallVector<Value> init(rows * cols + cols, zero);
      if (from == to)
        return init;
      auto wordLoop = scf::ForOp::create(
          b, loc, index(from), index(to), index(step), init,
          [&](OpBuilder &lb, Location ll, Value w, ValueRange accs) {
            Value maskWord = arith::AddIOp::create(lb, ll, w, indexConst(lb, ll, words));
            SmallVector<Value> a, sign, mask, next;
            for (Value r : rowIndex)
              a.push_back(vector::LoadOp::create(lb, ll, type, lhs, ValueRange{r, w}));
            for (Value n : colIndex) {
              sign.push_back(vector::LoadOp::create(lb, ll, type, rhs, ValueRange{n, w}));
              mask.push_back(vector::LoadOp::create(lb, ll, type, rhs, ValueRange{n, maskWord}));
            }
            for (int64_t i = 0; i < rows; ++i)
              for (int64_t j = 0; j < cols; ++j) {
                Value differ = arith::AndIOp::create(
                    lb, ll, mask[j], arith::XOrIOp::create(lb, ll, a[i], sign[j]));
                next.push_back(arith::AddIOp::create(lb, ll, accs[i * cols + j],
                                                     math::CtPopOp::create(lb, ll, differ)));
              }
            for (int64_t j = 0; j < cols; ++j)
              next.push_back(arith::AddIOp::create(lb, ll, accs[rows * cols + j],
                                                   math::CtPopOp::create(lb, ll, mask[j])));
            scf::YieldOp::create(lb, ll, next);
          });
      return SmallVector<Value>(wordLoop.getResults());
    };
    SmallVector<Value> vectorAccs = sweep(0, mainWords, vw);
    SmallVector<Value> wordAccs = sweep(mainWords, words, 1);
    auto total = [&](int64_t i) {
      Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, vectorAccs[i]);
      Value tail = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, wordAccs[i]);
      return arith::AddIOp::create(b, loc, sum, tail).getResult();
    };
    SmallVector<Value> dots;
    Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        Value twice = arith::ShLIOp::create(b, loc, total(i * cols + j), one);
        Value dot = arith::SubIOp::create(b, loc, total(rows * cols + j), twice);
        dots.push_back(arith::TruncIOp::create(b, loc, b.getI32Type(), dot));
      }
    return dots;
  }

  //===--------------------------------------------------------------------===//
  // Int8 activations x ternary or binary weights
  //===--------------------------------------------------------------------===//

  /// The accumulator of one output for the target's int8 dot product.
  VectorType int8AccumulatorType() {
    switch (target.int8Dot) {
    case CPUTargetInfo::Int8Dot::Vnni:
      return VectorType::get({16}, b.getI32Type());
    case CPUTargetInfo::Int8Dot::MaddUbs:
      return VectorType::get({8}, b.getI32Type());
    case CPUTargetInfo::Int8Dot::Plain:
      break;
    }
    return VectorType::get({1}, b.getI32Type());
  }

  /// acc + the products u * x of 64 unsigned bytes `u` and signed bytes `x`, summed in i32
  /// lanes of `acc` (which lanes hold which sums is irrelevant: all are added at the end).
  Value int8Dot(OpBuilder &ob, Location ol, Value acc, Value u, Value x) {
    auto i16 = ob.getI16Type(), i32 = ob.getI32Type();
    switch (target.int8Dot) {
    case CPUTargetInfo::Int8Dot::Vnni:
      return callIntrinsic(ob, ol, "llvm.x86.avx512.vpdpbusd.512", acc.getType(),
                           ValueRange{acc, u, x});
    case CPUTargetInfo::Int8Dot::MaddUbs: {
      auto pairs = VectorType::get({16}, i16);
      Value ones = arith::ConstantOp::create(
          ob, ol, DenseElementsAttr::get(pairs, ob.getIntegerAttr(i16, 1)));
      for (int64_t h = 0; h < 2; ++h) {
        auto slice = [&](Value v) {
          return vector::ExtractStridedSliceOp::create(ob, ol, v, ArrayRef<int64_t>{32 * h},
                                                       ArrayRef<int64_t>{32},
                                                       ArrayRef<int64_t>{1});
        };
        Value products = callIntrinsic(ob, ol, "llvm.x86.avx2.pmadd.ub.sw", pairs,
                                       ValueRange{slice(u), slice(x)});
        Value sums = callIntrinsic(ob, ol, "llvm.x86.avx2.pmadd.wd", acc.getType(),
                                   ValueRange{products, ones});
        acc = arith::AddIOp::create(ob, ol, acc, sums);
      }
      return acc;
    }
    case CPUTargetInfo::Int8Dot::Plain:
      break;
    }
    auto wide = VectorType::get({kWordBits}, i32);
    Value products = arith::MulIOp::create(ob, ol, arith::ExtUIOp::create(ob, ol, wide, u),
                                           arith::ExtSIOp::create(ob, ol, wide, x));
    Value sum = vector::ReductionOp::create(ob, ol, vector::CombiningKind::ADD, products);
    return arith::AddIOp::create(ob, ol, acc,
                                 vector::BroadcastOp::create(ob, ol, acc.getType(), sum));
  }

  /// The 64 bits of the i64 `word` as a vector<64xi1> (bit j is lane j).
  Value bitsOf(OpBuilder &ob, Location ol, Value word) {
    Value packed = vector::BroadcastOp::create(ob, ol, VectorType::get({1}, ob.getI64Type()), word);
    return vector::BitCastOp::create(ob, ol, VectorType::get({kWordBits}, ob.getI1Type()), packed);
  }

  /// u = w + 1 for the 64 weights of word `w` of weight row `n`: ternary 2 / 1 / 0 for
  /// +1 / 0 / -1, binary 2 / 0 for +1 / -1.
  Value unpackWeights(OpBuilder &ob, Location ol, Value n, Value w) {
    auto bytes = VectorType::get({kWordBits}, ob.getI8Type());
    auto constant = [&](int64_t value) {
      return arith::ConstantOp::create(
          ob, ol, DenseElementsAttr::get(bytes, ob.getIntegerAttr(ob.getI8Type(), value)));
    };
    Value first = memref::LoadOp::create(ob, ol, rhs, ValueRange{n, w});
    if (kind == Kind::Int8Binary)
      return arith::SelectOp::create(ob, ol, bitsOf(ob, ol, first), constant(2), constant(0));
    Value maskWord = memref::LoadOp::create(
        ob, ol, rhs, ValueRange{n, arith::AddIOp::create(ob, ol, w, indexConst(ob, ol, words))});
    Value nonZero = arith::SelectOp::create(ob, ol, bitsOf(ob, ol, first), constant(2), constant(0));
    return arith::SelectOp::create(ob, ol, bitsOf(ob, ol, maskWord), nonZero, constant(1));
  }

  /// The i32 dots of rows x cols outputs of int8 activations: sum(u * x) - sum(x) over the
  /// whole words of K, then the last partial word (activations past K read as 0).
  SmallVector<Value> emitInt8Block(ArrayRef<Value> rowIndex, ArrayRef<Value> colIndex) {
    int64_t rows = rowIndex.size(), cols = colIndex.size();
    auto bytes = VectorType::get({kWordBits}, b.getI8Type());
    VectorType accType = int8AccumulatorType();
    Value zero = splat(accType, b.getI32IntegerAttr(0));
    Value ones = splat(bytes, b.getIntegerAttr(b.getI8Type(), 1));
    // Accumulators: rows * cols sums of u * x, then rows sums of x.
    auto step = [&](OpBuilder &ob, Location ol, Value w, ValueRange accs,
                    bool lastPartialWord) -> SmallVector<Value> {
      Value first = arith::MulIOp::create(ob, ol, w, indexConst(ob, ol, kWordBits));
      SmallVector<Value> x, u, next;
      for (Value r : rowIndex) {
        if (lastPartialWord) {
          Value padding = arith::ConstantIntOp::create(ob, ol, ob.getI8Type(), 0);
          x.push_back(vector::TransferReadOp::create(ob, ol, bytes, lhs, ValueRange{r, first},
                                                     padding, ArrayRef<bool>{false}));
        } else {
          x.push_back(vector::LoadOp::create(ob, ol, bytes, lhs, ValueRange{r, first}));
        }
      }
      for (Value n : colIndex)
        u.push_back(unpackWeights(ob, ol, n, w));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          next.push_back(int8Dot(ob, ol, accs[i * cols + j], u[j], x[i]));
      for (int64_t i = 0; i < rows; ++i)
        next.push_back(int8Dot(ob, ol, accs[rows * cols + i], ones, x[i]));
      return next;
    };
    SmallVector<Value> accs(rows * cols + rows, zero);
    int64_t fullWords = k / kWordBits;
    if (fullWords > 0) {
      auto wordLoop = scf::ForOp::create(
          b, loc, index(0), index(fullWords), index(1), accs,
          [&](OpBuilder &lb, Location ll, Value w, ValueRange iterAccs) {
            scf::YieldOp::create(lb, ll, step(lb, ll, w, iterAccs, false));
          });
      accs.assign(wordLoop.getResults().begin(), wordLoop.getResults().end());
    }
    if (k % kWordBits != 0)
      accs = step(b, loc, index(fullWords), accs, true);
    SmallVector<Value> dots;
    for (int64_t i = 0; i < rows; ++i) {
      Value sumX =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, accs[rows * cols + i]);
      for (int64_t j = 0; j < cols; ++j) {
        Value sumUX =
            vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, accs[i * cols + j]);
        dots.push_back(arith::SubIOp::create(b, loc, sumUX, sumX));
      }
    }
    return dots;
  }

  //===--------------------------------------------------------------------===//
  // Epilogue
  //===--------------------------------------------------------------------===//

  void emitEpilogue(Value m, Value n, Value dot) {
    if (!epilogue.toFloat) {
      memref::StoreOp::create(b, loc, dot, output, ValueRange{m, n});
      return;
    }
    Value y = arith::SIToFPOp::create(b, loc, b.getF32Type(), dot);
    if (epilogue.weightScale) {
      Value at = epilogue.perTensorWeightScale ? index(0) : n;
      y = arith::MulFOp::create(b, loc, y,
                                memref::LoadOp::create(b, loc, epilogue.weightScale, ValueRange{at}));
    }
    if (epilogue.rowScale)
      y = arith::MulFOp::create(b, loc, y,
                                memref::LoadOp::create(b, loc, epilogue.rowScale, ValueRange{m}));
    if (epilogue.bias)
      y = arith::AddFOp::create(b, loc, y,
                                memref::LoadOp::create(b, loc, epilogue.bias, ValueRange{n}));
    if (epilogue.relu)
      y = arith::MaximumFOp::create(b, loc, y,
                                    arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f)));
    memref::StoreOp::create(b, loc, y, output, ValueRange{m, n});
  }

  OpBuilder &b;
  Location loc;
  const CPUTargetInfo &target;
  Kind kind;
  Value lhs, rhs, output;
  int64_t k, words;
  LowBitEpilogue epilogue;
};

constexpr llvm::StringLiteral kAmxKernelName = "bnn_ukernel_int8_lowbit_gemm";
constexpr llvm::StringLiteral kAmxCallName = "bnn_lowbit_gemm_call";
constexpr llvm::StringLiteral kMaxThreadsName = "omp_get_max_threads";

/// `bnn_lowbit_gemm_call(x, w, out, ternary, threads)`: the C kernel's call on the buffers'
/// pointers, sizes and row strides (M and K from x, N from w). Null when a symbol of one of
/// the names exists with another type.
func::FuncOp getOrCreateAmxCallWrapper(OpBuilder &b, ModuleOp module) {
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  auto wrapperType =
      FunctionType::get(context,
                        {rowsBufferType(context, b.getI8Type()), rowsBufferType(context, i64),
                         rowsBufferType(context, i32), i32, i32},
                        {});
  if (auto existing = module.lookupSymbol<func::FuncOp>(kAmxCallName))
    return existing.getFunctionType() == wrapperType && !existing.isExternal() ? existing
                                                                               : func::FuncOp();
  auto ptr = LLVM::LLVMPointerType::get(context);
  FunctionType kernelType =
      FunctionType::get(context, {ptr, i64, i64, ptr, i64, i64, i64, i32, ptr, i64, i32}, {});
  if (module.lookupSymbol(kAmxCallName) || !canDeclare(module, kAmxKernelName, kernelType))
    return func::FuncOp();
  func::FuncOp kernel = getOrDeclare(b, module, kAmxKernelName, kernelType);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  auto wrapper = func::FuncOp::create(b, loc, kAmxCallName, wrapperType);
  wrapper.setPrivate();
  // Through the builder (the conversion's rewriter), so that a rolled-back conversion also
  // frees the block.
  SmallVector<Location> argLocs(wrapperType.getNumInputs(), loc);
  Block *body = b.createBlock(&wrapper.getBody(), {}, wrapperType.getInputs(), argLocs);
  Value x = body->getArgument(0), w = body->getArgument(1), out = body->getArgument(2);
  auto toI64 = [&](Value v) -> Value { return arith::IndexCastOp::create(b, loc, i64, v); };
  auto sizeOf = [&](Value buffer, int64_t dim) {
    return toI64(memref::DimOp::create(b, loc, buffer, dim));
  };
  auto rowStride = [&](Value buffer) {
    return toI64(memref::ExtractStridedMetadataOp::create(b, loc, buffer).getStrides()[0]);
  };
  func::CallOp::create(b, loc, kernel,
                       ValueRange{elementPointer(b, loc, x), sizeOf(x, 0), rowStride(x),
                                  elementPointer(b, loc, w), sizeOf(w, 0), rowStride(w),
                                  sizeOf(x, 1), body->getArgument(3), elementPointer(b, loc, out),
                                  rowStride(out), body->getArgument(4)});
  func::ReturnOp::create(b, loc);
  return wrapper;
}

/// A read-only rank-1 buffer of a scale or bias vector (row_scale flattened like the rows).
Value readVector(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return Value();
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getRank() == 0) {
    tensor = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({1}, type.getElementType()),
                                           tensor, ArrayRef<ReassociationIndices>{});
  } else if (type.getRank() > 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    tensor = tensor::CollapseShapeOp::create(b, loc, tensor, ArrayRef<ReassociationIndices>{all});
  }
  auto flat = cast<RankedTensorType>(tensor.getType());
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                       ArrayRef<int64_t>{ShapedType::kDynamic});
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(flat.getShape(), flat.getElementType(), layout), tensor,
      /*read_only=*/true);
}

/// Shared lowering of bnn.lowbit_matmul and bnn.lowbit_linear.
template <typename OpTy>
struct LowBitMatmulLowering : OpConversionPattern<OpTy> {
  LowBitMatmulLowering(const TypeConverter &converter, MLIRContext *context,
                       const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern<OpTy>(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type lhsType = op.getLhs().getType(), rhsType = op.getRhs().getType();
    Kind kind = isa<bnn::PackedType>(lhsType)
                    ? Kind::TernaryBinary
                    : (isa<bnn::TernaryType>(rhsType) ? Kind::Int8Ternary : Kind::Int8Binary);
    int64_t k = isa<bnn::TernaryType>(rhsType) ? cast<bnn::TernaryType>(rhsType).getK()
                                               : cast<bnn::PackedType>(rhsType).getK();
    Value lhsRows = collapseToRows(rewriter, loc, adaptor.getLhs());
    Value rhsRows = adaptor.getRhs();
    // Ternary weights N x 2 x W: one row of 2W words (sign plane, then mask plane).
    if (isa<bnn::TernaryType>(rhsType))
      rhsRows = tensor::CollapseShapeOp::create(
          rewriter, loc, rhsRows, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    Value lhs = readBuffer(rewriter, loc, lhsRows);
    Value rhs = readBuffer(rewriter, loc, rhsRows);
    int64_t staticRows = cast<RankedTensorType>(lhsRows.getType()).getDimSize(0);
    int64_t staticCols = cast<RankedTensorType>(rhsRows.getType()).getDimSize(0);

    LowBitEpilogue epilogue;
    Type elementType = rewriter.getI32Type();
    if constexpr (std::is_same_v<OpTy, bnn::LowBitLinearOp>) {
      epilogue.toFloat = true;
      elementType = rewriter.getF32Type();
      epilogue.weightScale = readVector(rewriter, loc, adaptor.getWeightScale());
      epilogue.perTensorWeightScale =
          op.getWeightScale() &&
          cast<RankedTensorType>(op.getWeightScale().getType()).getDimSize(0) == 1;
      epilogue.rowScale = readVector(rewriter, loc, adaptor.getRowScale());
      epilogue.bias = readVector(rewriter, loc, adaptor.getBias());
      epilogue.relu = op.getActivation() == bnn::Activation::Relu;
    }
    auto outputRows = RankedTensorType::get({staticRows, staticCols}, elementType);
    SmallVector<Value> dynamicSizes;
    if (ShapedType::isDynamic(staticRows))
      dynamicSizes.push_back(dimOf(rewriter, loc, lhs, 0));
    if (ShapedType::isDynamic(staticCols))
      dynamicSizes.push_back(dimOf(rewriter, loc, rhs, 0));
    Value output = allocBuffer(rewriter, loc, outputRows, dynamicSizes);
    int64_t wordsPerRow = k / kWordBits + (k % kWordBits != 0);
    int64_t work = ShapedType::isDynamic(staticCols) ? ShapedType::kDynamic
                                                     : workOf(staticRows, staticCols * wordsPerRow);
    auto module = op->template getParentOfType<ModuleOp>();
    if (kind != Kind::TernaryBinary)
      declareIntrinsics(rewriter, module, target.int8Dot);
    bool inParallel = runInParallel(op, parallel, target, work);
    LowBitEmitter emitter(rewriter, loc, target, kind, lhs, rhs, output, k, epilogue);
    // The AMX kernel for products of at least amxMinRows rows (a run-time choice when the
    // row count is dynamic), the register kernel for fewer.
    bool amx = kind != Kind::TernaryBinary && target.lowBitGemm == CPUTargetInfo::LowBitGemm::Amx &&
               (ShapedType::isDynamic(staticRows) || staticRows >= target.amxMinRows);
    if (!amx) {
      emitter.emit(inParallel);
    } else {
      FunctionType maxThreadsType = rewriter.getFunctionType({}, rewriter.getI32Type());
      func::FuncOp wrapper, maxThreads;
      if (!inParallel || canDeclare(module, kMaxThreadsName, maxThreadsType))
        wrapper = getOrCreateAmxCallWrapper(rewriter, module);
      if (wrapper && inParallel)
        maxThreads = getOrDeclare(rewriter, module, kMaxThreadsName, maxThreadsType);
      if (!wrapper || (inParallel && !maxThreads))
        return op.emitOpError("cannot call the runtime kernel: the module already defines @")
               << kAmxKernelName << ", @" << kAmxCallName << " or @" << kMaxThreadsName
               << " with another type";
      auto emitCall = [&] {
        Type i32 = rewriter.getI32Type();
        Value threads =
            inParallel ? func::CallOp::create(rewriter, loc, maxThreads, ValueRange{}).getResult(0)
                       : arith::ConstantIntOp::create(rewriter, loc, i32, 1).getResult();
        Value ternary =
            arith::ConstantIntOp::create(rewriter, loc, i32, kind == Kind::Int8Ternary ? 1 : 0);
        // lowbit_linear: i32 products into a scratch buffer, then the epilogue.
        Value dots = output;
        if (epilogue.toFloat)
          dots = allocBuffer(rewriter, loc, RankedTensorType::get({staticRows, staticCols}, i32),
                             dynamicSizes);
        MLIRContext *context = rewriter.getContext();
        auto cast = [&](Value buffer, Type elementType) -> Value {
          return memref::CastOp::create(rewriter, loc, rowsBufferType(context, elementType),
                                        buffer);
        };
        func::CallOp::create(rewriter, loc, wrapper,
                             ValueRange{cast(lhs, rewriter.getI8Type()),
                                        cast(rhs, rewriter.getI64Type()), cast(dots, i32), ternary,
                                        threads});
        if (epilogue.toFloat)
          emitter.emitEpilogueFrom(dots);
      };
      if (!ShapedType::isDynamic(staticRows)) {
        emitCall();
      } else {
        Value rows = dimOf(rewriter, loc, lhs, 0);
        Value many = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::uge, rows,
                                           indexConst(rewriter, loc, target.amxMinRows));
        auto ifOp = scf::IfOp::create(rewriter, loc, many, /*withElseRegion=*/true);
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(ifOp.thenBlock());
        emitCall();
        rewriter.setInsertionPointToStart(ifOp.elseBlock());
        emitter.emit(inParallel);
      }
    }
    Value result = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, result, op.getType(), adaptor.getLhs()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

/// bnn.quantize_absmax as two linalg.generic ops: the row maxima of |x| (maxnumf, which
/// ignores NaN, from eps up: exact in any order), then per element
/// clip(roundeven(x * (127 / m)), -127, 127) with NaN to 0, and the scales m / 127, all in f32
/// as the reference computes them.
struct QuantizeAbsmaxLowering : OpConversionPattern<bnn::QuantizeAbsmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnn::QuantizeAbsmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    auto f32 = rewriter.getF32Type();
    SmallVector<Value> rowDynamic, allDynamic;
    for (int64_t i = 0; i < rank; ++i)
      if (type.isDynamicDim(i)) {
        Value dim = tensor::DimOp::create(rewriter, loc, input, i);
        allDynamic.push_back(dim);
        if (i < rank - 1)
          rowDynamic.push_back(dim);
      }
    auto rowsType = RankedTensorType::get(type.getShape().drop_back(), f32);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineExpr> leading;
    for (int64_t i = 0; i < rank - 1; ++i)
      leading.push_back(rewriter.getAffineDimExpr(i));
    AffineMap rowMap = AffineMap::get(rank, 0, leading, rewriter.getContext());
    SmallVector<utils::IteratorType> reduceLast(rank, utils::IteratorType::parallel);
    reduceLast.back() = utils::IteratorType::reduction;
    Value eps = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(
                                                             op.getEps().convertToFloat()));
    Value maxInit = linalg::FillOp::create(
                        rewriter, loc, eps,
                        tensor::EmptyOp::create(rewriter, loc, rowsType, rowDynamic).getResult())
                        .getResult(0);
    Value maxima =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{rowsType}, ValueRange{input}, ValueRange{maxInit},
            ArrayRef<AffineMap>{identity, rowMap}, reduceLast,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value magnitude = math::AbsFOp::create(b, l, args[0]);
              linalg::YieldOp::create(
                  b, l, arith::MaxNumFOp::create(b, l, args[1], magnitude).getResult());
            })
            .getResult(0);
    auto constant = [&](OpBuilder &b, Location l, float value) {
      return arith::ConstantOp::create(b, l, b.getF32FloatAttr(value));
    };
    auto qType = RankedTensorType::get(type.getShape(), rewriter.getI8Type());
    SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
    Value quantized =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{qType}, ValueRange{input, maxima},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, qType, allDynamic).getResult()},
            ArrayRef<AffineMap>{identity, rowMap, identity}, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = arith::DivFOp::create(b, l, constant(b, l, 127.0f), args[1]);
              Value v = math::RoundEvenOp::create(b, l, arith::MulFOp::create(b, l, args[0], s));
              Value isNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
              v = arith::SelectOp::create(b, l, isNaN, constant(b, l, 0.0f), v);
              v = arith::MinimumFOp::create(
                  b, l, arith::MaximumFOp::create(b, l, v, constant(b, l, -127.0f)),
                  constant(b, l, 127.0f));
              linalg::YieldOp::create(
                  b, l, arith::FPToSIOp::create(b, l, b.getI8Type(), v).getResult());
            })
            .getResult(0);
    AffineMap rowIdentity = rewriter.getMultiDimIdentityMap(rank - 1);
    SmallVector<utils::IteratorType> rowParallel(rank - 1, utils::IteratorType::parallel);
    Value scales =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{rowsType}, ValueRange{maxima},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, rowsType, rowDynamic).getResult()},
            ArrayRef<AffineMap>{rowIdentity, rowIdentity}, rowParallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::DivFOp::create(b, l, args[0], constant(b, l, 127.0f)).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, {quantized, scales});
    return success();
  }
};

struct TernaryConstantLowering : OpConversionPattern<bnn::TernaryConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnn::TernaryConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

} // namespace

void bnn::cpu::populateLowBitToCPUPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           const CPUTargetInfo &target, bool parallel) {
  patterns.add<TernaryConstantLowering, QuantizeAbsmaxLowering>(converter, patterns.getContext());
  patterns.add<LowBitMatmulLowering<bnn::LowBitMatmulOp>,
               LowBitMatmulLowering<bnn::LowBitLinearOp>>(converter, patterns.getContext(),
                                                          target, parallel);
}
