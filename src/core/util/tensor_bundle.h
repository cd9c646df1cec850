// Named tensors as plain bytes: the weights format of scLM models (torch-free, so it can be
// fuzzed on its own). A bundle is validated completely before any tensor is built from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sclm {

enum class DType : std::uint8_t { kFloat32 = 1, kFloat64 = 2, kInt64 = 3, kInt32 = 4, kUInt8 = 5, kBool = 6,
                                  kBFloat16 = 7, kFloat16 = 8 };

// Bytes per element; throws std::invalid_argument for a code that is not a DType.
std::size_t dtype_size(std::uint8_t code);

struct TensorRecord {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<std::int64_t> shape;
  std::string data;  // little-endian elements, row-major
};

std::string write_tensor_bundle(const std::vector<TensorRecord>& tensors);

// Throws std::invalid_argument naming what is wrong (magic, truncation, sizes, duplicates).
std::vector<TensorRecord> read_tensor_bundle(const std::string& bytes);

}  // namespace sclm
