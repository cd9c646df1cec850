// Helpers shared by the Rcpp glue: R objects <-> core structs, interrupts, warnings.
// Torch-free: the glue only sees the core's api.h.
#pragma once

#include <Rcpp.h>

#include <string>
#include <vector>

#include "api.h"

namespace glue {

// A borrowed view of a dgCMatrix (no copy); the S4 object must outlive the view.
inline sclm::CscView csc_view(const Rcpp::S4& m) {
  if (!m.is("dgCMatrix")) Rcpp::stop("internal: expected a dgCMatrix");
  Rcpp::IntegerVector p = m.slot("p"), i = m.slot("i"), dim = m.slot("Dim");
  Rcpp::NumericVector x = m.slot("x");
  return {INTEGER(p), INTEGER(i), REAL(x), dim[0], dim[1]};
}

inline std::vector<int> int_vector(const Rcpp::IntegerVector& v) { return {v.begin(), v.end()}; }

inline sclm::ModelConfig model_config(const Rcpp::List& l) {
  sclm::ModelConfig c;
  c.n_features = Rcpp::as<int>(l["n_features"]);
  c.n_classes = Rcpp::as<int>(l["n_classes"]);
  c.dim = Rcpp::as<int>(l["dim"]);
  c.n_layers = Rcpp::as<int>(l["n_layers"]);
  c.n_heads = Rcpp::as<int>(l["n_heads"]);
  c.ff_dim = Rcpp::as<int>(l["ff_dim"]);
  c.dropout = Rcpp::as<double>(l["dropout"]);
  c.max_bin = Rcpp::as<int>(l["max_bin"]);
  return c;
}

inline sclm::TokenizerConfig tokenizer_config(const Rcpp::List& l) {
  sclm::TokenizerConfig c;
  c.max_tokens = Rcpp::as<int>(l["max_tokens"]);
  c.max_bin = Rcpp::as<int>(l["max_bin"]);
  c.scale_factor = Rcpp::as<double>(l["scale_factor"]);
  c.bins_per_log2 = Rcpp::as<double>(l["bins_per_log2"]);
  return c;
}

inline sclm::RunConfig run_config(const Rcpp::List& l) {
  sclm::RunConfig c;
  c.batch_size = Rcpp::as<int>(l["batch_size"]);
  c.num_threads = Rcpp::as<int>(l["num_threads"]);
  c.device = Rcpp::as<std::string>(l["device"]);
  return c;
}

inline std::string bytes(const Rcpp::RawVector& v) {
  return std::string(reinterpret_cast<const char*>(RAW(v)), v.size());
}

inline Rcpp::RawVector raw(const std::string& s) {
  Rcpp::RawVector out(s.size());
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

// True when the user pressed Ctrl-C; never long-jumps out of C++ frames (as uwot does).
inline void check_interrupt_fn(void*) { R_CheckUserInterrupt(); }
inline bool user_interrupted() { return R_ToplevelExec(check_interrupt_fn, nullptr) == FALSE; }

// Re-raises torch warnings collected by the core as R warnings.
inline void forward_torch_warnings() {
  for (const auto& msg : sclm::take_torch_warnings()) Rcpp::warning("LibTorch: " + msg);
}

// Runs an inference call of the core: a user interrupt becomes an R interrupt, and torch
// warnings raised by the call become R warnings.
template <typename Fn>
auto run_interruptible(Fn&& fn) -> decltype(fn()) {
  try {
    auto out = fn();
    forward_torch_warnings();
    return out;
  } catch (const sclm::Interrupted&) {
    throw Rcpp::internal::InterruptedException();
  }
}

// Row-major n x k floats -> R column-major matrix.
inline Rcpp::NumericMatrix row_major_matrix(const std::vector<float>& v, int n, int k) {
  Rcpp::NumericMatrix out(n, k);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < k; ++c) out(r, c) = v[static_cast<std::size_t>(r) * k + c];
  return out;
}

}  // namespace glue
