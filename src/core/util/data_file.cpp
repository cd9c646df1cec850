#include "util/data_file.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "util/byte_io.h"

namespace sclm {
namespace {

constexpr char kMagic[10] = {'S', 'C', 'L', 'M', 'M', 'O', 'D', 'E', 'L', '\n'};
constexpr std::uint32_t kVersion = 1;
constexpr int kMaxDepth = 64;
constexpr std::int32_t kNaInteger = INT32_MIN;  // R's NA_integer_

void write_node(ByteWriter& w, const DataNode& node) {
  using T = DataNode::Type;
  w.u8(static_cast<std::uint8_t>(node.type));
  w.u64(node.length());
  switch (node.type) {
    case T::kNull:
      break;
    case T::kLogical:
    case T::kInteger:
      for (auto v : node.ints) w.u32(static_cast<std::uint32_t>(v));
      break;
    case T::kDouble:
      for (double v : node.doubles) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof(bits));
        w.u64(bits);
      }
      break;
    case T::kString:
      for (std::size_t k = 0; k < node.strings.size(); ++k) {
        w.u8(node.string_na[k]);
        w.text(node.strings[k]);
      }
      break;
    case T::kRaw:
      w.bytes(node.raw.data(), node.raw.size());
      break;
    case T::kList:
      for (const auto& item : node.items) write_node(w, item);
      break;
  }
  w.u64(node.attributes.size());
  for (const auto& [name, value] : node.attributes) {
    w.text(name);
    write_node(w, value);
  }
}

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("model file: " + why); }

bool is_strings(const DataNode& v, std::size_t n) { return v.type == DataNode::Type::kString && v.length() == n; }

// The attributes R objects in a model can carry, each checked against the value it is on.
void check_attribute(const std::string& name, const DataNode& value, const DataNode& on) {
  const std::size_t n = on.length();
  if (name == "names") {
    if (!is_strings(value, n)) bad("names do not match their vector");
  } else if (name == "class" || name == "levels") {
    if (value.type != DataNode::Type::kString) bad(name + " is not a character vector");
  } else if (name == "dim") {
    if (value.type != DataNode::Type::kInteger || value.ints.empty()) bad("dim is not an integer vector");
    double cells = 1;
    for (auto d : value.ints) {
      if (d < 0) bad("dim has a negative extent");
      cells *= d;
    }
    if (cells != static_cast<double>(n)) bad("dim does not match its vector's length");
  } else if (name == "dimnames") {
    const DataNode* dim = nullptr;
    for (const auto& [k, v] : on.attributes)
      if (k == "dim") dim = &v;
    if (dim == nullptr || value.type != DataNode::Type::kList || value.items.size() != dim->ints.size())
      bad("dimnames do not match dim");
    for (std::size_t k = 0; k < value.items.size(); ++k) {
      const auto& names = value.items[k];
      if (names.type != DataNode::Type::kNull && !is_strings(names, static_cast<std::size_t>(dim->ints[k])))
        bad("dimnames do not match dim");
    }
  } else if (name == "row.names") {
    if (value.type != DataNode::Type::kInteger && value.type != DataNode::Type::kString) bad("row.names have the wrong type");
    if (on.type != DataNode::Type::kList) bad("row.names are on a value that is not a data frame");
    for (const auto& column : on.items)
      if (column.length() != on.items.front().length()) bad("data frame columns differ in length");
    const bool compact = value.type == DataNode::Type::kInteger && value.ints.size() == 2 && value.ints[0] == kNaInteger;
    const std::size_t rows = compact ? static_cast<std::size_t>(std::abs(static_cast<double>(value.ints[1]))) : value.length();
    if (!on.items.empty() && rows != on.items.front().length()) bad("row.names do not match the data frame");
  } else {
    bad("attribute '" + name + "' is not part of an scLM model");
  }
}

// The whole tree, before any R object is built from it: only these attributes, each consistent with its value.
void check_tree(const DataNode& node) {
  if (node.type == DataNode::Type::kNull && !node.attributes.empty()) bad("NULL has attributes");
  for (const auto& s : node.strings)
    if (s.size() > static_cast<std::size_t>(INT_MAX)) bad("a string is too long");
  for (const auto& item : node.items) check_tree(item);
  for (std::size_t k = 0; k < node.attributes.size(); ++k) {
    const auto& [name, value] = node.attributes[k];
    for (std::size_t j = 0; j < k; ++j)
      if (node.attributes[j].first == name) bad("attribute '" + name + "' appears twice");
    check_attribute(name, value, node);
    check_tree(value);
  }
}

DataNode read_node(ByteReader& r, int depth) {
  using T = DataNode::Type;
  if (depth > kMaxDepth) r.fail("values are nested too deeply");
  DataNode node;
  const std::uint8_t type = r.u8();
  if (type > static_cast<std::uint8_t>(T::kList)) r.fail("unknown value type " + std::to_string(type));
  node.type = static_cast<T>(type);
  switch (node.type) {
    case T::kNull:
      if (r.u64() != 0) r.fail("a NULL value has a length");
      break;
    case T::kLogical:
    case T::kInteger:
      node.ints.resize(r.count(4));
      for (auto& v : node.ints) v = static_cast<std::int32_t>(r.u32());
      break;
    case T::kDouble:
      node.doubles.resize(r.count(8));
      for (auto& v : node.doubles) {
        const std::uint64_t bits = r.u64();
        std::memcpy(&v, &bits, sizeof(bits));
      }
      break;
    case T::kString: {
      const std::size_t n = r.count(9);
      node.strings.resize(n);
      node.string_na.resize(n);
      for (std::size_t k = 0; k < n; ++k) {
        node.string_na[k] = r.u8();
        if (node.string_na[k] > 1) r.fail("a string has a bad NA flag");
        node.strings[k] = r.text();
        if (node.strings[k].find('\0') != std::string::npos) r.fail("a string holds a NUL byte");
      }
      break;
    }
    case T::kRaw: {
      const std::size_t n = r.count();
      node.raw.assign(r.take(n), n);
      break;
    }
    case T::kList: {
      // Each element takes at least its type byte, length and attribute count.
      node.items.resize(r.count(17));
      for (auto& item : node.items) item = read_node(r, depth + 1);
      break;
    }
  }
  const std::size_t n_attributes = r.count(17);
  for (std::size_t k = 0; k < n_attributes; ++k) {
    std::string name = r.text();
    if (name.empty() || name.find('\0') != std::string::npos) r.fail("an attribute has an empty or bad name");
    node.attributes.emplace_back(std::move(name), read_node(r, depth + 1));
  }
  return node;
}

}  // namespace

std::size_t DataNode::length() const {
  switch (type) {
    case Type::kLogical:
    case Type::kInteger:
      return ints.size();
    case Type::kDouble:
      return doubles.size();
    case Type::kString:
      return strings.size();
    case Type::kRaw:
      return raw.size();
    case Type::kList:
      return items.size();
    case Type::kNull:
      break;
  }
  return 0;
}

std::string write_data_file(const DataNode& root) {
  ByteWriter w;
  w.bytes(kMagic, sizeof(kMagic));
  w.u32(kVersion);
  write_node(w, root);
  seal(w);
  return w.str();
}

DataNode read_data_file(const std::string& bytes) {
  ByteReader header(bytes.data(), bytes.size(), "model file");
  if (header.left() < sizeof(kMagic) ||
      std::string(header.take(sizeof(kMagic)), sizeof(kMagic)) != std::string(kMagic, sizeof(kMagic)))
    header.fail("it is not an scLM model file");
  const std::uint32_t version = header.u32();
  if (version != kVersion)
    header.fail("it has container version " + std::to_string(version) + "; this scLM reads version " + std::to_string(kVersion));
  // The checksum is verified before parsing, so an altered file is reported as altered.
  const std::size_t body = sealed_body_size(bytes, "model file");
  const std::size_t header_size = sizeof(kMagic) + 4;
  if (body < header_size) header.fail("it ends early");
  ByteReader content(bytes.data() + header_size, body - header_size, "model file");
  DataNode root = read_node(content, 0);
  if (content.left() != 0) content.fail("it has bytes after its end");
  check_tree(root);
  return root;
}

}  // namespace sclm
