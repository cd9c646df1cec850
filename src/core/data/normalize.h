// Per-cell library-size normalisation: counts -> counts per `scale_factor` (CP10k) -> log.
#pragma once

#include <vector>

#include "data/csc.h"

namespace sclm {

// Sum of all entries of column j (the cell's library size, over every input feature).
double column_total(const CscView& m, int j);

// log2(1 + value / total * scale): the scBERT expression scale.
double log2_cp(double value, double total, double scale);

// Per-feature mean and variance of log1p(CP10k) over all cells, in one pass over the non-zeros.
// With `running` (the statistics of the blocks of cells before `m`), the block's cells are added to
// them, in cell order: a host reading blocks of cells gets the bitwise same statistics as from all
// cells at once (floating-point sums of partial sums would not be, and could reorder near-ties).
struct FeatureStats {
  std::vector<double> mean;
  std::vector<double> variance;
  std::vector<int> n_cells;  // cells with a non-zero value
  std::vector<double> sum, sum_sq;
  int n = 0;  // cells counted
};
FeatureStats feature_stats(const CscView& m, double scale = 1e4, const FeatureStats* running = nullptr);

// The same statistics of the raw values (no normalisation).
FeatureStats count_stats(const CscView& m, const FeatureStats* running = nullptr);

// Seurat's "vst" score: the variance over cells of (x - mean) / expected_sd, each value
// clipped at sqrt(n_cells). Features with expected_sd <= 0 score 0.
std::vector<double> standardized_variance(const CscView& m, const std::vector<double>& mean,
                                          const std::vector<double>& expected_sd);

// The sums over the non-zero entries of `m` behind that score, each value clipped at `clip` (sqrt
// of the number of cells in all blocks), added to `running` in cell order as feature_stats does;
// standardized_variance_from_sums adds the zeros of all n_cells cells and gives the score.
struct StandardizedSums {
  std::vector<double> sum, sum_sq;
  std::vector<int> n_nonzero;
};
StandardizedSums standardized_sums(const CscView& m, const std::vector<double>& mean,
                                   const std::vector<double>& expected_sd, double clip,
                                   const StandardizedSums* running = nullptr);
std::vector<double> standardized_variance_from_sums(StandardizedSums sums, const std::vector<double>& mean,
                                                    const std::vector<double>& expected_sd, double clip,
                                                    double n_cells);

// A matrix and the vocabulary index of each of its rows (-1: not in the vocabulary).
struct MappedMatrix {
  CscView counts;
  const std::vector<int>* feature_map = nullptr;
};

// Per vocabulary gene: the median over all cells of its non-zero CP10k values (Geneformer's
// normalisation factor); 1 for genes never seen. CP10k = value / column total * scale_factor with
// the total over all rows of that matrix; every row entry > 0 mapped to the gene counts once; the
// median of an even count is the mean of the two middle values (as R's median()). O(nnz) memory.
// Throws std::invalid_argument on a feature map of the wrong length or outside the vocabulary.
std::vector<float> nonzero_medians(const std::vector<MappedMatrix>& data, int n_features, double scale_factor);

}  // namespace sclm
