//===- ONNXTensorOps.cpp - constants, casts and data movement operators ---===//
//
// Converters for ONNX operators that create, convert or move data: Constant, Cast, Shape,
// Reshape, Transpose, Concat, Slice, Gather, Expand and friends. Operands that decide a result
// shape (a Reshape shape, Slice bounds, axes) must be known at compile time: from an initializer,
// a Constant node, or ONNX's data propagation through shape computations.
//
//===----------------------------------------------------------------------===//

#include "onnx/ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/Support/MathExtras.h"

#include <climits>
#include <cmath>

using namespace mlir;

namespace bnn::frontend::onnximpl {
namespace {

/// Host tensors larger than this are not kept beside the MLIR constant (only small shape-like
/// values need to be known on the host).
constexpr int64_t kMaxHostElements = 1 << 16;

std::shared_ptr<const HostTensor> share(HostTensor tensor) {
  return std::make_shared<const HostTensor>(std::move(tensor));
}

/// Output `i` becomes a constant with host value `tensor`.
void setConstantOutput(NodeImporter &n, size_t i, HostTensor tensor) {
  if (!n.hasOutput(i))
    return;
  Value value = n.graph.createConstant(n.loc, tensor, n.node.output(i));
  int32_t dt = tensor.dataType;
  n.setOutput(i, value, dt, share(std::move(tensor)));
}

/// The static type ONNX shape inference found for output `i`, if fully known.
std::optional<RankedTensorType> inferredOutputType(NodeImporter &n, size_t i) {
  auto it = n.graph.inferredTypes.find(n.node.output(i));
  if (it == n.graph.inferredTypes.end())
    return std::nullopt;
  std::string ignored;
  FailureOr<RankedTensorType> type = convertTypeProto(n.b.getContext(), *it->second, ignored);
  if (failed(type))
    return std::nullopt;
  return *type;
}

/// Input `i` as integers when known at compile time, else nullopt (no diagnostic).
std::optional<std::vector<int64_t>> knownInts(NodeImporter &n, size_t i) {
  const HostTensor *constant = n.constantInput(i);
  if (!constant || isFloatDataType(constant->dataType))
    return std::nullopt;
  return constant->toInts();
}

LogicalResult dependsOnRuntimeValue(NodeImporter &n, size_t i, StringRef what) {
  return n.fail(Twine("the result shape depends on the runtime value of input '") + what +
                "' ('" + n.node.input(i) +
                "'), which is neither a compile-time constant nor resolved by ONNX shape "
                "inference (bnn compiles static shapes only)");
}

//===----------------------------------------------------------------------===//
// Constants and metadata
//===----------------------------------------------------------------------===//

LogicalResult convertConstant(NodeImporter &n) {
  HostTensor tensor;
  if (const onnx::AttributeProto *a = n.attr("value")) {
    std::string error;
    std::optional<HostTensor> read = readTensorProto(a->t(), error);
    if (!read)
      return n.fail(Twine("attribute 'value': ") + error);
    tensor = std::move(*read);
  } else if (const onnx::AttributeProto *a = n.attr("value_float")) {
    tensor.dataType = onnx::TensorProto::FLOAT;
    float v = a->f();
    tensor.bytes.assign(reinterpret_cast<const char *>(&v), reinterpret_cast<const char *>(&v) + 4);
  } else if (const onnx::AttributeProto *a = n.attr("value_floats")) {
    tensor.dataType = onnx::TensorProto::FLOAT;
    tensor.shape = {a->floats_size()};
    for (float v : a->floats())
      tensor.bytes.insert(tensor.bytes.end(), reinterpret_cast<const char *>(&v),
                          reinterpret_cast<const char *>(&v) + 4);
  } else if (const onnx::AttributeProto *a = n.attr("value_int")) {
    tensor = HostTensor::fromInts(onnx::TensorProto::INT64, {}, {a->i()});
  } else if (const onnx::AttributeProto *a = n.attr("value_ints")) {
    std::vector<int64_t> values(a->ints().begin(), a->ints().end());
    tensor = HostTensor::fromInts(onnx::TensorProto::INT64, {a->ints_size()}, values);
  } else {
    return n.fail("only tensor, float(s) and int(s) constants are supported (found a sparse or "
                  "string value)");
  }
  setConstantOutput(n, 0, std::move(tensor));
  return success();
}

LogicalResult convertIdentity(NodeImporter &n) {
  n.setOutput(0, n.value(0), n.dataType(0), n.input(0).constant);
  return success();
}

LogicalResult convertShape(NodeImporter &n) {
  ArrayRef<int64_t> shape = n.shape(0);
  int64_t rank = shape.size();
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::min(std::max<int64_t>(i, 0), rank);
  };
  int64_t start = clampIndex(n.getInt("start", 0));
  int64_t end = n.attr("end") ? clampIndex(n.getInt("end", rank)) : rank;
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shape[i]);
  int64_t count = dims.size();
  setConstantOutput(n, 0, HostTensor::fromInts(onnx::TensorProto::INT64, {count}, dims));
  return success();
}

LogicalResult convertSize(NodeImporter &n) {
  int64_t count = *numElements(n.shape(0));
  setConstantOutput(n, 0, HostTensor::fromInts(onnx::TensorProto::INT64, {}, {count}));
  return success();
}

LogicalResult convertConstantOfShape(NodeImporter &n) {
  FailureOr<std::vector<int64_t>> shape = n.intsInput(0, "input");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return n.fail(Twine("the shape has a negative dimension ") + Twine(d));
  if (!numElements(*shape))
    return n.fail("the shape is too large");
  HostTensor element = HostTensor::fromInts(onnx::TensorProto::FLOAT, {1}, {0});
  element.bytes.assign(4, 0);
  if (const onnx::AttributeProto *a = n.attr("value")) {
    std::string error;
    std::optional<HostTensor> read = readTensorProto(a->t(), error);
    if (!read)
      return n.fail(Twine("attribute 'value': ") + error);
    if (read->size() != 1)
      return n.fail("attribute 'value' must hold exactly one element");
    element = std::move(*read);
  }
  Type type = convertDataType(n.b.getContext(), element.dataType);
  auto tensorType = RankedTensorType::get(*shape, type);
  int64_t count = *numElements(*shape);
  TypedAttr value;
  if (isBoolDataType(element.dataType))
    value = DenseElementsAttr::get(tensorType, element.getInt(0) != 0);
  else
    value = DenseElementsAttr::getFromRawBuffer(tensorType, element.bytes);
  std::shared_ptr<const HostTensor> host;
  if (count <= kMaxHostElements) {
    HostTensor full;
    full.dataType = element.dataType;
    full.shape = *shape;
    for (int64_t i = 0; i < count; ++i)
      full.bytes.insert(full.bytes.end(), element.bytes.begin(), element.bytes.end());
    host = share(std::move(full));
  }
  n.setOutput(0, arith::ConstantOp::create(n.b, n.loc, value), element.dataType, host);
  return success();
}

/// Range-11 with compile-time start, limit and delta: out[i] = start + i * delta for
/// i < max(ceil((limit - start) / delta), 0). The bounds come from the model: the element count
/// is range-checked before it becomes an integer, and integer ranges are counted exactly (a
/// count through double rounds and can add an element past the limit, or one that wraps).
LogicalResult convertRange(NodeImporter &n) {
  const HostTensor *start = n.constantInput(0), *limit = n.constantInput(1),
                   *delta = n.constantInput(2);
  if (!start || !limit || !delta)
    return dependsOnRuntimeValue(n, !start ? 0 : !limit ? 1 : 2, "start/limit/delta");
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return n.fail("start, limit and delta must be scalars");
  constexpr int64_t kMaxRangeElements = kMaxHostElements * 64;
  int32_t dt = n.dataType(0);
  HostTensor result;
  result.dataType = dt;
  int64_t count;
  if (isFloatDataType(dt)) {
    double s = start->getDouble(0), l = limit->getDouble(0), d = delta->getDouble(0);
    if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return n.error() << "start, limit and delta must be finite, found " << s << ", " << l
                       << " and " << d;
    if (d == 0)
      return n.fail("delta is zero");
    // Finite operands and d != 0: steps is a number or +-inf (when l - s overflows), never NaN.
    double steps = std::ceil((l - s) / d);
    if (steps > double(kMaxRangeElements))
      return n.error() << "the range is too long: " << steps << " elements, at most "
                       << kMaxRangeElements;
    count = steps > 0 ? static_cast<int64_t>(steps) : 0;
    result.shape = {count};
    Type type = n.elementType(0);
    // The schema allows float and double (checked against it before conversion).
    for (int64_t i = 0; i < count; ++i) {
      double v = s + i * d;
      float f = static_cast<float>(v);
      const char *bytes = type.isF32() ? reinterpret_cast<const char *>(&f)
                                       : reinterpret_cast<const char *>(&v);
      result.bytes.insert(result.bytes.end(), bytes, bytes + (type.isF32() ? 4 : 8));
    }
  } else {
    int64_t s = start->getInt(0), l = limit->getInt(0), d = delta->getInt(0);
    if (d == 0)
      return n.fail("delta is zero");
    // ceil((l - s) / d) exactly: the distance and the step magnitude fit in uint64_t.
    uint64_t steps = 0;
    if ((d > 0 && l > s) || (d < 0 && l < s)) {
      uint64_t span = d > 0 ? uint64_t(l) - uint64_t(s) : uint64_t(s) - uint64_t(l);
      uint64_t step = d > 0 ? uint64_t(d) : uint64_t(0) - uint64_t(d);
      steps = span / step + (span % step != 0);
    }
    if (steps > uint64_t(kMaxRangeElements))
      return n.error() << "the range is too long: " << steps << " elements, at most "
                       << kMaxRangeElements;
    count = static_cast<int64_t>(steps);
    // Every element lies in [s, l) (or (l, s]), so stepping from one to the next cannot
    // overflow; no step is taken after the last.
    std::vector<int64_t> values;
    int64_t v = s;
    for (int64_t i = 0; i < count; ++i) {
      values.push_back(v);
      if (i + 1 < count)
        v += d;
    }
    result = HostTensor::fromInts(dt, {count}, values);
  }
  setConstantOutput(n, 0, std::move(result));
  return success();
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

LogicalResult castTo(NodeImporter &n, int64_t to) {
  // 'to' is an int64 attribute; truncated to int32 it could name a type it does not.
  if (to < INT32_MIN || to > INT32_MAX)
    return n.error() << "attribute 'to' is " << to << ", which is not an ONNX element type";
  Type toType = convertDataType(n.b.getContext(), static_cast<int32_t>(to));
  if (!toType)
    return n.fail(Twine("casting to ") + dataTypeName(static_cast<int32_t>(to)) +
                  " is not supported");
  int32_t from = n.dataType(0);
  Value result = n.e.convert(n.value(0), toType, isUnsignedDataType(from),
                             isUnsignedDataType(static_cast<int32_t>(to)));
  std::shared_ptr<const HostTensor> host;
  const HostTensor *constant = n.constantInput(0);
  bool integral = [](int32_t t) { return isSignedIntDataType(t) || isUnsignedDataType(t); }(from) &&
                  (isSignedIntDataType(to) || isUnsignedDataType(to));
  if (constant && integral)
    host = share(HostTensor::fromInts(static_cast<int32_t>(to), constant->shape, constant->toInts()));
  n.setOutput(0, result, static_cast<int32_t>(to), host);
  return success();
}

LogicalResult convertCast(NodeImporter &n) { return castTo(n, n.getInt("to", 0)); }
LogicalResult convertCastLike(NodeImporter &n) { return castTo(n, n.dataType(1)); }

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

/// Output 0 = input 0 reshaped to `shape`, keeping a host value along.
LogicalResult emitReshape(NodeImporter &n, ArrayRef<int64_t> shape) {
  std::optional<int64_t> count = numElements(shape);
  if (!count || *count != *numElements(n.shape(0)))
    return n.fail(Twine("cannot reshape ") + Twine(*numElements(n.shape(0))) +
                  " elements to the requested shape");
  std::shared_ptr<const HostTensor> host;
  if (const HostTensor *constant = n.constantInput(0)) {
    HostTensor copy = *constant;
    copy.shape.assign(shape.begin(), shape.end());
    host = share(std::move(copy));
  }
  n.setOutput(0, n.e.reshape(n.value(0), shape), n.dataType(0), host);
  return success();
}

LogicalResult convertReshape(NodeImporter &n) {
  std::optional<std::vector<int64_t>> requested = knownInts(n, 1);
  if (!requested) {
    if (std::optional<RankedTensorType> inferred = inferredOutputType(n, 0))
      return emitReshape(n, inferred->getShape());
    return dependsOnRuntimeValue(n, 1, "shape");
  }
  bool allowZero = n.getInt("allowzero", 0) != 0;
  ArrayRef<int64_t> in = n.shape(0);
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (size_t i = 0; i < requested->size(); ++i) {
    int64_t d = (*requested)[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.fail(Twine("shape entry ") + Twine(i) + " is 0 (copy) but the input has rank " +
                      Twine(in.size()));
      d = in[i];
    } else if (d == -1) {
      if (inferIndex >= 0)
        return n.fail("shape has more than one -1");
      inferIndex = i;
      shape.push_back(1);
      continue;
    } else if (d < 0) {
      return n.fail(Twine("shape has invalid entry ") + Twine(d));
    }
    shape.push_back(d);
    if (!numElements(shape))
      return n.fail("shape is too large");
    known *= d;
  }
  if (inferIndex >= 0) {
    int64_t total = *numElements(in);
    if (known == 0 || total % known != 0)
      return n.fail("cannot infer the -1 dimension of the shape");
    shape[inferIndex] = total / known;
  }
  return emitReshape(n, shape);
}

LogicalResult convertFlatten(NodeImporter &n) {
  int64_t rank = n.rank(0);
  int64_t axis = n.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return n.fail(Twine("axis ") + Twine(axis) + " is out of range for rank " + Twine(rank));
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= n.shape(0)[i];
  return emitReshape(n, {outer, inner});
}

LogicalResult convertSqueeze(NodeImporter &n) {
  std::optional<std::vector<int64_t>> axes;
  if (n.version >= 13) {
    if (n.hasInput(1)) {
      FailureOr<std::vector<int64_t>> given = n.intsInput(1, "axes");
      if (failed(given))
        return failure();
      axes = *given;
    }
  } else {
    axes = n.getInts("axes");
  }
  ArrayRef<int64_t> in = n.shape(0);
  SmallVector<int64_t> shape;
  if (!axes) {
    for (int64_t d : in)
      if (d != 1)
        shape.push_back(d);
    return emitReshape(n, shape);
  }
  FailureOr<std::vector<int64_t>> normalized = n.normalizeAxes(*axes, in.size());
  if (failed(normalized))
    return failure();
  for (int64_t i = 0, e = in.size(); i < e; ++i) {
    if (!llvm::is_contained(*normalized, i)) {
      shape.push_back(in[i]);
      continue;
    }
    if (in[i] != 1)
      return n.fail(Twine("cannot squeeze dimension ") + Twine(i) + " of size " + Twine(in[i]));
  }
  return emitReshape(n, shape);
}

LogicalResult convertUnsqueeze(NodeImporter &n) {
  std::vector<int64_t> axes;
  if (n.version >= 13) {
    FailureOr<std::vector<int64_t>> given = n.intsInput(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  } else {
    axes = n.getInts("axes").value_or(std::vector<int64_t>());
  }
  ArrayRef<int64_t> in = n.shape(0);
  int64_t outRank = in.size() + axes.size();
  FailureOr<std::vector<int64_t>> normalized = n.normalizeAxes(axes, outRank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(llvm::is_contained(*normalized, i) ? 1 : in[next++]);
  return emitReshape(n, shape);
}

LogicalResult convertTranspose(NodeImporter &n) {
  int64_t rank = n.rank(0);
  std::vector<int64_t> perm;
  if (std::optional<std::vector<int64_t>> given = n.getInts("perm"))
    perm = *given;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return n.fail("perm must list every dimension once");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return n.fail("perm must list every dimension once");
    seen[p] = true;
  }
  n.setOutput(0, n.e.transpose(n.value(0), perm), n.dataType(0));
  return success();
}

LogicalResult convertConcat(NodeImporter &n) {
  int64_t rank = n.rank(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  bool allConstant = true;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    if (!n.hasInput(i))
      continue;
    if (n.rank(i) != rank)
      return n.fail("inputs must have the same rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && n.shape(i)[d] != n.shape(0)[d])
        return n.fail("inputs differ outside the concatenation axis");
    inputs.push_back(n.value(i));
    allConstant &= n.constantInput(i) != nullptr;
  }
  std::shared_ptr<const HostTensor> host;
  // Shape computations concatenate 1-D integer lists: keep their host value.
  if (allConstant && rank == 1 && !isFloatDataType(n.dataType(0))) {
    std::vector<int64_t> values;
    for (size_t i = 0; i < n.numInputs(); ++i)
      if (n.hasInput(i))
        for (int64_t v : n.constantInput(i)->toInts())
          values.push_back(v);
    int64_t count = values.size();
    host = share(HostTensor::fromInts(n.dataType(0), {count}, values));
  }
  n.setOutput(0, n.e.concat(inputs, *axis), n.dataType(0), host);
  return success();
}

/// Slice-10/11/13: numpy slicing with starts, ends, axes and steps given as inputs.
LogicalResult convertSlice(NodeImporter &n) {
  ArrayRef<int64_t> in = n.shape(0);
  int64_t rank = in.size();
  FailureOr<std::vector<int64_t>> starts = n.intsInput(1, "starts");
  if (failed(starts))
    return failure();
  FailureOr<std::vector<int64_t>> ends = n.intsInput(2, "ends");
  if (failed(ends))
    return failure();
  std::vector<int64_t> axes, steps;
  if (n.hasInput(3)) {
    FailureOr<std::vector<int64_t>> given = n.intsInput(3, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  } else {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  }
  if (n.hasInput(4)) {
    FailureOr<std::vector<int64_t>> given = n.intsInput(4, "steps");
    if (failed(given))
      return failure();
    steps = *given;
  } else {
    steps.assign(starts->size(), 1);
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return n.fail("starts, ends, axes and steps must have the same length");
  FailureOr<std::vector<int64_t>> unique = n.normalizeAxes(axes, rank);
  if (failed(unique))
    return failure();
  SmallVector<int64_t> offsets(rank, 0), sizes(in), strides(rank, 1);
  bool negativeStep = false;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    int64_t dim = in[axis], step = steps[i];
    if (step == 0)
      return n.fail("slice step must not be 0");
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start = start < -dim ? -1 : start + dim;
    if (end < 0)
      end = end < -dim ? -1 : end + dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
      start = std::clamp<int64_t>(start, -1, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      // A step of INT64_MIN cannot be negated; any step beyond -dim takes one element.
      int64_t magnitude = step < -dim ? dim + 1 : -step;
      size = start > end ? (start - end - 1) / magnitude + 1 : 0;
      negativeStep = true;
    }
    offsets[axis] = size > 0 ? start : 0;
    sizes[axis] = size;
    strides[axis] = step < -dim ? -(dim + 1) : step;
    if (step > dim)
      strides[axis] = std::max<int64_t>(dim, 1);
  }
  Value input = n.value(0);
  if (!negativeStep) {
    n.setOutput(0, n.e.slice(input, offsets, sizes, strides), n.dataType(0));
    return success();
  }
  // Negative steps: out[i] = in[offset + i * stride] per dimension, read with tensor.extract.
  Value init = n.e.empty(sizes, n.elementType(0));
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, n.b.getContext())},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(b, l, d);
          Value scaled = arith::MulIOp::create(
              b, l, i, arith::ConstantIndexOp::create(b, l, strides[d]));
          indices.push_back(arith::AddIOp::create(
              b, l, scaled, arith::ConstantIndexOp::create(b, l, offsets[d])));
        }
        linalg::YieldOp::create(b, l, Value(tensor::ExtractOp::create(b, l, input, indices)));
      });
  n.setOutput(0, generic.getResult(0), n.dataType(0));
  return success();
}

LogicalResult convertExpand(NodeImporter &n) {
  std::optional<std::vector<int64_t>> requested = knownInts(n, 1);
  SmallVector<int64_t> shape;
  if (requested) {
    for (int64_t d : *requested)
      if (d < 0)
        return n.fail(Twine("the requested shape has a negative dimension ") + Twine(d));
    std::optional<SmallVector<int64_t>> merged = broadcastShapes(n.shape(0), *requested);
    if (!merged)
      return n.fail("the input cannot be broadcast to the requested shape");
    shape = *merged;
  } else if (std::optional<RankedTensorType> inferred = inferredOutputType(n, 0)) {
    shape.assign(inferred->getShape().begin(), inferred->getShape().end());
  } else {
    return dependsOnRuntimeValue(n, 1, "shape");
  }
  if (!numElements(shape))
    return n.fail("the requested shape is too large");
  n.setOutput(0, n.e.broadcastTo(n.value(0), shape), n.dataType(0));
  return success();
}

/// Tile-6/13: out[i] = in[i mod dim] per dimension.
LogicalResult convertTile(NodeImporter &n) {
  FailureOr<std::vector<int64_t>> repeats = n.intsInput(1, "repeats");
  if (failed(repeats))
    return failure();
  ArrayRef<int64_t> in = n.shape(0);
  int64_t rank = in.size();
  if (static_cast<int64_t>(repeats->size()) != rank)
    return n.fail("repeats must have one entry per input dimension");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*repeats)[d] < 0)
      return n.fail("repeats must not be negative");
    int64_t size;
    if (llvm::MulOverflow(in[d], (*repeats)[d], size))
      return n.fail("the result is too large");
    shape.push_back(size);
    if (!numElements(shape))
      return n.fail("the result is too large");
  }
  Value input = n.value(0);
  Value init = n.e.empty(shape, n.elementType(0));
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, n.b.getContext())},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(arith::RemUIOp::create(b, l, linalg::IndexOp::create(b, l, d),
                                                   arith::ConstantIndexOp::create(b, l, in[d])));
        linalg::YieldOp::create(b, l, Value(tensor::ExtractOp::create(b, l, input, indices)));
      });
  n.setOutput(0, generic.getResult(0), n.dataType(0));
  return success();
}

/// Split-2/11/13: equal parts, or the sizes given by `split`.
LogicalResult convertSplit(NodeImporter &n) {
  int64_t rank = n.rank(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t dim = n.shape(0)[*axis];
  int64_t parts = n.numOutputs();
  std::vector<int64_t> sizes;
  if (n.version >= 13 && n.hasInput(1)) {
    FailureOr<std::vector<int64_t>> given = n.intsInput(1, "split");
    if (failed(given))
      return failure();
    sizes = *given;
  } else if (n.version < 13 && n.attr("split")) {
    sizes = *n.getInts("split");
  } else {
    if (dim % parts != 0)
      return n.fail(Twine("dimension ") + Twine(dim) + " does not split into " + Twine(parts) +
                    " equal parts");
    sizes.assign(parts, dim / parts);
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return n.fail("split sizes must not be negative");
    // Sizes from a model file can be anything: a sum that overflows cannot be the dimension.
    if (llvm::AddOverflow(total, s, total))
      return n.fail("split sizes must sum to the dimension and match the number of outputs");
  }
  if (static_cast<int64_t>(sizes.size()) != parts || total != dim)
    return n.fail("split sizes must sum to the dimension and match the number of outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<int64_t> offsets(rank, 0), shape(n.shape(0)), strides(rank, 1);
    offsets[*axis] = offset;
    shape[*axis] = sizes[i];
    offset += sizes[i];
    n.setOutput(i, n.e.slice(n.value(0), offsets, shape, strides), n.dataType(0));
  }
  return success();
}

/// An index operand value as `index`, made non-negative (+dim) and clamped into [0, dim - 1]:
/// ONNX makes out-of-range indices an error; clamping keeps compiled code memory-safe.
Value normalizeIndex(OpBuilder &b, Location l, Value index, int64_t dim) {
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), index);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value size = arith::ConstantIndexOp::create(b, l, dim);
  Value negative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, l, negative, arith::AddIOp::create(b, l, i, size), i);
  i = arith::MaxSIOp::create(b, l, i, zero);
  return arith::MinSIOp::create(b, l, i, arith::ConstantIndexOp::create(b, l, std::max<int64_t>(dim - 1, 0)));
}

/// Gather-11/13: out[a..., i..., b...] = data[a..., indices[i...], b...].
LogicalResult convertGather(NodeImporter &n) {
  ArrayRef<int64_t> data = n.shape(0), indices = n.shape(1);
  int64_t rank = data.size();
  if (rank == 0)
    return n.fail("data must have rank >= 1");
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t q = indices.size();
  SmallVector<int64_t> shape(data.begin(), data.begin() + *axis);
  shape.append(indices.begin(), indices.end());
  shape.append(data.begin() + *axis + 1, data.end());
  if (!numElements(shape))
    return n.fail("the result is too large");
  // Every index into an empty axis is out of range; the clamp in normalizeIndex cannot make
  // such a read safe (it would read element 0 of nothing).
  if (data[*axis] == 0 && *numElements(indices) != 0)
    return n.error() << "indices into axis " << *axis << " of size 0 (data "
                     << n.value(0).getType() << "): every index is out of range";
  int64_t outRank = shape.size();
  MLIRContext *ctx = n.b.getContext();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < q; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, ctx));
  Value source = n.value(0);
  Value init = n.e.empty(shape, n.elementType(0));
  int64_t dim = data[*axis];
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{init.getType()}, ValueRange{n.value(1)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(outRank, 0, indexExprs, ctx),
                             AffineMap::getMultiDimIdentityMap(outRank, ctx)},
      SmallVector<utils::IteratorType>(outRank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> at;
        for (int64_t d = 0; d < *axis; ++d)
          at.push_back(linalg::IndexOp::create(b, l, d));
        at.push_back(normalizeIndex(b, l, args[0], dim));
        for (int64_t d = *axis + 1; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(b, l, d - 1 + q));
        linalg::YieldOp::create(b, l, Value(tensor::ExtractOp::create(b, l, source, at)));
      });
  n.setOutput(0, generic.getResult(0), n.dataType(0));
  return success();
}

/// GatherElements-11/13: out[i] = data[i with i[axis] replaced by indices[i]].
LogicalResult convertGatherElements(NodeImporter &n) {
  ArrayRef<int64_t> data = n.shape(0), indices = n.shape(1);
  int64_t rank = data.size();
  if (static_cast<int64_t>(indices.size()) != rank || rank == 0)
    return n.fail("data and indices must have the same rank >= 1");
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && indices[d] > data[d])
      return n.fail("indices exceed the data shape outside the gather axis");
  if (data[*axis] == 0 && *numElements(indices) != 0)
    return n.error() << "indices into axis " << *axis << " of size 0 (data "
                     << n.value(0).getType() << "): every index is out of range";
  Value source = n.value(0);
  Value init = n.e.empty(indices, n.elementType(0));
  MLIRContext *ctx = n.b.getContext();
  int64_t dim = data[*axis];
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{init.getType()}, ValueRange{n.value(1)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                             AffineMap::getMultiDimIdentityMap(rank, ctx)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(d == *axis ? normalizeIndex(b, l, args[0], dim)
                                  : Value(linalg::IndexOp::create(b, l, d)));
        linalg::YieldOp::create(b, l, Value(tensor::ExtractOp::create(b, l, source, at)));
      });
  n.setOutput(0, generic.getResult(0), n.dataType(0));
  return success();
}

/// Trilu-14: keeps elements with j - i >= k (upper) or j - i <= k (lower) of the last two dims.
LogicalResult convertTrilu(NodeImporter &n) {
  int64_t rank = n.rank(0);
  if (rank < 2)
    return n.fail("Trilu needs an input of rank >= 2");
  int64_t k = 0;
  if (n.hasInput(1)) {
    FailureOr<std::vector<int64_t>> given = n.intsInput(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.fail("k must be a scalar");
    k = (*given)[0];
  }
  bool upper = n.getInt("upper", 1) != 0;
  // Clamp k so that index arithmetic stays in range; beyond the matrix size it selects all or
  // nothing either way.
  int64_t bound = n.shape(0)[rank - 1] + n.shape(0)[rank - 2] + 1;
  k = std::clamp<int64_t>(k, -bound, bound);
  Type type = n.elementType(0);
  Value result = n.e.map(n.shape(0), type, n.value(0), [&](OpBuilder &b, Location l, ValueRange a) {
    Value i = linalg::IndexOp::create(b, l, rank - 2);
    Value j = linalg::IndexOp::create(b, l, rank - 1);
    Value diff = arith::SubIOp::create(b, l, j, i);
    Value keep = arith::CmpIOp::create(b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                                       diff, arith::ConstantIndexOp::create(b, l, k));
    return Value(arith::SelectOp::create(b, l, keep, a[0], scalarConstant(b, l, type, 0)));
  });
  n.setOutput(0, result, n.dataType(0));
  return success();
}

} // namespace

void appendTensorOperators(std::vector<OperatorInfo> &table) {
  table.insert(table.end(), {
      {"Cast", {6, 9, 13}, convertCast},
      {"CastLike", {15}, convertCastLike},
      {"Concat", {4, 11, 13}, convertConcat},
      {"Constant", {9, 11, 12, 13}, convertConstant},
      {"ConstantOfShape", {9}, convertConstantOfShape, {0}},
      {"Expand", {8, 13}, convertExpand, {1}},
      {"Flatten", {9, 11, 13}, convertFlatten},
      {"Gather", {11, 13}, convertGather},
      {"GatherElements", {11, 13}, convertGatherElements},
      {"Identity", {1, 13, 14, 16}, convertIdentity},
      {"Range", {11}, convertRange, {0, 1, 2}},
      {"Reshape", {5, 13, 14}, convertReshape, {1}},
      {"Shape", {1, 13, 15}, convertShape},
      {"Size", {1, 13}, convertSize},
      {"Slice", {10, 11, 13}, convertSlice, {1, 2, 3, 4}},
      {"Split", {2, 11, 13}, convertSplit, {1}},
      {"Squeeze", {11, 13}, convertSqueeze, {1}},
      {"Tile", {6, 13}, convertTile, {1}},
      {"Transpose", {1, 13}, convertTranspose},
      {"Trilu", {14}, convertTrilu, {1}},
      {"Unsqueeze", {11, 13}, convertUnsqueeze, {1}},
  });
}

const std::vector<OperatorInfo> &getOperatorTable() {
  static const std::vector<OperatorInfo> table = [] {
    std::vector<OperatorInfo> all;
    appendMathOperators(all);
    appendTensorOperators(all);
    return all;
  }();
  return table;
}

} // namespace bnn::frontend::onnximpl
