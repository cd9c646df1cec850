// Rcpp entry points for checking and reading a block of counts: one pass over its values or
// entries. Torch-free.
#include "glue.h"

// Counts of NA, infinite, negative and non-whole values among `x`.
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_scan_values(Rcpp::NumericVector x) {
  const auto s = sclm::scan_values(REAL(x), x.size());
  return Rcpp::NumericVector::create(Rcpp::_["missing"] = s.missing, Rcpp::_["infinite"] = s.infinite,
                                     Rcpp::_["negative"] = s.negative, Rcpp::_["fractional"] = s.fractional);
}

// Per column of dgCMatrix `m`: whether it has a non-zero entry in a row where `rows` is TRUE.
// [[Rcpp::export(rng = false)]]
Rcpp::LogicalVector sclm_columns_with_rows(Rcpp::S4 m, Rcpp::LogicalVector rows) {
  const auto view = glue::csc_view(m);
  if (rows.size() != view.n_rows) Rcpp::stop("rows must have one entry per row of m");
  std::vector<int> mapped(rows.begin(), rows.end());
  const auto out = sclm::columns_with_rows(view, mapped);
  return Rcpp::LogicalVector(out.begin(), out.end());
}

// dgCMatrix `m` with its rows mapped by `row_map` (0-based, -1 dropped) onto `n_rows` rows, the
// entries that meet summed, as the slots of a dgCMatrix: list(p, i, x, n_rows).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_mapped_rows(Rcpp::S4 m, Rcpp::IntegerVector row_map, int n_rows) {
  return glue::csc_parts(sclm::mapped_rows(glue::csc_view(m), glue::int_vector(row_map), n_rows));
}

// The k-th largest value of each column of `m` (NaN skipped; NaN where fewer than k remain).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_kth_largest(Rcpp::NumericMatrix m, int k) {
  return Rcpp::wrap(sclm::kth_largest_per_column(REAL(m), m.nrow(), m.ncol(), k));
}

// dgCMatrix `m` as a model fine-tuned with down-sampling of `strength` reads it on average (one
// row appended for what each cell's counts lost), as the slots of a dgCMatrix: list(p, i, x, n_rows).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_thinned_average(Rcpp::S4 m, double strength, double scale_factor) {
  return glue::csc_parts(sclm::thinned_average_counts(glue::csc_view(m), strength, scale_factor));
}
