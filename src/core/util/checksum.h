// FNV-1a 64-bit checksum: detects accidental or deliberate alteration of model weights.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace sclm {

inline std::string fnv1a64_hex(const unsigned char* data, std::size_t size) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (std::size_t k = 0; k < size; ++k) {
    hash ^= data[k];
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

}  // namespace sclm
