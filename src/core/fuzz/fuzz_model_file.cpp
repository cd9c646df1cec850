// libFuzzer target: scLM's model file reader, and the weights bundles inside a model it accepts.
// Any input must either parse or throw std::invalid_argument; a crash, leak or UB is a bug.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

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
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    read_bundles(sclm::read_data_file(bytes));
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
