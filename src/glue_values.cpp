// Rcpp entry points for checking a block of counts: one pass over its values or entries.
// Torch-free.
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

// The k-th largest value of each column of `m` (NaN skipped; NaN where fewer than k remain).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_kth_largest(Rcpp::NumericMatrix m, int k) {
  return Rcpp::wrap(sclm::kth_largest_per_column(REAL(m), m.nrow(), m.ncol(), k));
}
