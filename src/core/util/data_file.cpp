#include "util/data_file.h"

#include <stdexcept>

#include "util/byte_io.h"
#include "util/checksum.h"

namespace sclm {
namespace {

constexpr char kMagic[10] = {'S', 'C', 'L', 'M', 'M', 'O', 'D', 'E', 'L', '\n'};
constexpr std::uint32_t kVersion = 1;
constexpr int kMaxDepth = 64;

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
  const auto& body = w.str();
  w.text(fnv1a64_hex(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
  return w.str();
}

DataNode read_data_file(const std::string& bytes) {
  ByteReader r(bytes.data(), bytes.size(), "model file");
  if (r.left() < sizeof(kMagic) || std::string(r.take(sizeof(kMagic)), sizeof(kMagic)) != std::string(kMagic, sizeof(kMagic)))
    r.fail("it is not an scLM model file");
  const std::uint32_t version = r.u32();
  if (version != kVersion)
    r.fail("it has container version " + std::to_string(version) + "; this scLM reads version " + std::to_string(kVersion));
  // Verify the checksum before parsing, so an altered file is reported as altered.
  if (r.left() < 8 + 16) r.fail("it ends early");
  const std::size_t body = bytes.size() - 16 - 8;
  ByteReader trailer(bytes.data() + body, 24, "model file");
  const std::size_t n = trailer.u64();
  if (n != 16 || std::string(trailer.take(16), 16) != fnv1a64_hex(reinterpret_cast<const unsigned char*>(bytes.data()), body))
    r.fail("its checksum does not match (the file was altered or damaged)");
  ByteReader content(bytes.data() + (bytes.size() - r.left()), r.left() - 24, "model file");
  DataNode root = read_node(content, 0);
  if (content.left() != 0) content.fail("it has bytes after its end");
  return root;
}

}  // namespace sclm
