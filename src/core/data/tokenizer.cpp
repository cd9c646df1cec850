#include "data/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/normalize.h"

namespace sclm {

BinTokenizer::BinTokenizer(TokenizerConfig config, std::vector<int> feature_map, int n_features)
    : config_(config), feature_map_(std::move(feature_map)), n_features_(n_features) {
  if (config_.max_tokens < 1) throw std::invalid_argument("max_tokens must be at least 1");
  if (config_.max_bin < 1 || config_.max_bin > 200)
    throw std::invalid_argument("max_bin must be between 1 and 200");
  if (!(config_.scale_factor > 0)) throw std::invalid_argument("scale_factor must be positive");
  if (!(config_.bins_per_log2 > 0)) throw std::invalid_argument("bins_per_log2 must be positive");
  for (int f : feature_map_)
    if (f < -1 || f >= n_features_)
      throw std::invalid_argument("feature map entry " + std::to_string(f) + " is outside the vocabulary");
}

int BinTokenizer::bin(double value, double total) const {
  const double level = std::floor(config_.bins_per_log2 * log2_cp(value, total, config_.scale_factor));
  return static_cast<int>(std::min<double>(std::max(level, 0.0), config_.max_bin));
}

void BinTokenizer::tokenize(const CscView& m, int col, TokenStore& store) const {
  if (static_cast<int>(feature_map_.size()) != m.n_rows)
    throw std::invalid_argument("feature map length differs from the number of matrix rows");
  const double total = column_total(m, col);
  // (value, vocabulary index) of the cell's expressed vocabulary genes
  std::vector<std::pair<double, int>> expressed;
  expressed.reserve(m.col_end(col) - m.col_begin(col));
  for (int k = m.col_begin(col); k < m.col_end(col); ++k) {
    const int f = feature_map_[m.i[k]];
    if (f >= 0 && m.x[k] > 0) expressed.emplace_back(m.x[k], f);
  }
  const auto by_expression = [](const std::pair<double, int>& a, const std::pair<double, int>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const std::size_t keep = std::min<std::size_t>(expressed.size(), config_.max_tokens);
  std::partial_sort(expressed.begin(), expressed.begin() + keep, expressed.end(), by_expression);
  for (std::size_t t = 0; t < keep; ++t) {
    store.genes.push_back(expressed[t].second + kGeneTokenOffset);
    store.bins.push_back(static_cast<std::uint8_t>(bin(expressed[t].first, total) + kBinTokenOffset));
  }
  store.offsets.push_back(static_cast<std::int64_t>(store.genes.size()));
}

TokenStore BinTokenizer::tokenize_all(const CscView& m, const std::vector<int>& cols) const {
  TokenStore store;
  if (cols.empty()) {
    for (int j = 0; j < m.n_cols; ++j) tokenize(m, j, store);
  } else {
    for (int j : cols) tokenize(m, j, store);
  }
  return store;
}

}  // namespace sclm
