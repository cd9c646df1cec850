// Peaks and peak islands (annATAC): the genome is cut into bins of `bin_size` bp per chromosome;
// an island is a bin that peaks overlap, and its value in a cell is the ceiling of the mean count
// of the peaks overlapping it. Island k of a chromosome covers positions k*bin_size ..
// (k+1)*bin_size - 1, in the coordinates of the peak names; a peak crossing a bin edge belongs to
// every bin it overlaps. Query peaks are mapped onto a model's islands by the same overlap rule,
// so peak sets called separately (shifted, split or merged peaks) still meet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/csc.h"

namespace sclm {

struct GenomicRange {
  std::string chrom;
  std::int64_t start = 0;  // first and last position, inclusive
  std::int64_t end = 0;
};

// Parses "chr-start-end" or "chr:start-end" (Signac's and 10x's peak names). The chromosome is
// a non-empty run of letters, digits, '_' and '.', start and end are decimal integers with
// 0 <= start <= end < 2^40. Returns false for anything else.
bool parse_peak_name(std::string_view name, GenomicRange& out);

struct Island {
  std::string chrom;
  std::int64_t bin = 0;
  bool operator==(const Island& o) const { return bin == o.bin && chrom == o.chrom; }
};

// Which islands each peak overlaps: peak p covers islands island[offsets[p] .. offsets[p+1]-1]
// (indices into the island list it was mapped onto; none when it overlaps no island).
struct PeakIslandMap {
  std::vector<int> offsets{0};
  std::vector<int> island;
  int n_islands = 0;
};

// The islands the peaks overlap, sorted by chromosome name then bin. Throws std::invalid_argument
// for bin_size < 1 or a range with end < start.
std::vector<Island> peak_islands(const std::vector<GenomicRange>& peaks, std::int64_t bin_size);

// Maps peaks onto the given islands (any order) by overlap.
PeakIslandMap map_peaks_to_islands(const std::vector<GenomicRange>& peaks, const std::vector<Island>& islands,
                                   std::int64_t bin_size);

// Islands x cells: entry (k, c) = ceil(sum of the counts of the peaks mapped to island k in cell c
// / number of peaks mapped to island k). Zeros are not stored. Throws std::invalid_argument when
// the map does not have one entry per row of `counts`.
CscMatrix island_counts(const CscView& counts, const PeakIslandMap& map);

}  // namespace sclm
