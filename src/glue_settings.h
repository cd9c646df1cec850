// R lists <-> the core's settings structs, through the field lists of config/settings.h (via the
// facade): every field must be given, by its name, with a value of its type within its bounds;
// an unknown name, a wrong type, a value out of bounds or an unknown choice is an error naming the
// field. NULL stands for a nested struct's defaults (no sub-vectors: a token model).
#pragma once

#include <Rcpp.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "api.h"

namespace glue {
namespace settings_detail {

inline std::string number_text(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

// "[0, 1)", ">= 1", "> 0": a bound one ulp inside a short number is that number, open.
inline std::string range_text(const sclm::Field& f) {
  const auto round_trips = [](double x) { return std::strtod(number_text(x).c_str(), nullptr) == x; };
  const bool has_lo = std::isfinite(f.min), has_hi = std::isfinite(f.max);
  const bool lo_open = has_lo && !round_trips(f.min) && round_trips(sclm::below(f.min));
  const bool hi_open = has_hi && !round_trips(f.max) && round_trips(sclm::above(f.max));
  const std::string lo = number_text(lo_open ? sclm::below(f.min) : f.min);
  const std::string hi = number_text(hi_open ? sclm::above(f.max) : f.max);
  if (has_lo && has_hi) return std::string("in ") + (lo_open ? "(" : "[") + lo + ", " + hi + (hi_open ? ")" : "]");
  if (has_lo) return (lo_open ? "> " : ">= ") + lo;
  return (hi_open ? "< " : "<= ") + hi;
}

struct Reader {
  const char* kind;
  const sclm::Field& field;

  [[noreturn]] void fail(const std::string& msg) const {
    Rcpp::stop(std::string(kind) + " setting `" + field.name + "`: " + msg);
  }
  [[noreturn]] void wrong_type(SEXP x, const char* expected) const {
    fail(std::string("expected ") + expected + ", not " +
         (Rf_isNull(x) ? std::string("NULL") : std::string(Rf_type2char(TYPEOF(x))) + " of length " + std::to_string(Rf_xlength(x))));
  }
  void check_scalar(SEXP x, const char* expected) const {
    if (Rf_xlength(x) != 1) wrong_type(x, expected);
  }
  double in_bounds(double v, bool whole, R_xlen_t entry = -1) const {
    const std::string at = entry < 0 ? "" : "entry " + std::to_string(entry + 1) + ": ";
    if (std::isnan(v)) fail(at + "NA is not allowed");
    if (whole && v != std::floor(v)) fail(at + number_text(v) + " is not a whole number");
    if (v < field.min || v > field.max) fail(at + number_text(v) + " is not " + range_text(field));
    return v;
  }
  std::vector<double> numbers(SEXP x, bool whole, const char* expected, bool scalar = false) const {
    std::vector<double> out;
    if (TYPEOF(x) == INTSXP) {
      for (R_xlen_t k = 0; k < Rf_xlength(x); ++k)
        out.push_back(INTEGER(x)[k] == NA_INTEGER ? std::nan("") : static_cast<double>(INTEGER(x)[k]));
    } else if (TYPEOF(x) == REALSXP) {
      out.assign(REAL(x), REAL(x) + Rf_xlength(x));
    } else {
      wrong_type(x, expected);
    }
    for (std::size_t k = 0; k < out.size(); ++k) in_bounds(out[k], whole, scalar ? -1 : static_cast<R_xlen_t>(k));
    return out;
  }
  double number(SEXP x, bool whole) const {
    const char* expected = whole ? "a whole number" : "a number";
    check_scalar(x, expected);
    return numbers(x, whole, expected, true)[0];
  }
  std::string string(SEXP x) const {
    if (TYPEOF(x) != STRSXP) wrong_type(x, "a string");
    check_scalar(x, "a string");
    if (STRING_ELT(x, 0) == NA_STRING) fail("NA is not allowed");
    return Rf_translateCharUTF8(STRING_ELT(x, 0));
  }
};

}  // namespace settings_detail

template <typename Config>
Config read_settings(SEXP x);

// One field's value from R.
template <typename T>
void read_value(SEXP x, const settings_detail::Reader& r, T& out) {
  if constexpr (sclm::is_settings<T>::value) {
    out = Rf_isNull(x) ? T{} : read_settings<T>(x);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (TYPEOF(x) != LGLSXP) r.wrong_type(x, "TRUE or FALSE");
    r.check_scalar(x, "TRUE or FALSE");
    if (LOGICAL(x)[0] == NA_LOGICAL) r.fail("NA is not allowed");
    out = LOGICAL(x)[0] != 0;
  } else if constexpr (std::is_enum_v<T>) {
    const std::string name = r.string(x);
    const auto& names = sclm::Choices<T>::names;
    for (std::size_t k = 0; k < names.size(); ++k)
      if (name == names[k]) {
        out = static_cast<T>(k);
        return;
      }
    std::string list;
    for (std::size_t k = 0; k < names.size(); ++k) list += (k ? ", \"" : "\"") + std::string(names[k]) + "\"";
    r.fail("\"" + name + "\" is not one of " + list);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (r.field.bytes) {
      if (TYPEOF(x) != RAWSXP) r.wrong_type(x, "a raw vector");
      out.assign(reinterpret_cast<const char*>(RAW(x)), Rf_xlength(x));
    } else {
      out = r.string(x);
    }
  } else if constexpr (std::is_integral_v<T>) {
    out = static_cast<T>(r.number(x, true));
  } else if constexpr (std::is_floating_point_v<T>) {
    out = static_cast<T>(r.number(x, false));
  } else {  // std::vector of numbers
    using E = typename T::value_type;
    const auto v = r.numbers(x, std::is_integral_v<E>, std::is_integral_v<E> ? "whole numbers" : "numbers");
    out.assign(v.begin(), v.end());
  }
}

// A settings struct from a named list holding every field of it and nothing else.
template <typename Config>
Config read_settings(SEXP x) {
  const std::string kind = Config::kSettingsName;
  if (TYPEOF(x) != VECSXP) Rcpp::stop(kind + " settings must be a named list");
  SEXP names = Rf_getAttrib(x, R_NamesSymbol);
  const R_xlen_t n = Rf_xlength(x);
  if (n > 0 && Rf_isNull(names)) Rcpp::stop(kind + " settings must be a named list");
  std::vector<int> used(n, 0);
  Config c;
  sclm::visit_fields(c, [&](const sclm::Field& f, auto& value) {
    R_xlen_t at = -1;
    for (R_xlen_t k = 0; k < n && at < 0; ++k)
      if (std::string(CHAR(STRING_ELT(names, k))) == f.name) at = k;
    if (at < 0) Rcpp::stop(kind + " setting `" + f.name + "` is missing");
    used[at] = 1;
    read_value(VECTOR_ELT(x, at), settings_detail::Reader{Config::kSettingsName, f}, value);
  });
  for (R_xlen_t k = 0; k < n; ++k)
    if (!used[k]) Rcpp::stop(kind + " setting `" + std::string(CHAR(STRING_ELT(names, k))) + "` is unknown or given twice");
  return c;
}

}  // namespace glue
