// Rcpp entry point describing the settings structs, so R builds and checks its lists from them.
#include "glue.h"

namespace {

template <typename T>
const char* type_name(const sclm::Field& f) {
  if constexpr (sclm::is_settings<T>::value) {
    return T::kSettingsName;
  } else if constexpr (std::is_same_v<T, bool>) {
    return "logical";
  } else if constexpr (std::is_enum_v<T>) {
    return "choice";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return f.bytes ? "raw" : "string";
  } else if constexpr (std::is_same_v<T, int>) {
    return "integer";
  } else if constexpr (std::is_integral_v<T>) {
    return "whole number";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "number";
  } else {
    return std::is_integral_v<typename T::value_type> ? "integers" : "numbers";
  }
}

// A field's default as the R value that read_settings() reads back to it.
template <typename T>
SEXP default_value(const sclm::Field& f, const T& x) {
  if constexpr (sclm::is_settings<T>::value) {
    return R_NilValue;
  } else if constexpr (std::is_same_v<T, bool>) {
    return Rcpp::wrap(x);
  } else if constexpr (std::is_enum_v<T>) {
    return Rcpp::wrap(std::string(sclm::Choices<T>::names[static_cast<int>(x)]));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return f.bytes ? SEXP(glue::raw(x)) : Rcpp::wrap(x);
  } else if constexpr (std::is_same_v<T, int>) {
    return Rcpp::wrap(x);
  } else if constexpr (std::is_arithmetic_v<T>) {
    return Rcpp::wrap(static_cast<double>(x));
  } else if constexpr (std::is_integral_v<typename T::value_type>) {
    return Rcpp::IntegerVector(x.begin(), x.end());
  } else {
    return Rcpp::NumericVector(x.begin(), x.end());
  }
}

template <typename T>
Rcpp::CharacterVector choices() {
  if constexpr (std::is_enum_v<T>) {
    return Rcpp::CharacterVector(sclm::Choices<T>::names.begin(), sclm::Choices<T>::names.end());
  } else {
    return Rcpp::CharacterVector(0);
  }
}

template <typename Config>
Rcpp::List schema_table(const Config& config) {
  std::vector<std::string> name, type;
  std::vector<double> min, max;
  Rcpp::List defaults, choice;
  sclm::visit_fields(config, [&](const sclm::Field& f, const auto& x) {
    using T = std::decay_t<decltype(x)>;
    name.push_back(f.name);
    type.push_back(type_name<T>(f));
    min.push_back(f.min);
    max.push_back(f.max);
    defaults.push_back(default_value(f, x));
    choice.push_back(choices<T>());
  });
  Rcpp::List table = Rcpp::List::create(Rcpp::_["name"] = name, Rcpp::_["type"] = type, Rcpp::_["default"] = defaults,
                                        Rcpp::_["min"] = min, Rcpp::_["max"] = max, Rcpp::_["choices"] = choice);
  table.attr("class") = "data.frame";
  table.attr("row.names") = Rcpp::IntegerVector::create(NA_INTEGER, -static_cast<int>(name.size()));
  return table;
}

}  // namespace

// Per settings struct ("model", "subvectors", "tokenizer", "train", "distributed", "pretrain",
// "run"), a data.frame of its fields: name, type ("integer", "number", "whole number", "logical",
// "string", "raw", "choice", "integers", "numbers", or the name of a nested struct), default (a
// list column: the R value meaning the core's default; NULL for a nested struct), min and max
// (inclusive bounds of a number or of each entry; an open bound is the next double inside it) and
// choices (a list column of the names a "choice" accepts). The lists the compiled functions take
// must hold exactly these names.
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_config_schema() {
  Rcpp::List out;
  std::vector<std::string> names;
  sclm::visit_settings_types([&](const auto& config) {
    names.push_back(std::decay_t<decltype(config)>::kSettingsName);
    out.push_back(schema_table(config));
  });
  out.attr("names") = names;
  return out;
}
