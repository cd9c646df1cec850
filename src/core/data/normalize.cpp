#include "data/normalize.h"

#include <cmath>

namespace sclm {

double column_total(const CscView& m, int j) {
  double total = 0;
  for (int k = m.col_begin(j); k < m.col_end(j); ++k) total += m.x[k];
  return total;
}

double log2_cp(double value, double total, double scale) {
  return total > 0 ? std::log2(1.0 + value * scale / total) : 0.0;
}

FeatureStats feature_stats(const CscView& m, double scale) {
  FeatureStats s;
  std::vector<double> sum(m.n_rows, 0.0), sum_sq(m.n_rows, 0.0);
  s.n_cells.assign(m.n_rows, 0);
  for (int j = 0; j < m.n_cols; ++j) {
    const double total = column_total(m, j);
    if (total <= 0) continue;
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      const double v = std::log1p(m.x[k] / total * scale);
      sum[m.i[k]] += v;
      sum_sq[m.i[k]] += v * v;
      s.n_cells[m.i[k]] += m.x[k] != 0;
    }
  }
  s.mean.resize(m.n_rows);
  s.variance.resize(m.n_rows);
  const double n = m.n_cols;
  for (int g = 0; g < m.n_rows; ++g) {
    s.mean[g] = n > 0 ? sum[g] / n : 0;
    s.variance[g] = n > 1 ? (sum_sq[g] - n * s.mean[g] * s.mean[g]) / (n - 1) : 0;
    if (s.variance[g] < 0) s.variance[g] = 0;  // rounding
  }
  return s;
}

}  // namespace sclm
