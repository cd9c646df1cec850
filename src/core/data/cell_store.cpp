// store_cells and tokenize_cells (api.h): the one way cells of a matrix become a model's input
// for training.
#include <stdexcept>
#include <string>

#include "api.h"
#include "data/levels.h"
#include "data/tokenizer.h"

namespace sclm {

TokenStore tokenize_cells(const CscView& counts, const std::vector<int>& feature_map, int n_features,
                          const TokenizerConfig& tokenizer, const std::vector<long>& cell_ids) {
  counts.validate();
  check_feature_map(feature_map, n_features, counts.n_rows);
  if (!cell_ids.empty() && static_cast<int>(cell_ids.size()) != counts.n_cols)
    throw std::invalid_argument("cell_ids must have one entry per column");
  TokenStore store;
  Tokenizer(tokenizer, feature_map, n_features).tokenize_columns(counts, 0, counts.n_cols, store, 0, cell_ids);
  return store;
}

int store_cells(CellStore& store, const CscView& counts, const std::vector<int>& feature_map, long first_cell_id) {
  counts.validate();
  if (store.holds_levels) {
    append_levels(counts, feature_map, store.n_features, store.tokenizer.scale_factor, 0, counts.n_cols, store.levels);
  } else {
    check_feature_map(feature_map, store.n_features, counts.n_rows);
    Tokenizer(store.tokenizer, feature_map, store.n_features)
        .tokenize_columns(counts, 0, counts.n_cols, store.tokens, first_cell_id);
  }
  return store.n_cells();
}

}  // namespace sclm
