//===- AOT.cpp - object file + C header for embedding ---------------------===//
//
// The embedding path: a bnn module becomes a relocatable object and a C header. Every public
// function keeps MLIR's C interface (`_mlir_ciface_<name>`, one pointer to a memref
// descriptor per argument, results as trailing out-parameters) and gets a plain wrapper
// `bnn_<name>(const T *in..., T *out...)` for its static shapes, so that an application calls
// it with raw buffers and links the object with the bnn runtime alone (no MLIR).
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/Support/ToolOutput.h"
#include "bnn/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <set>

using namespace bnn;
using llvm::createStringError;

namespace {

llvm::StringRef cTypeOf(ElementType kind) {
  switch (kind) {
  case ElementType::F32: return "float";
  case ElementType::F64: return "double";
  case ElementType::F16:
  case ElementType::BF16:
  case ElementType::I16: return "uint16_t";
  case ElementType::I1:
  case ElementType::I8: return "uint8_t";
  case ElementType::I32: return "int32_t";
  case ElementType::I64: return "int64_t";
  }
  return "void";
}

std::string descriptorName(const HostTensor &tensor) {
  return "bnn_memref_" + std::to_string(tensor.shape.size()) + "d_" +
         std::string(elementTypeName(tensor.kind));
}

std::string describeShape(const HostTensor &tensor) { return tensor.describe(); }

void writeDescriptorStruct(llvm::raw_ostream &os, const HostTensor &tensor) {
  std::string name = descriptorName(tensor);
  llvm::StringRef type = cTypeOf(tensor.kind);
  os << "typedef struct {\n  " << type << " *allocated;\n  " << type
     << " *aligned;\n  int64_t offset;\n";
  if (!tensor.shape.empty())
    os << "  int64_t sizes[" << tensor.shape.size() << "];\n  int64_t strides["
       << tensor.shape.size() << "];\n";
  os << "} " << name << ";\n\n";
}

/// Initializer of a row-major descriptor over `pointer` for `tensor`'s static shape.
std::string descriptorInit(const HostTensor &tensor, const std::string &pointer) {
  std::string sizes, strides;
  int64_t stride = 1;
  std::vector<int64_t> rowMajor(tensor.shape.size());
  for (int64_t i = static_cast<int64_t>(tensor.shape.size()) - 1; i >= 0; --i) {
    rowMajor[i] = stride;
    stride *= tensor.shape[i];
  }
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    sizes += (i ? ", " : "") + std::to_string(tensor.shape[i]);
    strides += (i ? ", " : "") + std::to_string(rowMajor[i]);
  }
  // Inputs arrive as `const T *`; the memref descriptor's fields are not const (compiled code
  // only reads them). The cast goes through uintptr_t so that -Wcast-qual stays quiet.
  std::string cast = "(" + cTypeOf(tensor.kind).str() + " *)(uintptr_t)" + pointer;
  std::string init = "{" + cast + ", " + cast + ", 0";
  if (!tensor.shape.empty())
    init += ", {" + sizes + "}, {" + strides + "}";
  return init + "}";
}

bool isCIdentifier(llvm::StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Every public function name becomes part of two C identifiers (`_mlir_ciface_<name>`, the
/// symbol in the object, and the wrapper `bnn_<name>`), so it must be a C identifier itself;
/// mangling it would break the link between the header and the object's symbol. The names the
/// header declares must also be distinct from each other and from the descriptor typedefs, and
/// `_mlir_ciface_<name>` must not already be a symbol of the module.
llvm::Error checkHeaderNames(mlir::ModuleOp module,
                             const std::vector<std::pair<std::string, FunctionSignature>> &functions) {
  llvm::StringMap<std::string> declared; // C identifier -> what declares it
  for (const auto &[name, signature] : functions)
    for (const auto *list : {&signature.inputs, &signature.results})
      for (const HostTensor &tensor : *list)
        declared.try_emplace(descriptorName(tensor), "the descriptor type of " + tensor.describe());
  for (const auto &[name, signature] : functions) {
    if (!isCIdentifier(name))
      return createStringError(
          "public function @\"" + llvm::Twine(name) + "\" cannot be declared in the C header: "
          "its name must be a C identifier (letters, digits and _, not starting with a digit); "
          "rename it or make it private");
    std::string wrapper = "bnn_" + name;
    auto [it, inserted] = declared.try_emplace(wrapper, "public function @" + name);
    if (!inserted)
      return createStringError("public function @" + llvm::Twine(name) + " would declare " +
                               wrapper + " in the C header, which is already " + it->second);
    std::string cInterface = "_mlir_ciface_" + name;
    if (mlir::SymbolTable::lookupSymbolIn(module, cInterface))
      return createStringError("public function @" + llvm::Twine(name) +
                               " needs the symbol " + cInterface +
                               " for its C interface, which the module already defines");
  }
  return llvm::Error::success();
}

std::string writeHeader(const std::vector<std::pair<std::string, FunctionSignature>> &functions,
                        llvm::StringRef sourceName, const CPUTargetInfo &target, bool threads) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "BNN_GENERATED_" + llvm::sys::path::stem(sourceName).upper() + "_H";
  for (char &c : guard)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  os << "/* Generated by bnn-compile from " << llvm::sys::path::filename(sourceName)
     << " for target " << target.name << (threads ? " (multi-threaded, OpenMP)" : "")
     << ". Do not edit.\n"
     << " *\n"
     << " * Link the object with the bnn runtime (libBNNRuntime.a: memref support and the\n"
     << " * micro-kernels some ops call, C++ with std::thread)"
     << (threads ? " and LLVM's OpenMP runtime (libomp)" : "") << ".\n"
     << " * Each function `bnn_<name>` takes its inputs, then caller-allocated outputs, as\n"
     << " * dense row-major buffers of the static shapes below; packed binary values are\n"
     << " * their 64-bit storage words (LSB first, ceil(K/64) words per row). The functions\n"
     << " * are reentrant; inputs are not modified. */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  std::set<std::string> written;
  for (const auto &[name, signature] : functions)
    for (const auto *list : {&signature.inputs, &signature.results})
      for (const HostTensor &tensor : *list)
        if (written.insert(descriptorName(tensor)).second)
          writeDescriptorStruct(os, tensor);
  for (const auto &[name, signature] : functions) {
    os << "/* @" << name << "(";
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      os << (i ? ", " : "") << describeShape(signature.inputs[i]);
    os << ") -> (";
    for (size_t i = 0; i < signature.results.size(); ++i)
      os << (i ? ", " : "") << describeShape(signature.results[i]);
    os << ") */\n";
    // MLIR's C interface: descriptors of inputs, then of the outputs it writes.
    os << "void _mlir_ciface_" << name << "(";
    size_t index = 0;
    for (const auto *list : {&signature.inputs, &signature.results})
      for (const HostTensor &tensor : *list)
        os << (index++ ? ", " : "") << descriptorName(tensor) << " *";
    os << ");\n\n";
    os << "static inline void bnn_" << name << "(";
    index = 0;
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      os << (index++ ? ", " : "") << "const " << cTypeOf(signature.inputs[i].kind) << " *in"
         << i;
    for (size_t i = 0; i < signature.results.size(); ++i)
      os << (index++ ? ", " : "") << cTypeOf(signature.results[i].kind) << " *out" << i;
    os << ") {\n";
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      os << "  " << descriptorName(signature.inputs[i]) << " d_in" << i << " = "
         << descriptorInit(signature.inputs[i], "in" + std::to_string(i)) << ";\n";
    for (size_t i = 0; i < signature.results.size(); ++i)
      os << "  " << descriptorName(signature.results[i]) << " d_out" << i << " = "
         << descriptorInit(signature.results[i], "out" + std::to_string(i)) << ";\n";
    os << "  _mlir_ciface_" << name << "(";
    index = 0;
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      os << (index++ ? ", " : "") << "&d_in" << i;
    for (size_t i = 0; i < signature.results.size(); ++i)
      os << (index++ ? ", " : "") << "&d_out" << i;
    os << ");\n}\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

} // namespace

llvm::Error bnn::writeOutputFile(llvm::StringRef path, llvm::StringRef bytes, bool text) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, text ? llvm::sys::fs::OF_Text : llvm::sys::fs::OF_None);
  if (ec)
    return createStringError("cannot write " + path.str() + ": " + ec.message());
  out << bytes;
  out.close();
  if (!out.has_error())
    return llvm::Error::success();
  std::string message = out.error().message();
  out.clear_error();
  if (llvm::sys::fs::is_regular_file(path))
    llvm::sys::fs::remove(path);
  return createStringError("cannot write " + path.str() + ": " + message);
}

llvm::Error bnn::compileToObject(mlir::ModuleOp module, const JitOptions &options,
                                 llvm::StringRef objectPath, llvm::StringRef headerPath,
                                 llvm::StringRef sourceName) {
  // Checked before compiling: a run that would destroy its own input, or write two outputs
  // into one file, does nothing.
  if (bnn::isSameFile(objectPath, headerPath))
    return createStringError("the object and the header would both be written to " +
                             objectPath.str() + ": give --header another path");
  if (sourceName != "-")
    for (llvm::StringRef output : {objectPath, headerPath})
      if (bnn::isSameFile(output, sourceName))
        return createStringError("refusing to overwrite the input " + sourceName.str() +
                                 " with an output (" + output.str() + ")");
  llvm::Expected<CPUTargetInfo> target = getCPUTargetInfo(options.target);
  if (!target)
    return target.takeError();
  auto functions = collectSignatures(module);
  if (!functions)
    return functions.takeError();
  if (llvm::Error error = checkHeaderNames(module, *functions))
    return error;
  // The C interface wrappers are what the header declares.
  mlir::MLIRContext *context = module.getContext();
  for (auto func : module.getOps<mlir::func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      func->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(context));
  if (llvm::Error error = lowerToLLVMDialect(module, options))
    return error;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = mlir::translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return createStringError("translation of the lowered module to LLVM IR failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return createStringError("no LLVM target for " + triple.str() + ": " + error);
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target->llvmCPU, target->llvmFeatures, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  auto optimize = mlir::makeOptimizingTransformer(3, 0, machine.get());
  if (llvm::Error optError = optimize(llvmModule.get()))
    return optError;

  // Both outputs are produced in memory first, so that a failure leaves neither file half
  // written (or one without the other).
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream objectStream(object);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, objectStream, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return createStringError("LLVM cannot emit an object file for " + triple.str());
  codegen.run(*llvmModule);
  std::string header = writeHeader(*functions, sourceName, *target, options.numThreads != 1);

  if (llvm::Error error = writeOutputFile(objectPath, llvm::StringRef(object.data(), object.size())))
    return error;
  if (llvm::Error error = writeOutputFile(headerPath, header, /*text=*/true)) {
    if (objectPath != "-" && llvm::sys::fs::is_regular_file(objectPath))
      llvm::sys::fs::remove(objectPath);
    return error;
  }
  return llvm::Error::success();
}
