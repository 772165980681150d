//===- GpuBundle.cpp - GPU bundle parser ----------------------------------===//

#include "bnn/runtime/GpuBundle.h"

#include "bnn/runtime/Checked.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace bnn::cuda {

int64_t BufferDesc::numElements() const {
  return checked::product<int64_t>(shape).value_or(-1);
}

std::size_t BufferDesc::bytes() const {
  int64_t n = numElements();
  if (n < 0 || static_cast<uint64_t>(n) > std::numeric_limits<std::size_t>::max())
    return std::numeric_limits<std::size_t>::max();
  return checked::mul<std::size_t>(static_cast<std::size_t>(n),
                                   static_cast<std::size_t>(elementTypeSize(dtype)))
      .value_or(std::numeric_limits<std::size_t>::max());
}

std::string BufferDesc::str() const {
  std::string s = elementTypeName(dtype);
  s += ' ';
  if (shape.empty())
    return s + "scalar";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

const BundleFunction *Bundle::findFunction(std::string_view name) const {
  for (const BundleFunction &f : functions)
    if (f.name == name)
      return &f;
  return nullptr;
}

namespace {

class Parser {
public:
  explicit Parser(std::string_view data) : data(data) {}

  Status run(Bundle &out);

private:
  /// The next line without its '\n'; false at the end of the data.
  bool nextLine(std::string_view &line) {
    if (pos >= data.size())
      return false;
    std::size_t end = data.find('\n', pos);
    if (end == std::string_view::npos)
      end = data.size();
    line = data.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    return true;
  }

  static std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ')
        ++i;
      std::size_t start = i;
      while (i < line.size() && line[i] != ' ')
        ++i;
      if (i > start)
        tokens.push_back(line.substr(start, i - start));
    }
    return tokens;
  }

  Status fail(const std::string &message) const {
    return Status::error("GPU bundle line " + std::to_string(lineNumber) + ": " + message);
  }

  template <typename T> bool number(std::string_view token, T &value) const {
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    return ec == std::errc() && ptr == token.data() + token.size();
  }

  Status dtype(std::string_view token, ElementType &type) const {
    std::optional<ElementType> parsed = parseElementTypeName(token);
    if (!parsed)
      return fail("unknown element type '" + std::string(token) + "'");
    type = *parsed;
    return Status::success();
  }

  Status shape(std::string_view token, std::vector<int64_t> &dims) const {
    dims.clear();
    if (token == "scalar")
      return Status::success();
    std::size_t start = 0;
    while (true) {
      std::size_t x = token.find('x', start);
      std::string_view dim = token.substr(start, x == std::string_view::npos ? x : x - start);
      int64_t value;
      if (!number(dim, value) || value < 0)
        return fail("bad shape '" + std::string(token) + "'");
      dims.push_back(value);
      if (x == std::string_view::npos)
        return Status::success();
      start = x + 1;
    }
  }

  Status buffer(std::string_view dtypeToken, std::string_view shapeToken, BufferDesc &desc) const {
    if (Status s = dtype(dtypeToken, desc.dtype); !s)
      return s;
    if (Status s = shape(shapeToken, desc.shape); !s)
      return s;
    // Every size the runtime later derives from a buffer (element count, bytes to allocate
    // or copy) must be exact: refuse shapes whose product overflows.
    std::optional<int64_t> elements = checked::product<int64_t>(desc.shape);
    if (!elements ||
        !checked::mul<int64_t>(*elements, elementTypeSize(desc.dtype)) ||
        desc.bytes() == std::numeric_limits<std::size_t>::max())
      return fail("buffer " + desc.str() + " has more bytes than fit in 63 bits");
    return Status::success();
  }

  Status ref(std::string_view token, BufferRef &r) const {
    if (token.size() < 2)
      return fail("bad buffer reference '" + std::string(token) + "'");
    switch (token[0]) {
    case 'a':
      r.kind = BufferRef::Kind::Arg;
      break;
    case 't':
      r.kind = BufferRef::Kind::Temp;
      break;
    case 'c':
      r.kind = BufferRef::Kind::Const;
      break;
    default:
      return fail("bad buffer reference '" + std::string(token) + "' (expected a<i>, t<i> or c<i>)");
    }
    if (!number(token.substr(1), r.index))
      return fail("bad buffer reference '" + std::string(token) + "'");
    return Status::success();
  }

  Status function(const std::vector<std::string_view> &header, Bundle &out);
  Status checkRefs(const BundleFunction &f, const std::vector<BufferRef> &refs,
                   std::size_t numConstants) const;

  std::string_view data;
  /// Start of the next line; data.size() + 1 after a last line without '\n'.
  std::size_t pos = 0;
  std::size_t lineNumber = 0;
};

Status Parser::checkRefs(const BundleFunction &f, const std::vector<BufferRef> &refs,
                         std::size_t numConstants) const {
  for (const BufferRef &r : refs) {
    std::size_t limit = r.kind == BufferRef::Kind::Arg    ? f.args.size()
                        : r.kind == BufferRef::Kind::Temp ? f.temps.size()
                                                          : numConstants;
    if (r.index >= limit)
      return fail("function '" + f.name + "' refers to a buffer that does not exist (" +
                  std::string(r.kind == BufferRef::Kind::Arg    ? "a"
                              : r.kind == BufferRef::Kind::Temp ? "t"
                                                                : "c") +
                  std::to_string(r.index) + ")");
  }
  return Status::success();
}

Status Parser::function(const std::vector<std::string_view> &header, Bundle &out) {
  BundleFunction f;
  unsigned numArgs;
  if (header.size() != 3 || !number(header[2], numArgs))
    return fail("expected 'func <name> <number of arguments>'");
  f.name = std::string(header[1]);
  std::string_view line;
  while (true) {
    if (!nextLine(line))
      return fail("function '" + f.name + "' has no 'end'");
    std::vector<std::string_view> t = split(line);
    if (t.empty())
      return fail("empty line inside function '" + f.name + "'");
    if (t[0] == "end") {
      if (f.args.size() != numArgs)
        return fail("function '" + f.name + "' declares " + std::to_string(numArgs) +
                    " arguments but lists " + std::to_string(f.args.size()));
      for (const Step &step : f.steps) {
        Status s = step.kind == Step::Kind::Launch
                       ? checkRefs(f, step.launch.args, out.constants.size())
                       : checkRefs(f, {step.from, step.to}, out.constants.size());
        if (!s)
          return s;
      }
      out.functions.push_back(std::move(f));
      return Status::success();
    }
    if (t[0] == "arg") {
      unsigned index;
      if (t.size() != 6 || !number(t[1], index) || (t[2] != "in" && t[2] != "out"))
        return fail("expected 'arg <index> <in|out> <dtype> <shape> <logical type>'");
      if (index != f.args.size())
        return fail("argument " + std::to_string(index) + " out of order");
      FunctionArg arg;
      arg.isOutput = t[2] == "out";
      if (Status s = buffer(t[3], t[4], arg.buffer); !s)
        return s;
      arg.logicalType = std::string(t[5]);
      f.args.push_back(std::move(arg));
    } else if (t[0] == "temp") {
      unsigned index;
      if (t.size() != 4 || !number(t[1], index))
        return fail("expected 'temp <index> <dtype> <shape>'");
      if (index != f.temps.size())
        return fail("temporary " + std::to_string(index) + " out of order");
      BufferDesc desc;
      if (Status s = buffer(t[2], t[3], desc); !s)
        return s;
      f.temps.push_back(std::move(desc));
    } else if (t[0] == "launch") {
      // launch <module> <kernel> grid x y z block x y z smem n args refs...
      Step step;
      LaunchStep &l = step.launch;
      if (t.size() < 14 || t[3] != "grid" || t[7] != "block" || t[11] != "smem" ||
          t[13] != "args")
        return fail("expected 'launch <module> <kernel> grid <x> <y> <z> block <x> <y> <z> "
                    "smem <bytes> args <ref>...'");
      l.module = std::string(t[1]);
      l.kernel = std::string(t[2]);
      for (int i = 0; i < 3; ++i)
        if (!number(t[4 + i], l.grid[i]) || !number(t[8 + i], l.block[i]) || !l.grid[i] ||
            !l.block[i])
          return fail("bad launch dimensions for kernel '" + l.kernel + "'");
      if (!number(t[12], l.sharedBytes))
        return fail("bad shared memory size for kernel '" + l.kernel + "'");
      for (std::size_t i = 14; i < t.size(); ++i) {
        BufferRef r;
        if (Status s = ref(t[i], r); !s)
          return s;
        l.args.push_back(r);
      }
      f.steps.push_back(std::move(step));
    } else if (t[0] == "copy") {
      Step step;
      step.kind = Step::Kind::Copy;
      if (t.size() != 3)
        return fail("expected 'copy <ref> <ref>'");
      if (Status s = ref(t[1], step.from); !s)
        return s;
      if (Status s = ref(t[2], step.to); !s)
        return s;
      f.steps.push_back(std::move(step));
    } else {
      return fail("unknown entry '" + std::string(t[0]) + "' in function '" + f.name + "'");
    }
  }
}

Status Parser::run(Bundle &out) {
  out = Bundle();
  // Lookups by name stay logarithmic, so that parsing time grows with the size of the input
  // and not with its square.
  std::map<std::string, std::size_t> constantBySymbol;
  // A second section for the same constant or image would silently replace the first.
  std::set<std::string> constantsWithData, imagesSeen;
  std::string_view line;
  if (!nextLine(line) || line != "bnn-gpu-bundle 1")
    return fail("not a GPU bundle (expected the header 'bnn-gpu-bundle 1')");
  while (true) {
    if (!nextLine(line))
      return fail("unexpected end of data (no 'end-bundle')");
    std::vector<std::string_view> t = split(line);
    if (t.empty())
      return fail("empty line");
    if (t[0] == "end-bundle")
      break;
    if (t[0] == "const") {
      unsigned id;
      BundleConstant c;
      if (t.size() != 5 || !number(t[1], id))
        return fail("expected 'const <id> <symbol> <dtype> <shape>'");
      if (id != out.constants.size())
        return fail("constant " + std::to_string(id) + " out of order");
      c.symbol = std::string(t[2]);
      if (Status s = buffer(t[3], t[4], c.buffer); !s)
        return s;
      if (!constantBySymbol.emplace(c.symbol, out.constants.size()).second)
        return fail("constant symbol '" + c.symbol + "' defined twice");
      out.constants.push_back(std::move(c));
    } else if (t[0] == "func") {
      if (Status s = function(t, out); !s)
        return s;
    } else if (t[0] == "section") {
      // section <ptx|cubin|fatbin> <module> <chip> <size> | section const <symbol> <size>
      std::size_t size;
      bool isConst = t.size() == 4 && t[1] == "const";
      bool isImage = t.size() == 5 && (t[1] == "ptx" || t[1] == "cubin" || t[1] == "fatbin");
      if ((!isConst && !isImage) || !number(t.back(), size))
        return fail("expected 'section <ptx|cubin|fatbin> <module> <chip> <size>' or "
                    "'section const <symbol> <size>'");
      // The payload and its closing '\n' must lie inside the data. Compared as "size <
      // bytes left", never as pos + size + 1 > data.size(), which wraps for a size near
      // SIZE_MAX and moves pos backwards.
      std::size_t left = pos < data.size() ? data.size() - pos : 0;
      if (size >= left || data[pos + size] != '\n')
        return fail("section of " + std::to_string(size) + " bytes runs past the end of the data (" +
                    std::to_string(left) + " bytes left)");
      std::string bytes(data.substr(pos, size));
      // Count the lines the payload and its closing newline span, so that later messages
      // keep pointing at the right line of the file.
      for (char c : bytes)
        lineNumber += c == '\n';
      ++lineNumber;
      pos += size + 1;
      if (isConst) {
        auto it = constantBySymbol.find(std::string(t[2]));
        BundleConstant *target = it == constantBySymbol.end() ? nullptr : &out.constants[it->second];
        if (!target)
          return fail("section for unknown constant '" + std::string(t[2]) + "'");
        if (!constantsWithData.insert(target->symbol).second)
          return fail("second data section for constant '" + target->symbol + "'");
        if (bytes.size() != target->buffer.bytes())
          return fail("constant '" + target->symbol + "' has " + std::to_string(bytes.size()) +
                      " bytes, expected " + std::to_string(target->buffer.bytes()) + " (" +
                      target->buffer.str() + ")");
        target->data = std::move(bytes);
      } else {
        if (!imagesSeen.insert(std::string(t[1]) + " " + std::string(t[2]) + " " +
                               std::string(t[3]))
                 .second)
          return fail("second " + std::string(t[1]) + " section for module '" +
                      std::string(t[2]) + "' and chip " + std::string(t[3]));
        out.images.push_back({std::string(t[1]), std::string(t[2]), std::string(t[3]),
                              std::move(bytes)});
      }
    } else {
      return fail("unknown entry '" + std::string(t[0]) + "'");
    }
  }
  for (const BundleConstant &c : out.constants)
    if (c.data.size() != c.buffer.bytes())
      return Status::error("GPU bundle: constant '" + c.symbol + "' has no data section");
  std::set<std::string_view> modules;
  for (const BundleImage &image : out.images)
    modules.insert(image.module);
  for (const BundleFunction &f : out.functions)
    for (const Step &step : f.steps) {
      if (step.kind != Step::Kind::Launch)
        continue;
      if (!modules.count(step.launch.module))
        return Status::error("GPU bundle: function '" + f.name + "' launches kernel '" +
                             step.launch.kernel + "' of module '" + step.launch.module +
                             "', which has no code section");
    }
  return Status::success();
}

} // namespace

Status Bundle::parse(std::string_view data, Bundle &out) { return Parser(data).run(out); }

Status Bundle::load(const std::string &path, Bundle &out) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return Status::error("cannot open GPU bundle '" + path + "'");
  std::ostringstream contents;
  contents << file.rdbuf();
  Status s = parse(contents.str(), out);
  if (!s)
    return Status::error(path + ": " + s.message());
  return s;
}

} // namespace bnn::cuda
