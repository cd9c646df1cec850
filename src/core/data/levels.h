// SCTrans input before it becomes sub-vectors: a cell's log1p(CP10k) over the vocabulary genes,
// stored sparse. Torch-free, so a host can fill a store block by block (on-disk data).
#pragma once

#include <cstdint>
#include <vector>

#include "data/csc.h"

namespace sclm {

// Sparse log1p(CP10k) of the vocabulary genes of many cells: cell c owns entries
// offsets[c] .. offsets[c+1]-1 (vocabulary index, level), ascending by index. CP10k uses the
// column total over all rows, as the tokenizers do; rows mapped to one gene are summed.
struct LevelStore {
  std::vector<std::int32_t> features;
  std::vector<float> levels;
  std::vector<std::int64_t> offsets{0};
  int n_cells() const { return static_cast<int>(offsets.size()) - 1; }
};

// Appends columns [begin, end) of `m`. Throws std::invalid_argument on a bad feature map.
void append_levels(const CscView& m, const std::vector<int>& feature_map, int n_features, double scale_factor,
                   int begin, int end, LevelStore& store);

// Throws std::invalid_argument unless `store` is well formed (offsets from 0, non-decreasing, to
// the entry count; features of the vocabulary 0..n_features-1, ascending within a cell; finite,
// non-negative levels): what a trainer checks in a store it did not fill itself.
void check_levels(const LevelStore& store, int n_features);

}  // namespace sclm
