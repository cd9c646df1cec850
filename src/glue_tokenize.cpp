// Rcpp entry points exposing the tokenizers, the store of training cells and Geneformer's gene
// medians.
#include "glue.h"

namespace {
void check_feature_map(const Rcpp::IntegerVector& feature_map, const sclm::CscView& view) {
  if (feature_map.size() != view.n_rows)
    Rcpp::stop("feature_map has " + std::to_string(feature_map.size()) + " entries for " +
               std::to_string(view.n_rows) + " matrix rows");
  for (int f : feature_map)
    if (f == NA_INTEGER) Rcpp::stop("feature_map must not contain NA (use -1 for rows outside the vocabulary)");
}
}  // namespace

// Tokenizes every cell (column) of `counts`. genes: 0-based vocabulary indices; values: value
// tokens less kBinTokenOffset; cell c (1-based in R) owns entries offsets[c] + 1 .. offsets[c + 1].
// cell_ids (optional, one per column): the ids seeding the value-bin zero sampling (default 0..n-1).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_tokenize(Rcpp::S4 counts, Rcpp::IntegerVector feature_map, int n_features, Rcpp::List tokenizer,
                         Rcpp::Nullable<Rcpp::NumericVector> cell_ids = R_NilValue) {
  const auto view = glue::csc_view(counts);
  view.validate();
  check_feature_map(feature_map, view);
  std::vector<long> ids;
  if (cell_ids.isNotNull()) {
    const Rcpp::NumericVector v(cell_ids.get());
    if (v.size() != view.n_cols) Rcpp::stop("cell_ids must have one entry per column");
    for (double id : v) {
      if (!(id >= 0) || id != std::floor(id)) Rcpp::stop("cell_ids must be non-negative whole numbers");
      ids.push_back(static_cast<long>(id));
    }
  }
  const auto store = sclm::tokenize_cells(view, glue::int_vector(feature_map), n_features,
                                         glue::read_settings<sclm::TokenizerConfig>(tokenizer), ids);
  const auto n = store.genes.size();
  Rcpp::IntegerVector genes(n), values(n);
  for (std::size_t k = 0; k < n; ++k) {
    genes[k] = store.genes[k] - sclm::kGeneTokenOffset;
    values[k] = store.values[k] - sclm::kBinTokenOffset;
  }
  Rcpp::NumericVector offsets(store.offsets.begin(), store.offsets.end());
  return Rcpp::List::create(Rcpp::_["genes"] = genes, Rcpp::_["values"] = values, Rcpp::_["offsets"] = offsets);
}

// Training cells of a model: the R side reads the cells in blocks (on-disk data) and appends each
// block to one store with sclm_store_cells(), so only what the model reads of each cell is held
// (tokens, or SCTrans's expression levels: the model's family decides); sclm_train_classifiers()
// and sclm_pretrain() train on it.
// [[Rcpp::export(rng = false)]]
SEXP sclm_cell_store(Rcpp::List model, Rcpp::List tokenizer) {
  auto* store = new sclm::CellStore(glue::read_settings<sclm::ModelConfig>(model),
                                    glue::read_settings<sclm::TokenizerConfig>(tokenizer));
  return Rcpp::XPtr<sclm::CellStore>(store, true, Rcpp::wrap(glue::kCellStoreTag));
}

// Appends the cells of `counts` (token models: cell ids first_cell_id, first_cell_id + 1, ...,
// which seed the value-bin zero sampling); returns the number of cells in the store.
// [[Rcpp::export(rng = false)]]
int sclm_store_cells(SEXP store, Rcpp::S4 counts, Rcpp::IntegerVector feature_map, double first_cell_id) {
  auto& cells = glue::cell_store(store);
  const auto view = glue::csc_view(counts);
  check_feature_map(feature_map, view);
  if (!(first_cell_id >= 0) || first_cell_id != std::floor(first_cell_id))
    Rcpp::stop("first_cell_id must be a non-negative whole number");
  return sclm::store_cells(cells, view, glue::int_vector(feature_map), static_cast<long>(first_cell_id));
}

// Per vocabulary gene, the median of its non-zero CP10k values over all cells of all matrices
// (1 for genes never expressed): the rank tokenizer's gene_scale.
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_gene_medians(Rcpp::List counts_list, Rcpp::List feature_maps, int n_features,
                                      double scale_factor) {
  if (counts_list.size() != feature_maps.size()) Rcpp::stop("one feature map per matrix is needed");
  const R_xlen_t n = counts_list.size();
  std::vector<Rcpp::S4> keep;  // the views borrow these objects' slots
  std::vector<std::vector<int>> maps(n);
  std::vector<sclm::MappedMatrix> data(n);
  for (R_xlen_t k = 0; k < n; ++k) {
    keep.emplace_back(counts_list[k]);
    const Rcpp::IntegerVector fm = feature_maps[k];
    data[k].counts = glue::csc_view(keep.back());
    data[k].counts.validate();
    check_feature_map(fm, data[k].counts);
    maps[k] = glue::int_vector(fm);
    data[k].feature_map = &maps[k];
  }
  const auto med = sclm::nonzero_medians(data, n_features, scale_factor);
  return Rcpp::NumericVector(med.begin(), med.end());
}
