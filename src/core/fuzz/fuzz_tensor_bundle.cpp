// libFuzzer target: the weights bundle reader. The checksum is not what is under test, so the
// target appends a valid one to the fuzzed body to reach the structure checks behind it.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "util/byte_io.h"
#include "util/tensor_bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sclm::ByteWriter w;
  w.bytes("SCLMTNS1", 8);
  w.bytes(data, size);
  sclm::seal(w);
  for (const auto& input : {std::string(reinterpret_cast<const char*>(data), size), w.str()}) {
    try {
      sclm::read_tensor_bundle(input);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
