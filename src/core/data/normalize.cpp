#include "data/normalize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstdint>
#include <string>

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

std::vector<float> nonzero_medians(const std::vector<MappedMatrix>& data, int n_features, double scale_factor) {
  if (n_features < 0) throw std::invalid_argument("n_features must be non-negative");
  if (!(scale_factor > 0) || !std::isfinite(scale_factor))
    throw std::invalid_argument("scale_factor must be positive");
  for (const auto& d : data) {
    if (d.feature_map == nullptr) throw std::invalid_argument("a matrix has no feature map");
    check_feature_map(*d.feature_map, n_features, d.counts.n_rows);
  }
  // counting sort of the non-zero CP10k values by gene: O(nnz) memory
  std::vector<std::int64_t> start(static_cast<std::size_t>(n_features) + 1, 0);
  for (const auto& d : data) {
    const auto& m = d.counts;
    for (int j = 0; j < m.n_cols; ++j)
      for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
        const int f = (*d.feature_map)[m.i[k]];
        if (f >= 0 && m.x[k] > 0) ++start[f + 1];
      }
  }
  for (int g = 0; g < n_features; ++g) start[g + 1] += start[g];
  std::vector<double> values(static_cast<std::size_t>(start[n_features]));
  std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
  for (const auto& d : data) {
    const auto& m = d.counts;
    for (int j = 0; j < m.n_cols; ++j) {
      const double total = column_total(m, j);
      for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
        const int f = (*d.feature_map)[m.i[k]];
        if (f >= 0 && m.x[k] > 0) values[fill[f]++] = m.x[k] / total * scale_factor;
      }
    }
  }
  std::vector<float> medians(n_features, 1.0f);
  for (int g = 0; g < n_features; ++g) {
    const auto b = values.begin() + start[g], e = values.begin() + start[g + 1];
    const std::int64_t n = e - b;
    if (n == 0) continue;
    const auto mid = b + n / 2;
    std::nth_element(b, mid, e);
    double med = *mid;
    if (n % 2 == 0) med = (*std::max_element(b, mid) + med) / 2;
    medians[g] = static_cast<float>(med);
  }
  return medians;
}

}  // namespace sclm
