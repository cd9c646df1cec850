// Rcpp entry points for feature statistics and backend information.
#include "data/normalize.h"
#include "glue.h"

// Per-row statistics of a block of cells; the sums of several blocks add up (R/features.R).
// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame sclm_feature_stats(Rcpp::S4 counts, double scale_factor, bool raw) {
  const auto view = glue::csc_view(counts);
  view.validate();
  const auto s = raw ? sclm::count_stats(view) : sclm::feature_stats(view, scale_factor);
  return Rcpp::DataFrame::create(Rcpp::_["mean"] = s.mean, Rcpp::_["variance"] = s.variance,
                                 Rcpp::_["n_cells"] = s.n_cells, Rcpp::_["sum"] = s.sum, Rcpp::_["sum_sq"] = s.sum_sq);
}

// Seurat's vst sums of a block of cells (clip: sqrt of the cells in all blocks).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_standardized_sums(Rcpp::S4 counts, std::vector<double> mean, std::vector<double> expected_sd,
                                  double clip) {
  const auto view = glue::csc_view(counts);
  if (static_cast<int>(mean.size()) != view.n_rows || static_cast<int>(expected_sd.size()) != view.n_rows)
    Rcpp::stop("internal: one mean and expected sd per feature are needed");
  const auto s = sclm::standardized_sums(view, mean, expected_sd, clip);
  return Rcpp::List::create(Rcpp::_["sum"] = s.sum, Rcpp::_["sum_sq"] = s.sum_sq);
}

// The vst score from the sums of all blocks of n_cells cells.
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_standardized_variance(std::vector<double> sum, std::vector<double> sum_sq,
                                               std::vector<double> expected_sd, double n_cells) {
  if (sum.size() != expected_sd.size() || sum_sq.size() != expected_sd.size())
    Rcpp::stop("internal: one sum and expected sd per feature are needed");
  return Rcpp::wrap(sclm::standardized_variance_from_sums({sum, sum_sq}, expected_sd, n_cells));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_backend_info() {
  const auto info = sclm::backend_info();
  return Rcpp::List::create(Rcpp::_["torch_version"] = info.torch_version,
                            Rcpp::_["cuda_available"] = info.cuda_available,
                            Rcpp::_["cuda_device_count"] = info.cuda_device_count,
                            Rcpp::_["num_threads"] = info.num_threads);
}
