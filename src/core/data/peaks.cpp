#include "data/peaks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

namespace sclm {
namespace {

constexpr std::int64_t kMaxPosition = std::int64_t{1} << 40;
constexpr std::int64_t kMaxIslandsPerPeak = 100000;  // a peak is a few hundred bp; this is a malformed range

bool is_chrom_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// A decimal integer below kMaxPosition filling all of `s`.
bool parse_position(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 13) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v >= kMaxPosition) return false;
  out = v;
  return true;
}

// Calls fn(bin) for every bin the range overlaps, after checking the range.
template <typename Fn>
void for_each_bin(const GenomicRange& r, std::int64_t bin_size, Fn&& fn) {
  if (bin_size < 1) throw std::invalid_argument("the island size must be at least 1 bp");
  if (r.start < 0 || r.end < r.start)
    throw std::invalid_argument("peak " + r.chrom + ":" + std::to_string(r.start) + "-" + std::to_string(r.end) +
                                " has end before start or a negative start");
  if (r.end / bin_size - r.start / bin_size >= kMaxIslandsPerPeak)
    throw std::invalid_argument("peak " + r.chrom + ":" + std::to_string(r.start) + "-" + std::to_string(r.end) +
                                " spans more than " + std::to_string(kMaxIslandsPerPeak) + " islands");
  for (std::int64_t b = r.start / bin_size; b <= r.end / bin_size; ++b) fn(b);
}

std::string island_key(const std::string& chrom, std::int64_t bin) { return chrom + '\t' + std::to_string(bin); }

}  // namespace

bool parse_peak_name(std::string_view name, GenomicRange& out) {
  // chrom: up to the first ':' or '-' (chromosome names hold neither)
  const std::size_t sep = name.find_first_of(":-");
  if (sep == 0 || sep == std::string_view::npos) return false;
  const std::string_view chrom = name.substr(0, sep);
  if (!std::all_of(chrom.begin(), chrom.end(), is_chrom_char)) return false;
  const std::string_view rest = name.substr(sep + 1);
  const std::size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return false;
  std::int64_t start = 0, end = 0;
  if (!parse_position(rest.substr(0, dash), start) || !parse_position(rest.substr(dash + 1), end)) return false;
  if (end < start) return false;
  out.chrom.assign(chrom.data(), chrom.size());
  out.start = start;
  out.end = end;
  return true;
}

std::vector<Island> peak_islands(const std::vector<GenomicRange>& peaks, std::int64_t bin_size) {
  std::vector<Island> islands;
  for (const auto& r : peaks) for_each_bin(r, bin_size, [&](std::int64_t b) { islands.push_back({r.chrom, b}); });
  std::sort(islands.begin(), islands.end(), [](const Island& a, const Island& b) {
    return a.chrom != b.chrom ? a.chrom < b.chrom : a.bin < b.bin;
  });
  islands.erase(std::unique(islands.begin(), islands.end()), islands.end());
  return islands;
}

PeakIslandMap map_peaks_to_islands(const std::vector<GenomicRange>& peaks, const std::vector<Island>& islands,
                                   std::int64_t bin_size) {
  std::unordered_map<std::string, int> index;
  index.reserve(islands.size());
  for (std::size_t k = 0; k < islands.size(); ++k) index.emplace(island_key(islands[k].chrom, islands[k].bin), static_cast<int>(k));
  PeakIslandMap map;
  map.n_islands = static_cast<int>(islands.size());
  map.offsets.reserve(peaks.size() + 1);
  for (const auto& r : peaks) {
    for_each_bin(r, bin_size, [&](std::int64_t b) {
      const auto hit = index.find(island_key(r.chrom, b));
      if (hit != index.end()) map.island.push_back(hit->second);
    });
    map.offsets.push_back(static_cast<int>(map.island.size()));
  }
  return map;
}

CscMatrix island_counts(const CscView& counts, const PeakIslandMap& map) {
  counts.validate();
  if (static_cast<int>(map.offsets.size()) != counts.n_rows + 1)
    throw std::invalid_argument("the peak map must have one entry per matrix row");
  std::vector<int> n_peaks(map.n_islands, 0);
  for (int k : map.island) {
    if (k < 0 || k >= map.n_islands) throw std::invalid_argument("the peak map points outside the islands");
    ++n_peaks[k];
  }
  CscMatrix out;
  out.n_rows = map.n_islands;
  out.n_cols = counts.n_cols;
  std::vector<double> sum(map.n_islands, 0.0);
  std::vector<char> seen(map.n_islands, 0);
  std::vector<int> touched;
  for (int j = 0; j < counts.n_cols; ++j) {
    touched.clear();
    for (int e = counts.col_begin(j); e < counts.col_end(j); ++e) {
      const int peak = counts.i[e];
      for (int t = map.offsets[peak]; t < map.offsets[peak + 1]; ++t) {
        const int k = map.island[t];
        if (!seen[k]) touched.push_back(k);
        seen[k] = 1;
        sum[k] += counts.x[e];
      }
    }
    std::sort(touched.begin(), touched.end());
    for (int k : touched) {
      // the sum of integer counts divided by the peak count is exact when it is an integer
      const double value = std::ceil(sum[k] / n_peaks[k]);
      if (value != 0.0) {
        out.i.push_back(k);
        out.x.push_back(value);
      }
      sum[k] = 0.0;
      seen[k] = 0;
    }
    out.p.push_back(static_cast<int>(out.i.size()));
  }
  return out;
}

}  // namespace sclm
