// One pass over a sparse matrix's stored values or entries, for what the R layer checks before it
// reads a block as counts (R's vectorised checks copied a block's values five times). Torch-free.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "data/csc.h"

namespace sclm {

struct ValueScan {
  std::int64_t missing = 0;     // NaN (R's NA)
  std::int64_t infinite = 0;
  std::int64_t negative = 0;    // finite and below 0
  std::int64_t fractional = 0;  // finite and not a whole number
};

inline ValueScan scan_values(const double* x, std::int64_t n) {
  ValueScan s;
  for (std::int64_t k = 0; k < n; ++k) {
    const double v = x[k];
    if (std::isnan(v)) {
      ++s.missing;
    } else if (std::isinf(v)) {
      ++s.infinite;
    } else {
      s.negative += v < 0;
      s.fractional += v != std::floor(v);
    }
  }
  return s;
}

// Per column of `m`: 1 when it has a non-zero entry in a row whose `mapped` entry is non-zero.
inline std::vector<int> columns_with_rows(const CscView& m, const std::vector<int>& mapped) {
  std::vector<int> out(static_cast<std::size_t>(m.n_cols), 0);
  for (int j = 0; j < m.n_cols; ++j)
    for (int k = m.col_begin(j); k < m.col_end(j) && !out[j]; ++k) out[j] = mapped[m.i[k]] != 0 && m.x[k] != 0;
  return out;
}

}  // namespace sclm
