// libFuzzer target: the peak-name parser, and island building and mapping for what it accepts.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "data/peaks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sclm::GenomicRange range;
  if (!sclm::parse_peak_name(std::string_view(reinterpret_cast<const char*>(data), size), range)) return 0;
  if (range.start < 0 || range.end < range.start) __builtin_trap();  // the parser promised this
  try {
    const std::vector<sclm::GenomicRange> peaks{range};
    const auto islands = sclm::peak_islands(peaks, 5000);
    const auto map = sclm::map_peaks_to_islands(peaks, islands, 5000);
    if (map.offsets.size() != 2 || map.offsets[1] != static_cast<int>(islands.size())) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
