// A borrowed, read-only view of a column-compressed sparse matrix (features x cells),
// laid out as R's dgCMatrix: column j holds entries p[j] .. p[j+1]-1.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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

// Throws std::invalid_argument unless every entry of `map` (input row -> vocabulary index) is -1
// or a vocabulary index below n_features, and, when n_rows >= 0, it has one entry per row.
inline void check_feature_map(const std::vector<int>& map, int n_features, int n_rows = -1) {
  if (n_rows >= 0 && static_cast<int>(map.size()) != n_rows)
    throw std::invalid_argument("feature map length " + std::to_string(map.size()) +
                                " differs from the number of matrix rows " + std::to_string(n_rows));
  for (int f : map)
    if (f < -1 || f >= n_features)
      throw std::invalid_argument("feature map entry " + std::to_string(f) + " is outside the vocabulary of " +
                                  std::to_string(n_features) + " genes");
}

// A column-compressed matrix that owns its storage (rows sorted within each column).
struct CscMatrix {
  std::vector<int> p{0}, i;
  std::vector<double> x;
  int n_rows = 0, n_cols = 0;
};

// `m` with its rows mapped by `row_map` (one entry per row: the output row, or -1 to drop it) onto
// `n_rows` rows, the entries that meet in a row of a column summed in the order of their rows (as
// the product of a 0/1 matrix with `m` sums them), sums of 0 not stored. One pass over the entries.
// Throws std::invalid_argument unless `row_map` has one entry per row, each -1 or below n_rows.
inline CscMatrix mapped_rows(const CscView& m, const std::vector<int>& row_map, int n_rows) {
  check_feature_map(row_map, n_rows, m.n_rows);
  bool ascending = true;  // then a column's rows come out in order, and need no sort
  int previous = -1;
  for (const int r : row_map) {
    if (r < 0) continue;
    ascending = ascending && r >= previous;
    previous = r;
  }
  CscMatrix out;
  out.n_rows = n_rows;
  out.n_cols = m.n_cols;
  out.p.reserve(static_cast<std::size_t>(m.n_cols) + 1);
  std::vector<double> sum(static_cast<std::size_t>(n_rows), 0.0);
  std::vector<char> seen(static_cast<std::size_t>(n_rows), 0);
  std::vector<int> touched;
  for (int j = 0; j < m.n_cols; ++j) {
    touched.clear();
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      const int r = row_map[m.i[k]];
      if (r < 0) continue;
      if (!seen[r]) touched.push_back(r);
      seen[r] = 1;
      sum[r] += m.x[k];
    }
    if (!ascending) std::sort(touched.begin(), touched.end());
    for (const int r : touched) {
      if (sum[r] != 0) {
        out.i.push_back(r);
        out.x.push_back(sum[r]);
      }
      sum[r] = 0;
      seen[r] = 0;
    }
    out.p.push_back(static_cast<int>(out.i.size()));
  }
  return out;
}

// Checks the cell offsets of a flattened store of `what` (cell c owns entries offsets[c] ..
// offsets[c+1]-1; TokenStore, LevelStore): from 0 to n_entries, never decreasing.
inline void check_cell_offsets(const std::vector<std::int64_t>& offsets, std::int64_t n_entries,
                               const std::string& what) {
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != n_entries)
    throw std::invalid_argument(what + ": cell offsets must run from 0 to the number of " + what);
  for (std::size_t c = 1; c < offsets.size(); ++c)
    if (offsets[c] < offsets[c - 1]) throw std::invalid_argument(what + ": cell offsets must not decrease");
}

}  // namespace sclm
