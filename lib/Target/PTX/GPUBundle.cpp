//===- GPUBundle.cpp - PTX/cubin and manifest emission --------------------===//

#include "bnn/Target/PTX/GPUBundle.h"
#include "bnn/Target/ElementType.h"

#include "bnn/IR/BNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace bnn {
namespace {

constexpr llvm::StringLiteral kHostAttr = "bnn.gpu.host";
constexpr llvm::StringLiteral kResultAttr = "bnn.result";
constexpr llvm::StringLiteral kLogicalTypeAttr = "bnn.logical_type";

std::string shapeString(MemRefType type) {
  if (type.getRank() == 0)
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(type.getShape(), os, "x");
  return s;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

/// The buffer description of a memref for the manifest, or an error at `loc`.
FailureOr<std::string> describeBuffer(Location loc, Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape() || !memref.getLayout().isIdentity() ||
      memref.getMemorySpace())
    return emitError(loc) << "buffer of type " << type
                          << " cannot be described in a GPU bundle (expected a statically "
                             "shaped, contiguous memref in global memory)";
  std::optional<ElementType> dtype = getRuntimeElementType(memref.getElementType());
  if (!dtype)
    return emitError(loc) << "element type " << memref.getElementType()
                          << " is not supported by the GPU bundle manifest";
  return std::string(elementTypeName(*dtype)) + " " + shapeString(memref);
}

struct BinaryObject {
  std::string module;   // gpu.binary symbol
  std::string format;   // ptx, cubin, fatbin
  std::string chip;     // sm_90a
  StringRef data;
};

/// The NVVM object of every gpu.binary (binaries for other targets are not the runtime's).
FailureOr<SmallVector<BinaryObject>> collectObjects(ModuleOp module) {
  SmallVector<BinaryObject> objects;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      auto target = object ? dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()) : nullptr;
      if (!target)
        continue;
      BinaryObject entry;
      entry.module = binary.getSymName().str();
      entry.chip = target.getChip().str();
      entry.data = object.getObject().getValue();
      switch (object.getFormat()) {
      case gpu::CompilationTarget::Assembly:
        entry.format = "ptx";
        break;
      case gpu::CompilationTarget::Binary:
        entry.format = "cubin";
        break;
      case gpu::CompilationTarget::Fatbin:
        entry.format = "fatbin";
        break;
      case gpu::CompilationTarget::Offload:
        return binary.emitError("holds an offload (LLVM bitcode) object; compile it to PTX "
                                "first (gpu-module-to-binary format=isa)");
      }
      objects.push_back(entry);
      break;
    }
  }
  if (objects.empty())
    return module.emitError("has no gpu.binary with NVIDIA code; run bnn-opt "
                            "--bnn-gpu-pipeline before bnn-translate");
  return objects;
}

std::string findPtxas(const GPUBundleOptions &options) {
  if (!options.ptxasPath.empty())
    return llvm::sys::fs::can_execute(options.ptxasPath) ? options.ptxasPath : "";
  if (auto onPath = llvm::sys::findProgramByName("ptxas"))
    return *onPath;
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas"))
    return "/usr/local/cuda/bin/ptxas";
  return "";
}

/// Assembles `ptx` for `chip` with ptxas; reports ptxas' own messages on failure.
FailureOr<std::string> assemble(Location loc, StringRef ptxas, StringRef ptx, StringRef chip) {
  SmallString<128> input, output, log;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("bnn-kernels", "ptx", fd, input) ||
      llvm::sys::fs::createTemporaryFile("bnn-kernels", "cubin", output) ||
      llvm::sys::fs::createTemporaryFile("bnn-ptxas", "log", log))
    return emitError(loc) << "cannot create temporary files for ptxas";
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(input);
    llvm::sys::fs::remove(output);
    llvm::sys::fs::remove(log);
  });
  {
    // A full disk is an error here, not a fatal one in the stream's destructor.
    llvm::raw_fd_ostream file(fd, /*shouldClose=*/true);
    file << ptx;
    file.close();
    if (file.has_error()) {
      std::string message = file.error().message();
      file.clear_error();
      return emitError(loc) << "cannot write the PTX for ptxas to " << input << ": " << message;
    }
  }
  std::string arch = ("-arch=" + chip).str();
  SmallVector<StringRef> args = {ptxas, arch, "-O3", input, "-o", output};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects,
                                         /*SecondsToWait=*/0, /*MemoryLimit=*/0, &error);
  auto readFile = [](StringRef path) -> std::string {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
    return buffer ? (*buffer)->getBuffer().str() : std::string();
  };
  if (status != 0)
    return emitError(loc) << "ptxas (" << ptxas << " " << arch << ") failed"
                          << (error.empty() ? "" : ": " + error) << "\n"
                          << readFile(log);
  return readFile(output);
}

struct Section {
  std::string header; // "ptx bnn_kernels", "cubin bnn_kernels sm_90a", "const name"
  std::string bytes;
};

/// Little-endian bytes of a constant memref.global.
FailureOr<std::string> constantBytes(memref::GlobalOp global) {
  auto elements = dyn_cast_if_present<ElementsAttr>(global.getInitialValueAttr());
  if (!elements)
    return global.emitError("has no initial value; a GPU bundle embeds constants only");
  Type element = elements.getElementType();
  std::string bytes;
  if (auto values = elements.tryGetValues<APInt>()) {
    unsigned width = element.getIntOrFloatBitWidth();
    unsigned byteWidth = std::max(1u, width / 8);
    for (const APInt &value : *values) {
      uint64_t raw = value.getZExtValue();
      for (unsigned i = 0; i < byteWidth; ++i)
        bytes.push_back(static_cast<char>((raw >> (8 * i)) & 0xff));
    }
    return bytes;
  }
  if (auto values = elements.tryGetValues<APFloat>()) {
    unsigned byteWidth = element.getIntOrFloatBitWidth() / 8;
    for (const APFloat &value : *values) {
      uint64_t raw = value.bitcastToAPInt().getZExtValue();
      for (unsigned i = 0; i < byteWidth; ++i)
        bytes.push_back(static_cast<char>((raw >> (8 * i)) & 0xff));
    }
    return bytes;
  }
  return global.emitError("has an initial value whose elements cannot be read");
}

/// Writes the manifest lines of one host function.
LogicalResult writeFunction(func::FuncOp func, llvm::raw_ostream &os,
                            llvm::StringMap<unsigned> &constantIds, ModuleOp module,
                            SmallVectorImpl<Section> &sections) {
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("has more than one block; a GPU host function is straight-line");
  Block &body = func.getBody().front();
  std::string text;
  llvm::raw_string_ostream out(text);
  DenseMap<Value, std::string> refs;

  for (BlockArgument arg : body.getArguments()) {
    FailureOr<std::string> buffer = describeBuffer(func.getLoc(), arg.getType());
    if (failed(buffer))
      return failure();
    bool isResult = static_cast<bool>(func.getArgAttr(arg.getArgNumber(), kResultAttr));
    std::string logical = "-";
    if (auto type = func.getArgAttrOfType<TypeAttr>(arg.getArgNumber(), kLogicalTypeAttr))
      logical = typeString(type.getValue());
    out << "  arg " << arg.getArgNumber() << " " << (isResult ? "out" : "in") << " "
        << *buffer << " " << logical << "\n";
    refs[arg] = "a" + std::to_string(arg.getArgNumber());
  }

  auto ref = [&](Operation *user, Value v) -> FailureOr<std::string> {
    auto it = refs.find(v);
    if (it == refs.end())
      return user->emitOpError("uses a value that is not a known buffer of the host function");
    return it->second;
  };
  auto constantInt = [](Value v) -> std::optional<int64_t> {
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      if (auto attr = dyn_cast<IntegerAttr>(c.getValue()))
        return attr.getInt();
    return std::nullopt;
  };

  unsigned numTemps = 0;
  for (Operation &op : body) {
    if (isa<arith::ConstantOp, memref::DeallocOp>(op)) {
      continue; // launch dimensions; temporaries live for one call anyway
    } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      FailureOr<std::string> buffer = describeBuffer(alloc.getLoc(), alloc.getType());
      if (failed(buffer))
        return failure();
      refs[alloc] = "t" + std::to_string(numTemps);
      out << "  temp " << numTemps++ << " " << *buffer << "\n";
    } else if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
      if (!global || !global.getConstant())
        return get.emitOpError("refers to a global that is not a constant memref.global");
      auto [it, inserted] = constantIds.try_emplace(global.getSymName(), constantIds.size());
      if (inserted) {
        FailureOr<std::string> buffer = describeBuffer(global.getLoc(), global.getType());
        FailureOr<std::string> bytes = constantBytes(global);
        if (failed(buffer) || failed(bytes))
          return failure();
        sections.push_back({"const " + global.getSymName().str(), *bytes});
      }
      refs[get] = "c" + std::to_string(it->second);
    } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      FailureOr<std::string> from = ref(copy, copy.getSource());
      FailureOr<std::string> to = ref(copy, copy.getTarget());
      if (failed(from) || failed(to))
        return failure();
      out << "  copy " << *from << " " << *to << "\n";
    } else if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
          launch.hasClusterSize())
        return launch.emitOpError("is asynchronous or clustered; the GPU bundle manifest "
                                  "describes synchronous, cluster-free launches");
      // Every operand was defined earlier in the block by an op accepted above, and the only
      // one producing integers is arith.constant: the dimensions are constants.
      SmallVector<int64_t> dims;
      for (Value v : {launch.getGridSizeX(), launch.getGridSizeY(), launch.getGridSizeZ(),
                      launch.getBlockSizeX(), launch.getBlockSizeY(), launch.getBlockSizeZ()})
        dims.push_back(constantInt(v).value_or(0));
      int64_t shared = 0;
      if (Value s = launch.getDynamicSharedMemorySize())
        shared = constantInt(s).value_or(0);
      out << "  launch " << launch.getKernelModuleName().getValue() << " "
          << launch.getKernelName().getValue() << " grid " << dims[0] << " " << dims[1] << " "
          << dims[2] << " block " << dims[3] << " " << dims[4] << " " << dims[5] << " smem "
          << shared << " args";
      for (Value operand : launch.getKernelOperands()) {
        FailureOr<std::string> r = ref(launch, operand);
        if (failed(r))
          return failure();
        out << " " << *r;
      }
      out << "\n";
    } else if (isa<func::ReturnOp>(op)) {
      if (op.getNumOperands() != 0)
        return op.emitOpError("returns values; GPU host functions write out-parameters");
    } else {
      return op.emitOpError("cannot be described in a GPU bundle manifest (a host function "
                            "may hold memref.alloc/dealloc/get_global/copy, arith.constant, "
                            "gpu.launch_func and func.return)");
    }
  }
  os << "func " << func.getSymName() << " " << body.getNumArguments() << "\n"
     << text << "end\n";
  return success();
}

} // namespace

LogicalResult writeGPUPtx(ModuleOp module, llvm::raw_ostream &os) {
  FailureOr<SmallVector<BinaryObject>> objects = collectObjects(module);
  if (failed(objects))
    return failure();
  for (const BinaryObject &object : *objects) {
    if (object.format != "ptx")
      return module.emitError("gpu.binary @")
             << object.module << " holds " << object.format
             << ", not PTX; compile with gpu-module-to-binary format=isa";
    os << "// bnn gpu.binary @" << object.module << " (" << object.chip << ")\n"
       << object.data;
  }
  return success();
}

LogicalResult writeGPUBundle(ModuleOp module, llvm::raw_ostream &os,
                             const GPUBundleOptions &options) {
  FailureOr<SmallVector<BinaryObject>> objects = collectObjects(module);
  if (failed(objects))
    return failure();
  // Constants are written out in full: a splat of a few bytes in the module can declare
  // terabytes (1.6 GB written from an 875-byte module before this check).
  int64_t constantBytesTotal = 0;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    if (!global.getConstant() || !global.getInitialValueAttr())
      continue;
    MemRefType type = global.getType();
    Type element = type.getElementType();
    if (!type.hasStaticShape() || !element.isIntOrFloat())
      continue;
    std::optional<int64_t> bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
    for (int64_t dim : type.getShape())
      bytes = bytes ? llvm::checkedMul(*bytes, dim) : std::nullopt;
    if (bytes)
      bytes = llvm::checkedAdd(constantBytesTotal, *bytes);
    if (!bytes || *bytes > options.maxConstantBytes)
      return global.emitError()
             << "would make the bundle's constants " << (bytes ? Twine(*bytes) : Twine("over 2^63"))
             << " bytes, more than --bnn-bundle-max-constant-mb=" << (options.maxConstantBytes >> 20)
             << " allows";
    constantBytesTotal = *bytes;
  }

  SmallVector<Section> sections;
  std::string ptxas;
  if (options.cubin != CubinMode::Never) {
    ptxas = findPtxas(options);
    if (ptxas.empty() && options.cubin == CubinMode::Always)
      return module.emitError("--bnn-cubin=always but ptxas was not found")
             << (options.ptxasPath.empty() ? " (searched PATH and /usr/local/cuda/bin)"
                                           : " at " + options.ptxasPath);
  }
  for (const BinaryObject &object : *objects) {
    sections.push_back({object.format + " " + object.module + " " + object.chip,
                        object.data.str()});
    if (object.format == "ptx" && !ptxas.empty()) {
      FailureOr<std::string> cubin = assemble(module.getLoc(), ptxas, object.data, object.chip);
      if (failed(cubin))
        return failure();
      sections.push_back({"cubin " + object.module + " " + object.chip, *cubin});
    }
  }

  std::string functions;
  llvm::raw_string_ostream funcOs(functions);
  llvm::StringMap<unsigned> constantIds;
  unsigned numFunctions = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(kHostAttr))
      continue;
    if (failed(writeFunction(func, funcOs, constantIds, module, sections)))
      return failure();
    ++numFunctions;
  }
  if (numFunctions == 0)
    return module.emitError("has no GPU host function (func.func with the bnn.gpu.host "
                            "attribute, made by convert-bnn-to-gpu)");

  os << "bnn-gpu-bundle 1\n";
  // Constants are listed once, in the order the functions first use them.
  SmallVector<std::pair<unsigned, StringRef>> constants;
  for (auto &entry : constantIds)
    constants.push_back({entry.second, entry.first()});
  llvm::sort(constants);
  for (auto [id, name] : constants) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        module, StringAttr::get(module.getContext(), name));
    os << "const " << id << " " << name << " " << *describeBuffer(global.getLoc(), global.getType())
       << "\n";
  }
  os << functions;
  for (const Section &section : sections)
    os << "section " << section.header << " " << section.bytes.size() << "\n"
       << section.bytes << "\n";
  os << "end-bundle\n";
  return success();
}

void registerGPUBundleTranslations() {
  static llvm::cl::opt<CubinMode> cubinMode(
      "bnn-cubin", llvm::cl::desc("When --bnn-gpu-to-bundle adds cubins (ptxas)"),
      llvm::cl::init(CubinMode::Auto),
      llvm::cl::values(clEnumValN(CubinMode::Auto, "auto", "when ptxas is found"),
                       clEnumValN(CubinMode::Always, "always", "fail without ptxas"),
                       clEnumValN(CubinMode::Never, "never", "PTX only")));
  static llvm::cl::opt<std::string> ptxasPath(
      "bnn-ptxas", llvm::cl::desc("ptxas for --bnn-gpu-to-bundle (default: PATH, then "
                                  "/usr/local/cuda/bin/ptxas)"),
      llvm::cl::init(""));
  static llvm::cl::opt<uint64_t> maxConstantMB(
      "bnn-bundle-max-constant-mb",
      llvm::cl::desc("Most MiB of constants --bnn-gpu-to-bundle embeds (1 to 2^43)"),
      llvm::cl::init(4096));

  auto registerDialects = [](DialectRegistry &registry) {
    // bnn: the logical types of host-function arguments are !bnn.packed.
    registry.insert<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                    memref::MemRefDialect, NVVM::NVVMDialect, bnn::BNNDialect>();
  };
  TranslateFromMLIRRegistration toPtx(
      "bnn-gpu-to-ptx", "the PTX of a module compiled by bnn-gpu-pipeline",
      [](ModuleOp module, llvm::raw_ostream &os) { return writeGPUPtx(module, os); },
      registerDialects);
  TranslateFromMLIRRegistration toBundle(
      "bnn-gpu-to-bundle",
      "a GPU bundle (manifest + PTX/cubin + constants) for the runtime's CUDA backend",
      [](ModuleOp module, llvm::raw_ostream &os) {
        GPUBundleOptions options;
        options.cubin = cubinMode;
        options.ptxasPath = ptxasPath;
        if (maxConstantMB == 0 || maxConstantMB > (uint64_t(1) << 43))
          return LogicalResult(emitError(module.getLoc())
                               << "--bnn-bundle-max-constant-mb=" << uint64_t(maxConstantMB)
                               << ": expected 1 to 2^43");
        options.maxConstantBytes =
            int64_t(std::min<uint64_t>(uint64_t(maxConstantMB) << 20, INT64_MAX));
        return writeGPUBundle(module, os, options);
      },
      registerDialects);
}

} // namespace bnn
