// Helpers shared by the Rcpp glue: R objects <-> core structs, interrupts, warnings.
// Torch-free: the glue only sees the core's api.h.
#pragma once

#include <Rcpp.h>
#include <R_ext/GraphicsEngine.h>  // R_interrupts_suspended (BEGIN_SUSPEND_INTERRUPTS)

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "api.h"
#include "glue_settings.h"

namespace glue {

// A borrowed view of a dgCMatrix (no copy); the S4 object must outlive the view.
inline sclm::CscView csc_view(const Rcpp::S4& m) {
  if (!m.is("dgCMatrix")) Rcpp::stop("internal: expected a dgCMatrix");
  Rcpp::IntegerVector p = m.slot("p"), i = m.slot("i"), dim = m.slot("Dim");
  Rcpp::NumericVector x = m.slot("x");
  return {INTEGER(p), INTEGER(i), REAL(x), dim[0], dim[1]};
}

// The slots of a matrix the core built, for dgc_from_parts() in R: list(p, i, x, n_rows).
inline Rcpp::List csc_parts(const sclm::CscMatrix& m) {
  return Rcpp::List::create(Rcpp::_["p"] = Rcpp::wrap(m.p), Rcpp::_["i"] = Rcpp::wrap(m.i), Rcpp::_["x"] = Rcpp::wrap(m.x),
                            Rcpp::_["n_rows"] = m.n_rows);
}

// A store of training cells (sclm_cell_store()) behind an external pointer tagged "scLM cells",
// so that no other external pointer is read as one.
constexpr const char* kCellStoreTag = "scLM cells";
inline sclm::CellStore& cell_store(SEXP store) {
  if (TYPEOF(store) != EXTPTRSXP || TYPEOF(R_ExternalPtrTag(store)) != STRSXP ||
      Rcpp::as<std::string>(R_ExternalPtrTag(store)) != kCellStoreTag)
    Rcpp::stop("internal: expected a store of cells from sclm_cell_store()");
  Rcpp::XPtr<sclm::CellStore> p(store);
  if (p.get() == nullptr) Rcpp::stop("the cell store is no longer valid (it does not survive saving the R session)");
  return *p;
}

inline std::string bytes(const Rcpp::RawVector& v) {
  return std::string(reinterpret_cast<const char*>(RAW(v)), v.size());
}

inline Rcpp::RawVector raw(const std::string& s) {
  Rcpp::RawVector out(s.size());
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

inline std::vector<int> int_vector(const Rcpp::IntegerVector& v) { return {v.begin(), v.end()}; }

// True when the user pressed Ctrl-C; never long-jumps out of C++ frames (as uwot does).
inline void check_interrupt_fn(void*) { R_CheckUserInterrupt(); }
inline bool user_interrupted() { return R_ToplevelExec(check_interrupt_fn, nullptr) == FALSE; }

// Calls an R callback with interrupts held back, as R's BEGIN_SUSPEND_INTERRUPTS does: a Ctrl-C
// that lands while R evaluates it cannot long-jump out of the callback (through the core's
// frames, losing what it trained). Returns whether one landed; it is consumed. R lifts the hold
// while it waits in select() (Sys.sleep(), sockets): callbacks must not wait.
template <typename Fn>
bool call_holding_interrupts(Fn&& fn) {
  {
    struct Hold {
      Rboolean saved = R_interrupts_suspended;
      Hold() { R_interrupts_suspended = TRUE; }
      ~Hold() { R_interrupts_suspended = saved; }  // also when the callback fails
    } hold;
    fn();
  }
  return user_interrupted();
}

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
