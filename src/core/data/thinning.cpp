#include "data/thinning.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sclm {

int thinned_count(int count, double keep, std::uniform_real_distribution<double>& uniform, std::mt19937_64& rng) {
  if (count <= 16) {
    int kept = 0;
    for (int i = 0; i < count; ++i) kept += uniform(rng) < keep ? 1 : 0;
    return kept;
  }
  const double mean = count * keep, sd = std::sqrt(mean * (1.0 - keep));
  const double draw = std::round(std::normal_distribution<double>(mean, sd)(rng));
  return static_cast<int>(std::min(static_cast<double>(count), std::max(0.0, draw)));
}

ThinnedAverage::ThinnedAverage(double strength, int n_points) : n_points_(n_points) {
  if (!(strength > 0 && strength < 1)) throw std::invalid_argument("down-sampling strength must be in (0, 1)");
  if (n_points < 1) throw std::invalid_argument("the average needs at least one point");
  for (int j = 0; j < n_points; ++j) {
    keep_.push_back(std::exp(std::log1p(-strength) * (j + 0.5) / n_points));
    spread_ += (1 - keep_.back()) / keep_.back() / n_points;
  }
  first_weight_.assign(kExactUpTo + 1, 0);
  for (int c = 1; c <= kExactUpTo; ++c) {
    first_weight_[c] = weights_.size();
    for (const double p : keep_) {
      double pmf = std::pow(1 - p, c);  // P(kept = 0)
      for (int k = 1; k <= c; ++k) {
        pmf *= p / (1 - p) * (c - k + 1) / k;
        weights_.push_back(pmf / n_points);
      }
    }
  }
  logs_.assign(static_cast<std::size_t>(n_points) * kExactUpTo, 0.0);
  levels_.assign(kExactUpTo + 1, -1.0);
}

void ThinnedAverage::set_cell(double per_count) {
  per_count_ = per_count;
  logs_filled_ = 0;
  std::fill(levels_.begin(), levels_.end(), -1.0);
}

double ThinnedAverage::level(int count) {
  if (count <= 0) return 0.0;
  if (count > kExactUpTo) {
    const double v = 1 + per_count_ * count;
    return std::log(v) - per_count_ * per_count_ * count * spread_ / (2 * v * v);
  }
  if (levels_[count] >= 0) return levels_[count];
  for (int k = logs_filled_ + 1; k <= count; ++k)
    for (int j = 0; j < n_points_; ++j) logs_[static_cast<std::size_t>(j) * kExactUpTo + k - 1] = std::log1p(k * per_count_ / keep_[j]);
  logs_filled_ = std::max(logs_filled_, count);
  double sum = 0;
  const double* w = weights_.data() + first_weight_[count];
  for (int j = 0; j < n_points_; ++j) {
    const double* l = logs_.data() + static_cast<std::size_t>(j) * kExactUpTo;
    for (int k = 0; k < count; ++k) sum += *w++ * l[k];
  }
  return levels_[count] = sum;
}

CscMatrix thinned_average_counts(const CscView& m, double strength, double scale_factor) {
  if (!(scale_factor > 0) || !std::isfinite(scale_factor)) throw std::invalid_argument("scale_factor must be positive");
  ThinnedAverage average(strength);
  CscMatrix out;
  out.n_rows = m.n_rows + 1;
  out.n_cols = m.n_cols;
  out.i.reserve(static_cast<std::size_t>(m.nnz() + m.n_cols));
  out.x.reserve(static_cast<std::size_t>(m.nnz() + m.n_cols));
  for (int j = 0; j < m.n_cols; ++j) {
    double total = 0;
    bool whole = true;
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      total += m.x[k];
      whole = whole && m.x[k] >= 0 && is_whole_count(m.x[k]);
    }
    const double per_count = scale_factor / total;
    average.set_cell(per_count);
    double lost = 0;
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      double value = m.x[k];
      if (whole && total > 0 && value > 0) {
        value = std::expm1(average.level(static_cast<int>(std::lround(value)))) / per_count;
        lost += m.x[k] - value;
      }
      out.i.push_back(m.i[k]);
      out.x.push_back(value);
    }
    if (lost > 0) {
      out.i.push_back(m.n_rows);
      out.x.push_back(lost);
    }
    out.p.push_back(static_cast<int>(out.i.size()));
  }
  return out;
}

}  // namespace sclm
