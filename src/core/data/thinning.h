// Binomial down-sampling of a cell's counts: finetune(downsample = )'s augmentation, which mimics
// shallower sequencing (a cell keeps each count with a probability p drawn log-uniformly between
// 1 - strength and 1, and its levels are log1p(CP10k) again at the expected depth p x total), and
// what a model trained on it reads of an unthinned cell. Torch-free.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "data/csc.h"

namespace sclm {

// Whether a stored value is a whole count (values undone from log-normalised data are not, and
// down-sampling leaves their cells as they are).
inline bool is_whole_count(double value) { return std::abs(value - std::round(value)) < 0.02; }

// Binomial(count, keep): exact (a draw per count) up to 16 counts, the normal approximation above
// (std::binomial_distribution's set-up per draw made training several times slower on deep cells).
int thinned_count(int count, double keep, std::uniform_real_distribution<double>& uniform, std::mt19937_64& rng);

// The level a count takes on average under down-sampling of `strength`: over keep p (log-uniform
// between 1 - strength and 1, by the midpoint rule on `n_points`) and kept ~ Binomial(count, p), the
// mean of log1p(kept x per_count / p), per_count being scale_factor / the cell's total. Exact sums up
// to kExactUpTo counts (the binomial weights computed once, each cell's logarithms once), a
// second-order expansion above (within 3e-4 of the exact mean down to 200 counts a cell).
// Throws std::invalid_argument unless 0 < strength < 1.
class ThinnedAverage {
 public:
  static constexpr int kExactUpTo = 32;
  explicit ThinnedAverage(double strength, int n_points = 16);
  // The cell whose counts level() reads next: per_count = scale_factor / its total.
  void set_cell(double per_count);
  double level(int count);

 private:
  int n_points_;
  std::vector<double> keep_;
  std::vector<double> weights_;  // per count c <= kExactUpTo, point j and kept k: P(k | c, keep_j) / n_points
  std::vector<std::size_t> first_weight_;  // where count c's weights start
  double spread_ = 0;  // mean over the points of (1 - keep) / keep
  double per_count_ = 0;
  int logs_filled_ = 0;        // the cell's log1p(k per_count / keep_j) are known for k <= this
  std::vector<double> logs_;   // [j][k], k = 1..kExactUpTo
  std::vector<double> levels_; // the cell's level of each count <= kExactUpTo, -1 until computed
};

// `m` (features x cells, counts) as a model trained with down-sampling of `strength` reads it on
// average: in each cell whose values are all whole counts, a count c becomes c' with
// log1p(c' x per_count) = ThinnedAverage's level of c in that cell, and one row appended after m's rows
// holds what the cell's counts lost, so that each cell keeps its total (by which the model
// normalises). Cells of other values are copied as they are. One pass over the entries.
CscMatrix thinned_average_counts(const CscView& m, double strength, double scale_factor);

}  // namespace sclm
