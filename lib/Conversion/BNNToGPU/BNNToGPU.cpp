//===- BNNToGPU.cpp - convert-bnn-to-gpu ----------------------------------===//
//
// Turns functions of bnn ops into GPU host functions: memref arguments and out-parameters, one
// memref.alloc per intermediate, and a gpu.launch_func per kernel. Two phases:
//
//  1. Plan: check that every function is one the GPU path supports (diagnostics otherwise),
//     choose the kernel and tiling of every op (selectGemmTiling) and write the kernels into
//     `gpu.module @bnn_kernels` (KernelLibrary).
//  2. Convert: a dialect conversion with a TypeConverter (tensor -> memref, !bnn.packed -> its
//     i64 storage) rewrites the functions and their ops into launches of those kernels.
//
// The tensor-core GEMM needs the row popcounts of both operands. A bnn.pack produces them as a
// by-product and a bnn.constant has them computed at compile time; the patterns share them
// through a table keyed by the original packed value. Other packed values (function
// arguments, packed xnor_linear results) get a popcount kernel before their first GEMM use.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "bnn/Conversion/BNNToGPU/BNNToGPU.h"
#include "bnn/Conversion/BNNToGPU/Passes.h"
#include "bnn/IR/BNNOps.h"
#include "bnn/Tuning/TuningDatabase.h"
#include "llvm/Support/FormatVariadic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

namespace bnn {
#define GEN_PASS_DEF_CONVERTBNNTOGPU
#include "bnn/Conversion/BNNToGPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using namespace ::bnn::gpugen;

namespace {

constexpr llvm::StringLiteral kHostAttr = "bnn.gpu.host";
constexpr llvm::StringLiteral kResultAttr = "bnn.result";
constexpr llvm::StringLiteral kLogicalTypeAttr = "bnn.logical_type";

MemRefType toMemRef(Type type) {
  if (auto packed = dyn_cast<bnn::PackedType>(type)) {
    RankedTensorType storage = packed.getStorageType();
    return MemRefType::get(storage.getShape(), storage.getElementType());
  }
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  return {};
}

int64_t rowsOf(bnn::PackedType type) { return type.getNumRows(); }

bool hasBNNOps(func::FuncOp func) {
  bool found = false;
  func.walk([&](Operation *op) {
    if (isa<bnn::BNNDialect>(op->getDialect()))
      found = true;
  });
  return found;
}

//===----------------------------------------------------------------------===//
// Phase 1: plans and kernels
//===----------------------------------------------------------------------===//

struct XnorPlan {
  GemmTiling tiling;
  KernelInfo kernel;
  XnorKernelTypes types;
  bool needsPopcounts = false;
};

/// What the patterns share: the kernels chosen in phase 1 and, during the conversion, the row
/// popcounts of packed values.
struct LoweringState {
  DenseMap<Operation *, KernelInfo> packKernels;
  DenseMap<Operation *, XnorPlan> xnorPlans;
  DenseMap<Operation *, HammingTopKPlan> hammingPlans;
  DenseMap<Type, KernelInfo> popcountKernels; // keyed by the words' memref type
  DenseMap<Value, Value> rowPopcounts;        // original packed value -> i32 memref
  unsigned numConstants = 0;
};

MemRefType popcountType(bnn::PackedType type) {
  return MemRefType::get({rowsOf(type)}, IntegerType::get(type.getContext(), 32));
}

LogicalResult checkStatic(Operation *op, Type type) {
  bool isStatic = true;
  if (auto packed = dyn_cast<bnn::PackedType>(type))
    isStatic = packed.hasStaticShape();
  else if (auto shaped = dyn_cast<ShapedType>(type))
    isStatic = shaped.hasStaticShape();
  if (!isStatic)
    return op->emitOpError("has dynamic shape ")
           << type << "; convert-bnn-to-gpu needs static shapes (specialize first)";
  return success();
}

/// Where GEMM tilings come from besides the chip defaults: the pass options (which win) and
/// the tuning database.
struct TilingSource {
  GemmTilingOverrides options;
  std::shared_ptr<const ::bnn::tuning::TuningDatabase> database; ///< null: none
  std::string databasePath;
  bool remarks = false;
};

std::string describeTiling(const GemmTiling &t) {
  std::string s = stringifyGemmKernelKind(t.kind).str();
  if (t.kind == GemmKernelKind::Gemv)
    return s;
  s += " tile " + std::to_string(t.tileM) + "x" + std::to_string(t.tileN) + ", " +
       std::to_string(t.stages) + " stages, warps " + std::to_string(t.warpsM) + "x" +
       std::to_string(t.warpsN);
  if (t.persistentBlocks)
    s += ", " + std::to_string(t.persistentBlocks) + " persistent blocks";
  return s;
}

/// The tiling of an M x N x K product: the pass options when any is given, else the tuning
/// database's tuned entry for the shape class, else the chip defaults (with a remark, when
/// asked, saying which).
FailureOr<GemmTiling> chooseTiling(Operation *op, const ChipInfo &chip, int64_t m, int64_t n,
                                   int64_t k, const TilingSource &source) {
  namespace tuning = ::bnn::tuning;
  if (m == 1 || source.options.isExplicit()) {
    FailureOr<GemmTiling> t =
        selectGemmTiling(chip, m, n, k, source.options, [&] { return op->emitOpError(); });
    if (succeeded(t) && source.remarks && m > 1)
      op->emitRemark() << "bnn-tuning: explicit tiling options (the tuning database is not "
                          "consulted): "
                       << describeTiling(*t);
    return t;
  }
  tuning::ShapeClass shape = tuning::classifyShape(m, n, k);
  std::string what = std::string(tuning::kGpuXnorGemm) + " " + shape.str();
  const tuning::Entry *entry =
      source.database ? source.database->lookup(tuning::kGpuXnorGemm, shape) : nullptr;
  if (!entry || entry->untuned) {
    FailureOr<GemmTiling> t =
        selectGemmTiling(chip, m, n, k, source.options, [&] { return op->emitOpError(); });
    if (succeeded(t) && source.remarks) {
      InFlightDiagnostic remark = op->emitRemark();
      if (!source.database)
        remark << "bnn-tuning: no tuning database for " << chip.name << "; " << what;
      else if (!entry)
        remark << "bnn-tuning: no entry for " << what << " in " << source.databasePath;
      else
        remark << "bnn-tuning: the entry for " << what << " in " << source.databasePath
               << " is untuned";
      remark << "; using the " << chip.name << " defaults: " << describeTiling(*t);
    }
    return t;
  }
  GemmTilingOverrides fromEntry;
  fromEntry.mma = entry->gpu->mma;
  fromEntry.tileM = entry->gpu->tileM;
  fromEntry.tileN = entry->gpu->tileN;
  fromEntry.stages = entry->gpu->stages;
  fromEntry.persistentBlocks = entry->gpu->persistentBlocks;
  auto entryError = [&] {
    InFlightDiagnostic d = op->emitOpError();
    d << "tuning entry " << what << " in " << source.databasePath << ": ";
    return d;
  };
  FailureOr<GemmTiling> t = selectGemmTiling(chip, m, n, k, fromEntry, entryError);
  if (failed(t))
    return failure();
  if (t->warpsM != entry->gpu->warpsM || t->warpsN != entry->gpu->warpsN) {
    entryError() << "records warps " << entry->gpu->warpsM << "x" << entry->gpu->warpsN
                 << ", but its tile has warps " << t->warpsM << "x" << t->warpsN;
    return failure();
  }
  if (source.remarks)
    op->emitRemark() << "bnn-tuning: " << what << " from " << source.databasePath << ": "
                     << describeTiling(*t) << " (measured " << llvm::formatv("{0:f2}", *entry->timeUs).str() << " us at "
                     << entry->measuredShape[0] << "x" << entry->measuredShape[1] << "x"
                     << entry->measuredShape[2] << ", " << entry->device << ", "
                     << entry->date << ")";
  return t;
}

/// Checks one function and writes the kernels its ops need.
LogicalResult planFunction(func::FuncOp func, KernelLibrary &library, const ChipInfo &chip,
                           const TilingSource &tilingSource, LoweringState &state) {
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("has ")
           << func.getBody().getBlocks().size()
           << " blocks; convert-bnn-to-gpu lowers straight-line functions (one block)";
  for (Type type : llvm::concat<const Type>(func.getArgumentTypes(), func.getResultTypes())) {
    if (!isa<RankedTensorType, bnn::PackedType>(type))
      return func.emitOpError("has an argument or result of type ")
             << type << "; a GPU host function takes ranked tensors and !bnn.packed values";
    if (failed(checkStatic(func, type)))
      return failure();
  }

  // Packed values whose popcounts no producer provides: they need a popcount kernel.
  auto needPopcountKernel = [&](Value packed) {
    if (packed.getDefiningOp<bnn::PackOp>() || packed.getDefiningOp<bnn::ConstantOp>())
      return;
    MemRefType words = toMemRef(packed.getType());
    if (!state.popcountKernels.count(words))
      state.popcountKernels[words] =
          library.getPopcountKernel(words, popcountType(cast<bnn::PackedType>(packed.getType())));
  };

  auto planXnor = [&](Operation *op, Value lhs, Value rhs, const EpilogueSpec &epilogue,
                      Value colScale, Value rowScale, Value bias) -> LogicalResult {
    auto lhsType = cast<bnn::PackedType>(lhs.getType());
    auto rhsType = cast<bnn::PackedType>(rhs.getType());
    int64_t m = rowsOf(lhsType), n = rhsType.getShape().front(), k = lhsType.getK();
    if (m == 0 || n == 0)
      return op->emitOpError("has an empty operand (M = ")
             << m << ", N = " << n << "); nothing to launch";
    FailureOr<GemmTiling> tiling = chooseTiling(op, chip, m, n, k, tilingSource);
    if (failed(tiling))
      return failure();
    XnorPlan plan;
    plan.tiling = *tiling;
    plan.needsPopcounts = tiling->kind != GemmKernelKind::Gemv;
    plan.types.lhs = toMemRef(lhsType);
    plan.types.rhs = toMemRef(rhsType);
    if (plan.needsPopcounts) {
      plan.types.lhsPopcounts = popcountType(lhsType);
      plan.types.rhsPopcounts = popcountType(rhsType);
      needPopcountKernel(lhs);
      needPopcountKernel(rhs);
    }
    if (colScale)
      plan.types.colScale = toMemRef(colScale.getType());
    if (rowScale)
      plan.types.rowScale = toMemRef(rowScale.getType());
    if (bias)
      plan.types.bias = toMemRef(bias.getType());
    plan.types.out = toMemRef(op->getResult(0).getType());
    plan.kernel = library.getXnorKernel(plan.tiling, m, n, k, plan.types, epilogue);
    state.xnorPlans[op] = plan;
    return success();
  };

  for (Operation &op : func.getBody().front()) {
    for (Type type : llvm::concat<const Type>(op.getOperandTypes(), op.getResultTypes()))
      if (failed(checkStatic(&op, type)))
        return failure();
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](bnn::PackOp pack) -> LogicalResult {
              auto inputType = cast<RankedTensorType>(pack.getInput().getType());
              Type element = inputType.getElementType();
              if (!element.isF16() && !element.isBF16() && !element.isF32() &&
                  !element.isF64() && !element.isInteger(1))
                return pack.emitOpError("packs elements of type ")
                       << element << "; the GPU pack kernel reads f16, bf16, f32, f64 or i1";
              auto packedType = cast<bnn::PackedType>(pack.getType());
              state.packKernels[pack] = library.getPackKernel(
                  toMemRef(inputType), toMemRef(packedType), popcountType(packedType));
              return success();
            })
            .Case([&](bnn::ConstantOp constant) -> LogicalResult {
              // Their row popcounts are computed at compile time from the words.
              if (!constant.getValue().tryGetValues<APInt>())
                return constant.emitOpError("has storage words that cannot be read (an "
                                            "elided or external resource?)");
              return success();
            })
            .Case([&](bnn::XnorPopcountOp xnor) {
              return planXnor(xnor, xnor.getLhs(), xnor.getRhs(), EpilogueSpec(), Value(),
                              Value(), Value());
            })
            .Case([&](bnn::XnorLinearOp linear) {
              EpilogueSpec epilogue;
              epilogue.output = linear.hasPackedResult() ? EpilogueSpec::Output::Packed
                                                         : EpilogueSpec::Output::Float32;
              epilogue.colScale = static_cast<bool>(linear.getColScale());
              epilogue.rowScale = static_cast<bool>(linear.getRowScale());
              epilogue.bias = static_cast<bool>(linear.getBias());
              epilogue.relu = linear.getActivation() == bnn::Activation::Relu;
              return planXnor(linear, linear.getLhs(), linear.getRhs(), epilogue,
                              linear.getColScale(), linear.getRowScale(), linear.getBias());
            })
            .Case([&](bnn::HammingTopKOp search) -> LogicalResult {
              int64_t k = search.getK();
              if (k > kMaxHammingTopKOnGPU)
                return search.emitOpError("k = ")
                       << k << " exceeds the GPU kernel's limit of " << kMaxHammingTopKOnGPU;
              auto queries = cast<bnn::PackedType>(search.getQueries().getType());
              auto database = cast<bnn::PackedType>(search.getDatabase().getType());
              state.hammingPlans[search] = library.getHammingTopKKernels(
                  toMemRef(queries), toMemRef(database),
                  toMemRef(cast<RankedTensorType>(search.getDistances().getType())),
                  toMemRef(cast<RankedTensorType>(search.getIndices().getType())), k);
              return success();
            })
            .Case([&](func::ReturnOp) { return success(); })
            .Default([&](Operation *other) {
              return other->emitOpError(
                  "has no GPU lowering; a function lowered by convert-bnn-to-gpu may contain "
                  "only bnn.pack, bnn.constant, bnn.xnor_popcount, bnn.xnor_linear, "
                  "bnn.hamming_topk and func.return (run --bnn-lower-ste --canonicalize "
                  "first)");
            });
    if (failed(result))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Phase 2: conversion patterns
//===----------------------------------------------------------------------===//

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

void launch(ConversionPatternRewriter &rewriter, Location loc, const KernelInfo &kernel,
            ValueRange operands) {
  auto dims = [&](const std::array<int64_t, 3> &d) {
    return gpu::KernelDim3{indexConstant(rewriter, loc, d[0]), indexConstant(rewriter, loc, d[1]),
                           indexConstant(rewriter, loc, d[2])};
  };
  Value shared = arith::ConstantIntOp::create(rewriter, loc, kernel.geometry.sharedMemoryBytes, 32);
  gpu::LaunchFuncOp::create(rewriter, loc, kernel.func, dims(kernel.geometry.grid),
                            dims(kernel.geometry.block), shared, operands);
}

/// Where `result` should be written: the function's out-parameter when the result is
/// returned (so that no copy is needed), a fresh allocation otherwise.
Value destinationFor(Value result, MemRefType type, ConversionPatternRewriter &rewriter,
                     Location loc) {
  for (OpOperand &use : result.getUses()) {
    auto ret = dyn_cast<func::ReturnOp>(use.getOwner());
    if (!ret)
      continue;
    Block *block = ret->getBlock();
    unsigned firstOut = block->getNumArguments() - ret.getNumOperands();
    return block->getArgument(firstOut + use.getOperandNumber());
  }
  return memref::AllocOp::create(rewriter, loc, type);
}

class HostFuncPattern : public OpConversionPattern<func::FuncOp> {
public:
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(func::FuncOp func, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FunctionType type = func.getFunctionType();
    const TypeConverter &converter = *getTypeConverter();
    TypeConverter::SignatureConversion signature(type.getNumInputs());
    for (auto [i, input] : llvm::enumerate(type.getInputs())) {
      Type converted = converter.convertType(input);
      if (!converted)
        return rewriter.notifyMatchFailure(func, "unconvertible argument type");
      signature.addInputs(i, converted);
    }
    SmallVector<Type> outs;
    for (Type result : type.getResults())
      outs.push_back(converter.convertType(result));
    signature.addInputs(outs); // results become trailing out-parameters
    if (failed(rewriter.convertRegionTypes(&func.getBody(), converter, &signature)))
      return failure();

    MLIRContext *ctx = func.getContext();
    SmallVector<DictionaryAttr> argAttrs;
    for (auto [i, input] : llvm::enumerate(type.getInputs())) {
      NamedAttrList attrs(func.getArgAttrDict(i));
      attrs.set(kLogicalTypeAttr, TypeAttr::get(input));
      argAttrs.push_back(attrs.getDictionary(ctx));
    }
    for (auto [i, result] : llvm::enumerate(type.getResults())) {
      NamedAttrList attrs;
      attrs.set(kResultAttr, IntegerAttr::get(IntegerType::get(ctx, 64), i));
      attrs.set(kLogicalTypeAttr, TypeAttr::get(result));
      argAttrs.push_back(attrs.getDictionary(ctx));
    }
    rewriter.modifyOpInPlace(func, [&] {
      func.setType(FunctionType::get(ctx, signature.getConvertedTypes(), {}));
      func.setAllArgAttrs(argAttrs);
      func.removeResAttrsAttr();
      func->setAttr(kHostAttr, UnitAttr::get(ctx));
    });
    return success();
  }
};

class HostReturnPattern : public OpConversionPattern<func::ReturnOp> {
public:
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(func::ReturnOp ret, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Block *block = ret->getBlock();
    unsigned firstOut = block->getNumArguments() - ret.getNumOperands();
    for (auto [i, value] : llvm::enumerate(adaptor.getOperands())) {
      Value out = block->getArgument(firstOut + i);
      // Producers write returned values straight into their out-parameter; only arguments
      // and values returned twice need a copy.
      if (value != out)
        memref::CopyOp::create(rewriter, ret.getLoc(), value, out);
    }
    rewriter.replaceOpWithNewOp<func::ReturnOp>(ret);
    return success();
  }
};

template <typename OpTy>
class StatefulPattern : public OpConversionPattern<OpTy> {
public:
  StatefulPattern(const TypeConverter &converter, MLIRContext *ctx, LoweringState &state)
      : OpConversionPattern<OpTy>(converter, ctx), state(state) {}

protected:
  LoweringState &state;
};

class PackPattern : public StatefulPattern<bnn::PackOp> {
public:
  using StatefulPattern::StatefulPattern;

  LogicalResult matchAndRewrite(bnn::PackOp pack, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = pack.getLoc();
    auto packedType = cast<bnn::PackedType>(pack.getType());
    Value words = destinationFor(pack.getResult(), toMemRef(packedType), rewriter, loc);
    Value popcounts = memref::AllocOp::create(rewriter, loc, popcountType(packedType));
    launch(rewriter, loc, state.packKernels.lookup(pack), {adaptor.getInput(), words, popcounts});
    state.rowPopcounts[pack.getResult()] = popcounts;
    rewriter.replaceOp(pack, words);
    return success();
  }
};

class ConstantPattern : public StatefulPattern<bnn::ConstantOp> {
public:
  using StatefulPattern::StatefulPattern;

  LogicalResult matchAndRewrite(bnn::ConstantOp constant, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = constant.getLoc();
    auto packedType = cast<bnn::PackedType>(constant.getType());
    auto values = constant.getValue().tryGetValues<APInt>(); // checked by planFunction
    if (!values)
      return failure();
    // Row popcounts are computed here, once, rather than by a kernel on every call.
    const int64_t words = packedType.getNumWords();
    SmallVector<int32_t> popcounts(rowsOf(packedType), 0);
    int64_t i = 0;
    for (const APInt &word : *values)
      popcounts[i++ / words] += word.popcount();

    auto module = constant->getParentOfType<ModuleOp>();
    std::string name = "__bnn_constant_" + std::to_string(state.numConstants++);
    MemRefType wordsType = toMemRef(packedType);
    MemRefType popType = popcountType(packedType);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(rewriter, loc, name, rewriter.getStringAttr("private"),
                               wordsType, constant.getValue(), /*constant=*/true,
                               rewriter.getI64IntegerAttr(64));
      memref::GlobalOp::create(
          rewriter, loc, name + "_popcounts", rewriter.getStringAttr("private"), popType,
          DenseElementsAttr::get(RankedTensorType::get(popType.getShape(),
                                                       popType.getElementType()),
                                 ArrayRef<int32_t>(popcounts)),
          /*constant=*/true, rewriter.getI64IntegerAttr(64));
    }
    Value wordsValue = memref::GetGlobalOp::create(rewriter, loc, wordsType, name);
    Value popValue = memref::GetGlobalOp::create(rewriter, loc, popType, name + "_popcounts");
    state.rowPopcounts[constant.getResult()] = popValue;
    // A returned constant is copied into its out-parameter by the return pattern.
    rewriter.replaceOp(constant, wordsValue);
    return success();
  }
};

/// Shared by bnn.xnor_popcount and bnn.xnor_linear.
template <typename OpTy>
class XnorPattern : public StatefulPattern<OpTy> {
public:
  using StatefulPattern<OpTy>::StatefulPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    const XnorPlan &plan = this->state.xnorPlans.find(op)->second;
    SmallVector<Value> operands;
    operands.push_back(adaptor.getLhs());
    if (plan.needsPopcounts)
      operands.push_back(popcountsOf(op.getLhs(), adaptor.getLhs(), rewriter, loc));
    operands.push_back(adaptor.getRhs());
    if (plan.needsPopcounts)
      operands.push_back(popcountsOf(op.getRhs(), adaptor.getRhs(), rewriter, loc));
    if constexpr (std::is_same_v<OpTy, bnn::XnorLinearOp>) {
      for (Value v : {adaptor.getColScale(), adaptor.getRowScale(), adaptor.getBias()})
        if (v)
          operands.push_back(v);
    }
    Value out = destinationFor(op.getResult(), plan.types.out, rewriter, loc);
    operands.push_back(out);
    launch(rewriter, loc, plan.kernel, operands);
    rewriter.replaceOp(op, out);
    return success();
  }

private:
  /// The row popcounts of a packed operand: from its producer, or from a popcount kernel
  /// launched before the first GEMM that needs them (then shared by later users).
  Value popcountsOf(Value original, Value words, ConversionPatternRewriter &rewriter,
                    Location loc) const {
    if (Value known = this->state.rowPopcounts.lookup(original))
      return known;
    auto packedType = cast<bnn::PackedType>(original.getType());
    Value popcounts = memref::AllocOp::create(rewriter, loc, popcountType(packedType));
    launch(rewriter, loc, this->state.popcountKernels.lookup(toMemRef(packedType)),
           {words, popcounts});
    this->state.rowPopcounts[original] = popcounts;
    return popcounts;
  }
};

class HammingTopKPattern : public StatefulPattern<bnn::HammingTopKOp> {
public:
  using StatefulPattern::StatefulPattern;

  LogicalResult matchAndRewrite(bnn::HammingTopKOp search, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = search.getLoc();
    Value distances = destinationFor(
        search.getDistances(),
        toMemRef(cast<RankedTensorType>(search.getDistances().getType())), rewriter, loc);
    Value indices = destinationFor(
        search.getIndices(), toMemRef(cast<RankedTensorType>(search.getIndices().getType())),
        rewriter, loc);
    const HammingTopKPlan &plan = state.hammingPlans.find(search)->second;
    if (plan.shards == 1) {
      launch(rewriter, loc, plan.scan,
             {adaptor.getQueries(), adaptor.getDatabase(), distances, indices});
    } else {
      // The shards' lists go to scratch, then one merge per query (freed with the other
      // intermediates at the end of the function).
      Value scratchD = memref::AllocOp::create(rewriter, loc, plan.scratchDistances);
      Value scratchI = memref::AllocOp::create(rewriter, loc, plan.scratchIndices);
      launch(rewriter, loc, plan.scan,
             {adaptor.getQueries(), adaptor.getDatabase(), scratchD, scratchI});
      launch(rewriter, loc, plan.merge, {scratchD, scratchI, distances, indices});
    }
    rewriter.replaceOp(search, ValueRange{distances, indices});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertBNNToGPUPass : ::bnn::impl::ConvertBNNToGPUBase<ConvertBNNToGPUPass> {
  using Base::Base;

  GemmTilingOverrides getOverrides() const {
    GemmTilingOverrides overrides;
    overrides.mma = mma;
    overrides.tileM = tileM;
    overrides.tileN = tileN;
    overrides.stages = stages;
    overrides.persistentBlocks = persistentBlocks;
    return overrides;
  }

  /// The options that do not depend on the module: the chip and the shape-independent ranges
  /// of the overrides.
  llvm::Error checkOptions() const {
    llvm::Expected<ChipInfo> chipInfo = parseChipOption(chip);
    if (!chipInfo)
      return chipInfo.takeError();
    return checkGemmTilingOverrides(*chipInfo, getOverrides());
  }

  /// Options given in a pipeline string are checked where they are parsed.
  LogicalResult
  initializeOptions(StringRef options,
                    function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Base::initializeOptions(options, errorHandler)))
      return failure();
    if (llvm::Error error = checkOptions())
      return errorHandler("convert-bnn-to-gpu: " + llvm::toString(std::move(error)));
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // Checked again here for passes built in C++ (bnn-gpu-pipeline), which bypass
    // initializeOptions.
    if (llvm::Error error = checkOptions()) {
      module.emitError() << "convert-bnn-to-gpu: " << llvm::toString(std::move(error));
      return signalPassFailure();
    }
    FailureOr<ChipInfo> chipInfo = parseChip(chip);
    TilingSource tilingSource;
    tilingSource.options = getOverrides();
    tilingSource.remarks = tuningRemarks;
    llvm::Expected<std::shared_ptr<const ::bnn::tuning::TuningDatabase>> database =
        ::bnn::tuning::loadTuningDatabase(tuningDb, chip, &tilingSource.databasePath);
    if (!database) {
      module.emitError() << "convert-bnn-to-gpu: " << llvm::toString(database.takeError());
      return signalPassFailure();
    }
    tilingSource.database = std::move(*database);

    SmallVector<func::FuncOp> hostFuncs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && hasBNNOps(func))
        hostFuncs.push_back(func);
    if (hostFuncs.empty())
      return;

    KernelLibrary library(module, *chipInfo);
    LoweringState state;
    for (func::FuncOp func : hostFuncs)
      if (failed(planFunction(func, library, *chipInfo, tilingSource, state)))
        return signalPassFailure();

    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion([](RankedTensorType type) -> Type { return toMemRef(type); });
    converter.addConversion([](bnn::PackedType type) -> Type { return toMemRef(type); });

    ConversionTarget target(*ctx);
    target.addIllegalDialect<bnn::BNNDialect>();
    target.addLegalOp<ModuleOp>();
    target.addLegalDialect<arith::ArithDialect, memref::MemRefDialect, gpu::GPUDialect,
                           scf::SCFDialect, vector::VectorDialect, math::MathDialect,
                           nvgpu::NVGPUDialect, NVVM::NVVMDialect, LLVM::LLVMDialect>();
    llvm::SmallPtrSet<Operation *, 8> isHost;
    for (func::FuncOp func : hostFuncs)
      isHost.insert(func);
    target.addDynamicallyLegalOp<func::FuncOp>([isHost](func::FuncOp func) {
      return !isHost.contains(func) || func->hasAttr(kHostAttr);
    });
    target.addDynamicallyLegalOp<func::ReturnOp>([isHost](func::ReturnOp ret) {
      return !isHost.contains(ret->getParentOp()) || ret.getNumOperands() == 0;
    });

    RewritePatternSet patterns(ctx);
    patterns.add<HostFuncPattern, HostReturnPattern>(converter, ctx);
    patterns.add<PackPattern, ConstantPattern, XnorPattern<bnn::XnorPopcountOp>,
                 XnorPattern<bnn::XnorLinearOp>, HammingTopKPattern>(converter, ctx, state);
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Intermediates live for one call; free them before returning.
    for (func::FuncOp func : hostFuncs) {
      Block &body = func.getBody().front();
      Operation *ret = body.getTerminator();
      OpBuilder b(ret);
      for (auto alloc : llvm::make_early_inc_range(body.getOps<memref::AllocOp>()))
        memref::DeallocOp::create(b, alloc.getLoc(), alloc);
    }
  }
};

} // namespace
