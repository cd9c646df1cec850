// libFuzzer target: scLM's model file reader, and the weights bundles inside a model it accepts.
// Any input must either parse or throw std::invalid_argument; a crash, leak or UB is a bug.
// Each input is tried as it is and as the body of a file with a valid header and checksum, so
// mutations reach the value parser behind the checksum.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "util/byte_io.h"
#include "util/data_file.h"
#include "util/tensor_bundle.h"

namespace {
void read_bundles(const sclm::DataNode& node) {
  if (node.type == sclm::DataNode::Type::kRaw) {
    try {
      sclm::read_tensor_bundle(node.raw);
    } catch (const std::invalid_argument&) {
    }
  }
  for (const auto& item : node.items) read_bundles(item);
  for (const auto& attribute : node.attributes) read_bundles(attribute.second);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sclm::ByteWriter w;
  w.bytes("SCLMMODEL\n", 10);
  w.u32(1);
  // Seeds are whole files: their body starts after the 14-byte header and ends before the checksum.
  const bool whole = size >= 14 + sclm::kSealSize && std::string(reinterpret_cast<const char*>(data), 10) == "SCLMMODEL\n";
  if (whole) w.bytes(data + 14, size - 14 - sclm::kSealSize); else w.bytes(data, size);
  sclm::seal(w);
  for (const auto& input : {std::string(reinterpret_cast<const char*>(data), size), w.str()}) {
    try {
      read_bundles(sclm::read_data_file(input));
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
