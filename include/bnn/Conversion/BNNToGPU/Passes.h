//===- Passes.h - bnn to GPU conversion passes ------------------*- C++ -*-===//

#ifndef BNN_CONVERSION_BNNTOGPU_PASSES_H
#define BNN_CONVERSION_BNNTOGPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace bnn {

#define GEN_PASS_DECL
#include "bnn/Conversion/BNNToGPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bnn/Conversion/BNNToGPU/Passes.h.inc"

} // namespace bnn

#endif // BNN_CONVERSION_BNNTOGPU_PASSES_H
