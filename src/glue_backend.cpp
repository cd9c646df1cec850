// Rcpp entry points for feature statistics and backend information.
#include "glue.h"

// Per-row sums of a block of cells added to `running` (the result for the blocks before it, or
// NULL): folding the blocks in cell order gives the sums of all cells bit for bit (R/features.R).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_feature_stats(Rcpp::S4 counts, double scale_factor, bool raw, Rcpp::Nullable<Rcpp::List> running = R_NilValue) {
  const auto view = glue::csc_view(counts);
  view.validate();
  sclm::FeatureStats before;
  if (running.isNotNull()) {
    const Rcpp::List r(running.get());
    before.sum = Rcpp::as<std::vector<double>>(r["sum"]);
    before.sum_sq = Rcpp::as<std::vector<double>>(r["sum_sq"]);
    before.n_cells = Rcpp::as<std::vector<int>>(r["n_cells"]);
    before.n = Rcpp::as<int>(r["n"]);
  }
  const auto* from = running.isNotNull() ? &before : nullptr;
  const auto s = raw ? sclm::count_stats(view, from) : sclm::feature_stats(view, scale_factor, from);
  return Rcpp::List::create(Rcpp::_["mean"] = s.mean, Rcpp::_["variance"] = s.variance, Rcpp::_["n_cells"] = s.n_cells,
                            Rcpp::_["sum"] = s.sum, Rcpp::_["sum_sq"] = s.sum_sq, Rcpp::_["n"] = s.n);
}

// Seurat's vst sums of a block of cells (clip: sqrt of the cells in all blocks), added to `running`
// as sclm_feature_stats does.
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_standardized_sums(Rcpp::S4 counts, std::vector<double> mean, std::vector<double> expected_sd,
                                  double clip, Rcpp::Nullable<Rcpp::List> running = R_NilValue) {
  const auto view = glue::csc_view(counts);
  view.validate();
  sclm::StandardizedSums before;
  if (running.isNotNull()) {
    const Rcpp::List r(running.get());
    before = {Rcpp::as<std::vector<double>>(r["sum"]), Rcpp::as<std::vector<double>>(r["sum_sq"]),
              Rcpp::as<std::vector<int>>(r["n_nonzero"])};
  }
  const auto s = sclm::standardized_sums(view, mean, expected_sd, clip, running.isNotNull() ? &before : nullptr);
  return Rcpp::List::create(Rcpp::_["sum"] = s.sum, Rcpp::_["sum_sq"] = s.sum_sq, Rcpp::_["n_nonzero"] = s.n_nonzero);
}

// The vst score from the sums of all blocks of n_cells cells.
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector sclm_standardized_variance(Rcpp::List sums, std::vector<double> mean,
                                               std::vector<double> expected_sd, double clip, double n_cells) {
  sclm::StandardizedSums s{Rcpp::as<std::vector<double>>(sums["sum"]), Rcpp::as<std::vector<double>>(sums["sum_sq"]),
                           Rcpp::as<std::vector<int>>(sums["n_nonzero"])};
  if (s.sum.size() != expected_sd.size() || s.sum_sq.size() != expected_sd.size() ||
      s.n_nonzero.size() != expected_sd.size() || mean.size() != expected_sd.size())
    Rcpp::stop("internal: one sum, mean and expected sd per feature are needed");
  return Rcpp::wrap(sclm::standardized_variance_from_sums(std::move(s), mean, expected_sd, clip, n_cells));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_backend_info() {
  const auto info = sclm::backend_info();
  return Rcpp::List::create(Rcpp::_["torch_version"] = info.torch_version,
                            Rcpp::_["cuda_available"] = info.cuda_available,
                            Rcpp::_["cuda_device_count"] = info.cuda_device_count,
                            Rcpp::_["num_threads"] = info.num_threads,
                            Rcpp::_["blas_kernel"] = info.blas_kernel,
                            Rcpp::_["blas_kernel_for_runs"] = info.blas_kernel_for_runs);
}
