#include "data/normalize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sclm {

double column_total(const CscView& m, int j) {
  double total = 0;
  for (int k = m.col_begin(j); k < m.col_end(j); ++k) total += m.x[k];
  return total;
}

double log2_cp(double value, double total, double scale) {
  return total > 0 ? std::log2(1.0 + value * scale / total) : 0.0;
}

namespace {
template <typename Transform>
FeatureStats accumulate_stats(const CscView& m, Transform transform, const FeatureStats* running) {
  FeatureStats s;
  std::vector<double> sum(m.n_rows, 0.0), sum_sq(m.n_rows, 0.0);
  s.n_cells.assign(m.n_rows, 0);
  if (running != nullptr) {
    if (running->sum.size() != sum.size() || running->sum_sq.size() != sum.size() || running->n_cells.size() != sum.size())
      throw std::invalid_argument("the running statistics are of another number of features");
    sum = running->sum;
    sum_sq = running->sum_sq;
    s.n_cells = running->n_cells;
    s.n = running->n;
  }
  s.n += m.n_cols;
  for (int j = 0; j < m.n_cols; ++j) {
    const double total = column_total(m, j);
    if (total <= 0) continue;
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      const double v = transform(m.x[k], total);
      sum[m.i[k]] += v;
      sum_sq[m.i[k]] += v * v;
      s.n_cells[m.i[k]] += m.x[k] != 0;
    }
  }
  s.mean.resize(m.n_rows);
  s.variance.resize(m.n_rows);
  const double n = s.n;
  for (int g = 0; g < m.n_rows; ++g) {
    s.mean[g] = n > 0 ? sum[g] / n : 0;
    s.variance[g] = n > 1 ? std::max(0.0, (sum_sq[g] - n * s.mean[g] * s.mean[g]) / (n - 1)) : 0;
  }
  s.sum = std::move(sum);
  s.sum_sq = std::move(sum_sq);
  return s;
}
}  // namespace

FeatureStats feature_stats(const CscView& m, double scale, const FeatureStats* running) {
  return accumulate_stats(m, [scale](double x, double total) { return std::log1p(x / total * scale); }, running);
}

FeatureStats count_stats(const CscView& m, const FeatureStats* running) {
  return accumulate_stats(m, [](double x, double) { return x; }, running);
}

StandardizedSums standardized_sums(const CscView& m, const std::vector<double>& mean,
                                   const std::vector<double>& expected_sd, double clip,
                                   const StandardizedSums* running) {
  const auto rows = static_cast<std::size_t>(m.n_rows);
  if (mean.size() != rows || expected_sd.size() != rows)
    throw std::invalid_argument("one mean and expected sd per feature are needed");
  StandardizedSums s{std::vector<double>(rows, 0.0), std::vector<double>(rows, 0.0), std::vector<int>(rows, 0)};
  if (running != nullptr) {
    if (running->sum.size() != rows || running->sum_sq.size() != rows || running->n_nonzero.size() != rows)
      throw std::invalid_argument("the running sums are of another number of features");
    s = *running;
  }
  auto z = [&](int g, double x) { return std::min(clip, (x - mean[g]) / expected_sd[g]); };
  for (int j = 0; j < m.n_cols; ++j) {
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      const int g = m.i[k];
      if (expected_sd[g] <= 0) continue;
      const double v = z(g, m.x[k]);
      s.sum[g] += v;
      s.sum_sq[g] += v * v;
      ++s.n_nonzero[g];
    }
  }
  return s;
}

std::vector<double> standardized_variance_from_sums(StandardizedSums sums, const std::vector<double>& mean,
                                                    const std::vector<double>& expected_sd, double clip, double n) {
  std::vector<double> out(sums.sum.size(), 0.0);
  if (n < 2) return out;
  for (std::size_t g = 0; g < out.size(); ++g) {
    if (expected_sd[g] <= 0) continue;
    const double zero = std::min(clip, -mean[g] / expected_sd[g]), zeros = n - sums.n_nonzero[g];  // cells without an entry hold 0
    sums.sum[g] += zeros * zero;
    sums.sum_sq[g] += zeros * zero * zero;
    out[g] = std::max(0.0, (sums.sum_sq[g] - sums.sum[g] * sums.sum[g] / n) / (n - 1));
  }
  return out;
}

std::vector<double> standardized_variance(const CscView& m, const std::vector<double>& mean,
                                          const std::vector<double>& expected_sd) {
  const double n = m.n_cols, clip = std::sqrt(n);
  return standardized_variance_from_sums(standardized_sums(m, mean, expected_sd, clip), mean, expected_sd, clip, n);
}

}  // namespace sclm
