// Little-endian byte writer and a bounds-checked reader for scLM's own file formats. Every read
// checks the bytes left first, so a truncated or crafted file is an error, never an overrun.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "util/checksum.h"

namespace sclm {

class ByteWriter {
 public:
  void bytes(const void* data, std::size_t n) { out_.append(static_cast<const char*>(data), n); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { little_endian(v, 4); }
  void u64(std::uint64_t v) { little_endian(v, 8); }
  void text(const std::string& s) {
    u64(s.size());
    out_ += s;
  }
  std::string& str() { return out_; }

 private:
  void little_endian(std::uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out_.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  std::string out_;
};

class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size, std::string what) : p_(data), left_(size), what_(std::move(what)) {}
  std::size_t left() const { return left_; }
  const char* take(std::size_t n) {
    if (n > left_) fail("it ends early");
    const char* at = p_;
    p_ += n;
    left_ -= n;
    return at;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(*take(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
  std::uint64_t u64() { return little_endian(8); }
  // A length that must fit in what is left, each element taking at least `unit` bytes.
  std::size_t count(std::size_t unit = 1) {
    const std::uint64_t n = u64();
    if (unit > 0 && n > left_ / unit) fail("a length is larger than the file");
    return static_cast<std::size_t>(n);
  }
  std::string text() {
    const std::size_t n = count();
    return std::string(take(n), n);
  }
  [[noreturn]] void fail(const std::string& why) const { throw std::invalid_argument(what_ + ": " + why); }

 private:
  std::uint64_t little_endian(int n) {
    const auto* b = reinterpret_cast<const unsigned char*>(take(n));
    std::uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(b[k]) << (8 * k);
    return v;
  }
  const char* p_;
  std::size_t left_;
  std::string what_;
};

// A checksum trailer (its length, 16, then 16 hex digits of FNV-1a 64) over all bytes before it.
constexpr std::size_t kSealSize = 8 + 16;

inline void seal(ByteWriter& w) {
  const auto& body = w.str();
  w.text(fnv1a64_hex(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
}

// The size of `bytes` without its trailer; throws std::invalid_argument naming `what` when the
// trailer is missing or does not match.
inline std::size_t sealed_body_size(const std::string& bytes, const std::string& what) {
  if (bytes.size() < kSealSize) throw std::invalid_argument(what + ": it ends early");
  const std::size_t body = bytes.size() - kSealSize;
  ByteReader trailer(bytes.data() + body, kSealSize, what);
  const std::size_t n = trailer.u64();
  if (n != 16 || std::string(trailer.take(16), 16) != fnv1a64_hex(reinterpret_cast<const unsigned char*>(bytes.data()), body))
    throw std::invalid_argument(what + ": its checksum does not match (it was altered or damaged)");
  return body;
}

}  // namespace sclm
