// A borrowed, read-only view of a column-compressed sparse matrix (features x cells),
// laid out as R's dgCMatrix: column j holds entries p[j] .. p[j+1]-1.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sclm {

struct CscView {
  const int* p = nullptr;     // n_cols + 1 column pointers
  const int* i = nullptr;     // row index of each entry
  const double* x = nullptr;  // value of each entry
  int n_rows = 0;
  int n_cols = 0;

  std::int64_t nnz() const { return n_cols > 0 ? p[n_cols] : 0; }
  int col_begin(int j) const { return p[j]; }
  int col_end(int j) const { return p[j + 1]; }

  // Throws std::invalid_argument on a malformed structure (never reads out of bounds afterwards).
  void validate() const {
    if (n_rows < 0 || n_cols < 0) throw std::invalid_argument("matrix dimensions must be non-negative");
    if (n_cols > 0 && (p == nullptr || p[0] != 0))
      throw std::invalid_argument("column pointers must start at 0");
    for (int j = 0; j < n_cols; ++j) {
      if (p[j + 1] < p[j]) throw std::invalid_argument("column pointers must not decrease");
      for (int k = p[j]; k < p[j + 1]; ++k)
        if (i[k] < 0 || i[k] >= n_rows)
          throw std::invalid_argument("row index out of range in column " + std::to_string(j + 1));
    }
  }
};

}  // namespace sclm
