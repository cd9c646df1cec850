// The k-th largest value of each column of a dense column-major matrix, as the knn unknown-type
// score needs it (R/unknown.R): std::nth_element per column instead of a partial sort in R. Torch-free.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

namespace sclm {

// NaN entries are skipped; a column with fewer than k other values gives NaN.
inline std::vector<double> kth_largest_per_column(const double* x, int n_rows, int n_cols, int k) {
  if (n_rows < 0 || n_cols < 0 || k < 1) throw std::invalid_argument("k must be at least 1");
  std::vector<double> out(static_cast<std::size_t>(n_cols), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> column;
  for (int j = 0; j < n_cols; ++j) {
    const double* first = x + static_cast<std::size_t>(j) * n_rows;
    column.clear();
    std::copy_if(first, first + n_rows, std::back_inserter(column), [](double v) { return !std::isnan(v); });
    if (static_cast<int>(column.size()) < k) continue;
    std::nth_element(column.begin(), column.begin() + (k - 1), column.end(), std::greater<double>());
    out[j] = column[k - 1];
  }
  return out;
}

}  // namespace sclm
