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
// The sums let a host combine blocks of cells: mean = sum / n, variance = (sum_sq - n mean^2) / (n - 1).
struct FeatureStats {
  std::vector<double> mean;
  std::vector<double> variance;
  std::vector<int> n_cells;  // cells with a non-zero value
  std::vector<double> sum, sum_sq;
};
FeatureStats feature_stats(const CscView& m, double scale = 1e4);

// The same statistics of the raw values (no normalisation).
FeatureStats count_stats(const CscView& m);

// Seurat's "vst" score: the variance over cells of (x - mean) / expected_sd, each value
// clipped at sqrt(n_cells). Features with expected_sd <= 0 score 0.
std::vector<double> standardized_variance(const CscView& m, const std::vector<double>& mean,
                                          const std::vector<double>& expected_sd);

// The sums over the cells of `m` behind that score, each value clipped at `clip` (sqrt of the
// number of cells in all blocks), zeros included: blocks of cells add up, and the score is
// (sum_sq - sum^2 / n) / (n - 1) (standardized_variance_from_sums).
struct StandardizedSums {
  std::vector<double> sum, sum_sq;
};
StandardizedSums standardized_sums(const CscView& m, const std::vector<double>& mean,
                                   const std::vector<double>& expected_sd, double clip);
std::vector<double> standardized_variance_from_sums(const StandardizedSums& sums, const std::vector<double>& expected_sd,
                                                    double n_cells);

}  // namespace sclm
