#include "util/tensor_bundle.h"

#include <set>
#include <stdexcept>

#include "util/byte_io.h"

namespace sclm {
namespace {

constexpr char kMagic[8] = {'S', 'C', 'L', 'M', 'T', 'N', 'S', '1'};
constexpr std::size_t kMaxNameLength = 512;
constexpr std::size_t kMaxDims = 8;

}  // namespace

std::size_t dtype_size(std::uint8_t code) {
  switch (static_cast<DType>(code)) {
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kBFloat16:
    case DType::kFloat16:
      return 2;
    case DType::kUInt8:
    case DType::kBool:
      return 1;
  }
  throw std::invalid_argument("model weights: unknown tensor type code " + std::to_string(code));
}

std::string write_tensor_bundle(const std::vector<TensorRecord>& tensors) {
  ByteWriter w;
  w.bytes(kMagic, sizeof(kMagic));
  w.u64(tensors.size());
  for (const auto& t : tensors) {
    w.text(t.name);
    w.u8(static_cast<std::uint8_t>(t.dtype));
    w.u64(t.shape.size());
    for (auto d : t.shape) w.u64(static_cast<std::uint64_t>(d));
    w.text(t.data);
  }
  seal(w);
  return w.str();
}

std::vector<TensorRecord> read_tensor_bundle(const std::string& bytes) {
  if (bytes.compare(0, sizeof(kMagic), kMagic, sizeof(kMagic)) != 0)
    throw std::invalid_argument("model weights: not an scLM weights bundle");
  ByteReader r(bytes.data(), sealed_body_size(bytes, "model weights"), "model weights");
  r.take(sizeof(kMagic));
  // Name length, dtype, rank and data length: at least 25 bytes per tensor.
  const std::size_t n = r.count(25);
  std::vector<TensorRecord> tensors(n);
  std::set<std::string> names;
  for (auto& t : tensors) {
    t.name = r.text();
    if (t.name.empty() || t.name.size() > kMaxNameLength) r.fail("a tensor name is empty or too long");
    if (!names.insert(t.name).second) r.fail("tensor '" + t.name + "' appears twice");
    const std::uint8_t code = r.u8();
    t.dtype = static_cast<DType>(code);
    const std::size_t item = dtype_size(code);
    const std::size_t rank = r.count(8);
    if (rank > kMaxDims) r.fail("tensor '" + t.name + "' has more than 8 dimensions");
    std::uint64_t elements = 1;
    for (std::size_t k = 0; k < rank; ++k) {
      const std::uint64_t d = r.u64();
      if (d > (std::uint64_t{1} << 62)) r.fail("tensor '" + t.name + "' has an impossible size");
      // Every element needs `item` bytes of what is left, which bounds the product without overflow.
      if (d != 0 && elements > (r.left() / item) / d) r.fail("tensor '" + t.name + "' is larger than the file");
      elements *= d;
      t.shape.push_back(static_cast<std::int64_t>(d));
    }
    t.data = r.text();
    if (t.data.size() != elements * item) r.fail("tensor '" + t.name + "' has a data size that does not match its shape");
  }
  if (r.left() != 0) r.fail("it has bytes after its end");
  return tensors;
}

}  // namespace sclm
