//===- HammingTopKToCPU.cpp - bnn.hamming_topk to a runtime micro-kernel call ===//
//
// bnn.hamming_topk is not generated code: it calls the runtime's `bnn_ukernel_hamming_topk`
// (bnn/runtime/HammingTopK.h), the kernel behind the runtime's index too, as IREE's CPU
// codegen calls its ukernels. The call site passes buffers to a small private function,
// `bnn_hamming_topk_call`, whose body takes their aligned pointers and sizes apart and calls
// the C function: the buffers stay memref operands of a call, so buffer deallocation frees them
// after it, never between taking a pointer and using it.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace bnn::cpu;
using bnn::CPUTargetInfo;

namespace {

constexpr llvm::StringLiteral kKernelName = "bnn_ukernel_hamming_topk";
constexpr llvm::StringLiteral kCallName = "bnn_hamming_topk_call";
/// The thread count of the OpenMP runtime that runs the pipeline's parallel loops (the JIT
/// sets it from --threads before every call).
constexpr llvm::StringLiteral kMaxThreadsName = "omp_get_max_threads";

/// `bnn_hamming_topk_call(queries, database, distances, indices, threads)`: the C kernel's
/// call on the buffers' pointers and sizes (Q and words from the queries, N from the database,
/// k from the results).
func::FuncOp getOrCreateCallWrapper(OpBuilder &b, ModuleOp module) {
  MLIRContext *context = b.getContext();
  MemRefType words = rowsBufferType(context, b.getI64Type());
  MemRefType distances = rowsBufferType(context, b.getI32Type());
  auto wrapperType = FunctionType::get(context, {words, words, distances, words, b.getI32Type()},
                                       {});
  if (auto existing = module.lookupSymbol<func::FuncOp>(kCallName))
    return existing.getFunctionType() == wrapperType && !existing.isExternal() ? existing
                                                                              : func::FuncOp();
  auto ptr = LLVM::LLVMPointerType::get(context);
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  FunctionType kernelType =
      FunctionType::get(context, {ptr, i64, ptr, i64, i64, i64, ptr, ptr, i32}, {});
  if (module.lookupSymbol(kCallName) || !canDeclare(module, kKernelName, kernelType))
    return func::FuncOp();
  func::FuncOp kernel = getOrDeclare(b, module, kKernelName, kernelType);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  auto wrapper = func::FuncOp::create(b, loc, kCallName, wrapperType);
  wrapper.setPrivate();
  // Through the builder (the conversion's rewriter), so that a rolled-back conversion also
  // frees the block.
  SmallVector<Location> argLocs(wrapperType.getNumInputs(), loc);
  Block *body = b.createBlock(&wrapper.getBody(), {}, wrapperType.getInputs(), argLocs);
  b.setInsertionPointToStart(body);
  Value queries = body->getArgument(0), database = body->getArgument(1);
  Value distanceRows = body->getArgument(2), indexRows = body->getArgument(3);
  auto sizeOf = [&](Value buffer, int64_t dim) -> Value {
    Value size = memref::DimOp::create(b, loc, buffer, dim);
    return arith::IndexCastOp::create(b, loc, i64, size);
  };
  func::CallOp::create(b, loc, kernel,
                       ValueRange{elementPointer(b, loc, queries), sizeOf(queries, 0),
                                  elementPointer(b, loc, database), sizeOf(database, 0),
                                  sizeOf(queries, 1), sizeOf(distanceRows, 1),
                                  elementPointer(b, loc, distanceRows),
                                  elementPointer(b, loc, indexRows), body->getArgument(4)});
  func::ReturnOp::create(b, loc);
  return wrapper;
}

struct HammingTopKLowering : OpConversionPattern<bnn::HammingTopKOp> {
  HammingTopKLowering(const TypeConverter &converter, MLIRContext *context,
                      const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnn::HammingTopKOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    // Every symbol clash is found before anything is created: a failed pattern leaves no
    // half-built functions behind.
    auto queriesType = cast<bnn::PackedType>(op.getQueries().getType());
    auto databaseType = cast<bnn::PackedType>(op.getDatabase().getType());
    int64_t work = workOf(queriesType.getShape().front(),
                          workOf(databaseType.getShape().front(), queriesType.getNumWords()));
    bool threaded = runInParallel(op, parallel, target, work);
    FunctionType maxThreadsType = rewriter.getFunctionType({}, rewriter.getI32Type());
    if (threaded && !canDeclare(module, kMaxThreadsName, maxThreadsType))
      return op.emitOpError("cannot call the runtime kernel: the module already defines @")
             << kMaxThreadsName << " with another type";
    func::FuncOp wrapper = getOrCreateCallWrapper(rewriter, module);
    if (!wrapper)
      return op.emitOpError("cannot call the runtime kernel: the module already defines @")
             << kKernelName << ", @" << kCallName << " or @" << kMaxThreadsName
             << " with another type";

    Value queries = readBuffer(rewriter, loc, adaptor.getQueries());
    Value database = readBuffer(rewriter, loc, adaptor.getDatabase());
    SmallVector<Value> dynamicSizes;
    RankedTensorType distancesType = op.getDistances().getType();
    if (distancesType.isDynamicDim(0))
      dynamicSizes.push_back(dimOf(rewriter, loc, queries, 0));
    Value distances = allocBuffer(rewriter, loc, distancesType, dynamicSizes);
    Value indices = allocBuffer(rewriter, loc, op.getIndices().getType(), dynamicSizes);

    // Threads: the pipeline's (the OpenMP runtime's count) unless this op already runs inside
    // a parallel loop or is too small to be worth forking.
    Value threads;
    if (threaded) {
      func::FuncOp maxThreads = getOrDeclare(rewriter, module, kMaxThreadsName, maxThreadsType);
      threads = func::CallOp::create(rewriter, loc, maxThreads, ValueRange{}).getResult(0);
    } else {
      threads = arith::ConstantIntOp::create(rewriter, loc, rewriter.getI32Type(), 1);
    }

    MLIRContext *context = rewriter.getContext();
    auto cast = [&](Value buffer, Type elementType) -> Value {
      return memref::CastOp::create(rewriter, loc, rowsBufferType(context, elementType), buffer);
    };
    Type i64 = rewriter.getI64Type();
    func::CallOp::create(rewriter, loc, wrapper,
                         ValueRange{cast(queries, i64), cast(database, i64),
                                    cast(distances, rewriter.getI32Type()), cast(indices, i64),
                                    threads});
    rewriter.replaceOp(op, {toTensor(rewriter, loc, distances), toTensor(rewriter, loc, indices)});
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

} // namespace

void bnn::cpu::populateHammingTopKToCPUPatterns(const TypeConverter &converter,
                                                RewritePatternSet &patterns,
                                                const CPUTargetInfo &target, bool parallel) {
  patterns.add<HammingTopKLowering>(converter, patterns.getContext(), target, parallel);
}
