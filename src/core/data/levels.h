// SCTrans input before it becomes sub-vectors: a cell's log1p(CP10k) over the vocabulary genes,
// stored sparse (LevelStore, data/cell_store.h). Torch-free.
#pragma once

#include <cstdint>
#include <vector>

#include "data/cell_store.h"
#include "data/csc.h"

namespace sclm {

// Appends columns [begin, end) of `m`. Throws std::invalid_argument on a bad feature map.
void append_levels(const CscView& m, const std::vector<int>& feature_map, int n_features, double scale_factor,
                   int begin, int end, LevelStore& store);

// Throws std::invalid_argument unless `store` is well formed (offsets from 0, non-decreasing, to
// the entry count; features of the vocabulary 0..n_features-1, ascending within a cell; finite,
// non-negative levels): what a trainer checks in a store it did not fill itself.
void check_levels(const LevelStore& store, int n_features);

}  // namespace sclm
