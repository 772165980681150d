//===- Jit.cpp - compile and run bnn modules in-process -------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/Target/ElementType.h"

#include "bnn/Pipelines/CPUPipeline.h"
#include "bnn/runtime/HammingTopK.h"
#include "bnn/runtime/LowBitGemm.h"
#include "bnn/runtime/MemRef.h"
#include "bnn/IR/BNNTypes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <limits>
#include <optional>

// The OpenMP runtime (LLVM's libomp) runs the parallel loops of compiled code.
extern "C" void omp_set_num_threads(int);
extern "C" int omp_get_num_procs(void);

using namespace bnn;
using llvm::createStringError;

llvm::Expected<int64_t> bnn::denseByteSize(ElementType kind, llvm::ArrayRef<int64_t> shape) {
  std::optional<int64_t> bytes = elementTypeSize(kind);
  for (int64_t d : shape) {
    if (d < 0)
      return createStringError("has a negative dimension " + std::to_string(d) +
                               " (dynamic, or a size that overflowed)");
    bytes = bytes ? llvm::checkedMul(*bytes, d) : std::nullopt;
  }
  if (!bytes)
    return createStringError("holds more than 2^63 bytes");
  return *bytes;
}

HostTensor::HostTensor(ElementType kind, std::vector<int64_t> shape)
    : kind(kind), shape(std::move(shape)) {
  // Callers check the size first (hostTensorFor, denseByteSize): a wrapped count would give a
  // buffer smaller than the shape, so it is an invariant, not an input error.
  llvm::Expected<int64_t> size = denseByteSize(kind, this->shape);
  if (!size)
    llvm::report_fatal_error("HostTensor " + llvm::Twine(describe()) + " " +
                             llvm::toString(size.takeError()));
  bytes.assign(static_cast<size_t>(*size), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n = llvm::checkedMul(n, d).value_or(std::numeric_limits<int64_t>::max());
  return n;
}

std::string HostTensor::describe() const {
  std::string text = "tensor<";
  for (int64_t d : shape)
    text += std::to_string(d) + "x";
  return text + elementTypeName(kind) + ">";
}

llvm::Expected<ElementType> bnn::elementTypeOf(mlir::Type type) {
  if (std::optional<ElementType> element = getRuntimeElementType(type))
    return *element;
  std::string name;
  llvm::raw_string_ostream os(name);
  type.print(os);
  return createStringError("unsupported element type " + name);
}

namespace {

/// The host tensor a function argument or result of `type` is passed as (packed values travel
/// as their storage words).
llvm::Expected<HostTensor> hostTensorFor(mlir::Type type) {
  if (auto packed = llvm::dyn_cast<bnn::PackedType>(type))
    type = packed.getStorageType();
  if (auto ternary = llvm::dyn_cast<bnn::TernaryType>(type))
    type = ternary.getStorageType();
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  std::string name;
  llvm::raw_string_ostream os(name);
  type.print(os);
  if (!tensor)
    return createStringError("only ranked tensors can be passed to JIT-compiled functions, "
                             "found " + name);
  if (!tensor.hasStaticShape())
    return createStringError("JIT-compiled functions need static shapes, found " + name);
  llvm::Expected<ElementType> kind = elementTypeOf(tensor.getElementType());
  if (!kind)
    return kind.takeError();
  // The caller allocates buffers of this size: a count that wraps would give one too small.
  if (llvm::Expected<int64_t> bytes = denseByteSize(*kind, tensor.getShape()); !bytes)
    return createStringError(name + " " + llvm::toString(bytes.takeError()));
  HostTensor host;
  host.kind = *kind;
  host.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return host;
}

/// The LLVM lowering of a memref: allocated and aligned pointers, offset, sizes, strides.
struct MemRefArgument {
  void *allocated, *aligned;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;

  explicit MemRefArgument(HostTensor &tensor)
      : allocated(tensor.bytes.data()), aligned(tensor.bytes.data()), sizes(tensor.shape),
        strides(tensor.shape.size()) {
    int64_t stride = 1;
    for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
      strides[i] = stride;
      stride *= sizes[i];
    }
  }
  void appendTo(std::vector<void *> &args) {
    args.push_back(&allocated);
    args.push_back(&aligned);
    args.push_back(&offset);
    for (int64_t &s : sizes)
      args.push_back(&s);
    for (int64_t &s : strides)
      args.push_back(&s);
  }
};

llvm::Error checkMatches(const HostTensor &given, const HostTensor &expected, llvm::StringRef what,
                         size_t index) {
  if (given.kind != expected.kind || given.shape != expected.shape)
    return createStringError(what.str() + " #" + std::to_string(index) + " must be " +
                             expected.describe() + ", got " + given.describe());
  // The expected shape comes from a signature, whose size hostTensorFor checked.
  int64_t bytes = llvm::cantFail(denseByteSize(expected.kind, expected.shape));
  if (static_cast<int64_t>(given.bytes.size()) != bytes)
    return createStringError(what.str() + " #" + std::to_string(index) + " holds " +
                             std::to_string(given.bytes.size()) + " bytes, expected " +
                             std::to_string(bytes));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::unique_ptr<JitModule>> JitModule::compile(mlir::ModuleOp module,
                                                              const JitOptions &options) {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;

  std::unique_ptr<JitModule> jit(new JitModule());
  auto signatures = collectSignatures(module);
  if (!signatures)
    return signatures.takeError();
  for (auto &[name, signature] : *signatures)
    jit->signatures[name] = std::move(signature);
  if (llvm::Error error = lowerToLLVMDialect(module, options))
    return std::move(error);


  mlir::ExecutionEngineOptions engineOptions;
  auto optimize = mlir::makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                                  /*targetMachine=*/nullptr);
  engineOptions.transformer = optimize;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = mlir::ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return createStringError("JIT compilation failed: " + llvm::toString(engine.takeError()));
  jit->engine = std::move(*engine);
  // The runtime support compiled code calls, from the bnn runtime linked into this process.
  jit->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("memrefCopy")] = {llvm::orc::ExecutorAddr::fromPtr(&memrefCopy),
                                       llvm::JITSymbolFlags::Exported};
    symbols[interner("bnn_ukernel_int8_lowbit_gemm")] = {
        llvm::orc::ExecutorAddr::fromPtr(&bnn_ukernel_int8_lowbit_gemm),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("bnn_ukernel_hamming_topk")] = {
        llvm::orc::ExecutorAddr::fromPtr(&bnn_ukernel_hamming_topk),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  jit->engine->initialize();
  jit->numThreads = options.numThreads == 0 ? omp_get_num_procs() : options.numThreads;
  return jit;
}

llvm::Expected<std::vector<std::pair<std::string, FunctionSignature>>>
bnn::collectSignatures(mlir::ModuleOp module) {
  std::vector<std::pair<std::string, FunctionSignature>> signatures;
  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    FunctionSignature signature;
    auto collect = [&](mlir::TypeRange types, std::vector<HostTensor> &into,
                       llvm::StringRef what) -> llvm::Error {
      for (mlir::Type type : types) {
        llvm::Expected<HostTensor> host = hostTensorFor(type);
        if (!host)
          return createStringError("function @" + func.getName().str() + " " + what.str() +
                                   ": " + llvm::toString(host.takeError()));
        into.push_back(std::move(*host));
      }
      return llvm::Error::success();
    };
    if (llvm::Error error = collect(func.getArgumentTypes(), signature.inputs, "argument"))
      return std::move(error);
    if (llvm::Error error = collect(func.getResultTypes(), signature.results, "result"))
      return std::move(error);
    signatures.emplace_back(func.getName().str(), std::move(signature));
  }
  return signatures;
}

llvm::Error bnn::lowerToLLVMDialect(mlir::ModuleOp module, const JitOptions &options) {
  mlir::MLIRContext *context = module.getContext();
  mlir::PassManager pm(context);
  CPUPipelineOptions pipeline;
  pipeline.target = options.target;
  pipeline.threads = options.numThreads != 1;
  pipeline.inference = options.inference;
  pipeline.tileRows = options.tileRows;
  pipeline.tileCols = options.tileCols;
  pipeline.tuningDb = options.tuningDb;
  pipeline.maxBufferBytes = options.maxBufferBytes;
  buildCPUPipeline(pm, pipeline);
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(context, [&](mlir::Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag.str() << "\n";
    return mlir::success();
  });
  if (mlir::failed(pm.run(module)))
    return createStringError("bnn-cpu-pipeline failed:\n" + diagnostics);
  // What translating the result to LLVM IR needs (the JIT and the object emitter both do).
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  return llvm::Error::success();
}

JitModule::~JitModule() = default;

llvm::Expected<const FunctionSignature *> JitModule::signature(llvm::StringRef name) const {
  auto it = signatures.find(name);
  if (it == signatures.end())
    return createStringError("no public function @" + name.str() + " in the module");
  return &it->second;
}

llvm::Expected<std::vector<HostTensor>> JitModule::run(llvm::StringRef name,
                                                       llvm::ArrayRef<HostTensor> inputs) {
  llvm::Expected<const FunctionSignature *> sig = signature(name);
  if (!sig)
    return sig.takeError();
  std::vector<HostTensor> results;
  for (const HostTensor &result : (*sig)->results)
    results.emplace_back(result.kind, result.shape);
  if (llvm::Error error = runInto(name, inputs, results))
    return std::move(error);
  return results;
}

llvm::Error JitModule::runInto(llvm::StringRef name, llvm::ArrayRef<HostTensor> inputs,
                               llvm::MutableArrayRef<HostTensor> results) {
  llvm::Expected<const FunctionSignature *> sig = signature(name);
  if (!sig)
    return sig.takeError();
  const FunctionSignature &signature = **sig;
  if (inputs.size() != signature.inputs.size())
    return createStringError("@" + name.str() + " takes " +
                             std::to_string(signature.inputs.size()) + " inputs, got " +
                             std::to_string(inputs.size()));
  if (results.size() != signature.results.size())
    return createStringError("@" + name.str() + " returns " +
                             std::to_string(signature.results.size()) + " results, got room for " +
                             std::to_string(results.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (llvm::Error error = checkMatches(inputs[i], signature.inputs[i], "input", i))
      return error;
  for (size_t i = 0; i < results.size(); ++i)
    if (llvm::Error error = checkMatches(results[i], signature.results[i], "result", i))
      return error;

  // Inputs are read-only for compiled code, but the memref ABI has no const.
  std::vector<MemRefArgument> memrefs;
  memrefs.reserve(inputs.size() + results.size());
  for (const HostTensor &input : inputs)
    memrefs.emplace_back(const_cast<HostTensor &>(input));
  for (HostTensor &result : results)
    memrefs.emplace_back(result);
  std::vector<void *> args;
  for (MemRefArgument &memref : memrefs)
    memref.appendTo(args);
  omp_set_num_threads(static_cast<int>(numThreads));
  return engine->invokePacked(name, args);
}
