//===- ElementType.cpp - the element type table ----------------------------===//

#include "bnn/runtime/ElementType.h"

namespace bnn {
namespace {

struct Row {
  ElementType type;
  const char *name;
  int64_t size;
};

constexpr Row kElementTypes[] = {
    {ElementType::F32, "f32", 4}, {ElementType::F16, "f16", 2}, {ElementType::BF16, "bf16", 2},
    {ElementType::F64, "f64", 8}, {ElementType::I1, "i1", 1},   {ElementType::I8, "i8", 1},
    {ElementType::I16, "i16", 2}, {ElementType::I32, "i32", 4}, {ElementType::I64, "i64", 8},
};

const Row &rowOf(ElementType type) {
  for (const Row &row : kElementTypes)
    if (row.type == type)
      return row;
  return kElementTypes[0]; // unreachable: every enumerator has a row
}

} // namespace

int64_t elementTypeSize(ElementType type) { return rowOf(type).size; }

const char *elementTypeName(ElementType type) { return rowOf(type).name; }

std::optional<ElementType> parseElementTypeName(std::string_view name) {
  for (const Row &row : kElementTypes)
    if (name == row.name)
      return row.type;
  return std::nullopt;
}

} // namespace bnn
