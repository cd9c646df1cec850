// Loads real cells stored as <dir>/<stem>.mtx (MatrixMarket, features x cells), <stem>_genes.txt and
// <stem>_labels.txt (one per line) as CSC arrays: the small pbmc3k subset in tests/data, or the
// benchmarks' data.
#pragma once

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "api.h"
#include "data/csc.h"

namespace sclm_test {

struct RealCells {
  std::vector<int> p, i;
  std::vector<double> x;
  int n_rows = 0, n_cols = 0;
  std::vector<std::string> genes;
  std::vector<int> labels;  // codes in sorted label order
  int n_classes = 0;

  sclm::CscView view() const { return {p.data(), i.data(), x.data(), n_rows, n_cols}; }
  std::vector<int> identity_map() const {
    std::vector<int> m(n_rows);
    for (int r = 0; r < n_rows; ++r) m[r] = r;
    return m;
  }
};

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline RealCells load_cells(const std::string& dir, const std::string& stem) {
  const std::string prefix = dir + "/" + stem;
  std::ifstream in(prefix + ".mtx");
  if (!in) throw std::runtime_error("cannot open " + prefix + ".mtx");
  std::string line;
  while (std::getline(in, line) && line[0] == '%') {
  }
  RealCells d;
  long nnz = 0;
  std::istringstream(line) >> d.n_rows >> d.n_cols >> nnz;
  std::vector<std::tuple<int, int, double>> entries(nnz);  // (col, row, value)
  for (auto& e : entries) {
    int r, c;
    double v;
    in >> r >> c >> v;
    e = {c - 1, r - 1, v};
  }
  std::sort(entries.begin(), entries.end());
  d.p.assign(d.n_cols + 1, 0);
  for (const auto& [c, r, v] : entries) {
    d.p[c + 1]++;
    d.i.push_back(r);
    d.x.push_back(v);
  }
  for (int c = 0; c < d.n_cols; ++c) d.p[c + 1] += d.p[c];
  d.genes = read_lines(prefix + "_genes.txt");
  std::map<std::string, int> codes;
  const auto names = read_lines(prefix + "_labels.txt");
  for (const auto& n : names) codes[n] = 0;
  int next = 0;
  for (auto& kv : codes) kv.second = next++;
  for (const auto& n : names) d.labels.push_back(codes[n]);
  d.n_classes = next;
  return d;
}

inline RealCells load_pbmc_subset() { return load_cells(SCLM_TEST_DATA, "pbmc_subset"); }

// The cells of `m` in a store for `model`, filled as a host reading on-disk data fills it:
// `block` cells at a time (0: all at once), cell ids counting through all cells.
inline sclm::CellStore cells_of(const sclm::ModelConfig& model, const sclm::TokenizerConfig& tokenizer,
                                const sclm::CscView& m, const std::vector<int>& map, int block = 0) {
  sclm::CellStore store(model, tokenizer);
  const int size = block > 0 ? block : std::max(m.n_cols, 1);
  for (int first = 0; first < m.n_cols; first += size) {
    const int n = std::min(size, m.n_cols - first);
    std::vector<int> p(m.p + first, m.p + first + n + 1);
    for (int& v : p) v -= m.p[first];
    const sclm::CscView part{p.data(), m.i + m.p[first], m.x + m.p[first], m.n_rows, n};
    sclm::store_cells(store, part, map, first);
  }
  return store;
}

}  // namespace sclm_test
