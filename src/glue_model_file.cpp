// Rcpp entry points for model files: R plain data <-> scLM's data file (util/data_file.h).
// Decoding builds only vectors and lists with a fixed set of validated attributes, so a
// crafted file cannot yield code, environments or objects that break R's invariants.
#include "glue.h"
#include "util/data_file.h"

#include <climits>
#include <cmath>

namespace {

using Node = sclm::DataNode;

Node to_node(SEXP x, int depth) {
  if (depth > 60) Rcpp::stop("model data are nested too deeply to save");
  Node node;
  const R_xlen_t n = Rf_xlength(x);
  switch (TYPEOF(x)) {
    case NILSXP:
      return node;
    case LGLSXP:
      node.type = Node::Type::kLogical;
      node.ints.assign(LOGICAL(x), LOGICAL(x) + n);
      break;
    case INTSXP:
      node.type = Node::Type::kInteger;
      node.ints.assign(INTEGER(x), INTEGER(x) + n);
      break;
    case REALSXP:
      node.type = Node::Type::kDouble;
      node.doubles.assign(REAL(x), REAL(x) + n);
      break;
    case STRSXP:
      node.type = Node::Type::kString;
      for (R_xlen_t k = 0; k < n; ++k) {
        const bool na = STRING_ELT(x, k) == NA_STRING;
        node.string_na.push_back(na);
        node.strings.emplace_back(na ? "" : Rf_translateCharUTF8(STRING_ELT(x, k)));
      }
      break;
    case RAWSXP:
      node.type = Node::Type::kRaw;
      node.raw.assign(reinterpret_cast<const char*>(RAW(x)), n);
      break;
    case VECSXP:
      node.type = Node::Type::kList;
      for (R_xlen_t k = 0; k < n; ++k) node.items.push_back(to_node(VECTOR_ELT(x, k), depth + 1));
      break;
    default:
      Rcpp::stop(std::string("model data hold a value of type '") + Rf_type2char(TYPEOF(x)) +
                 "'; only plain vectors and lists can be saved");
  }
  for (SEXP a = ATTRIB(x); a != R_NilValue; a = CDR(a))
    node.attributes.emplace_back(CHAR(PRINTNAME(TAG(a))), to_node(CAR(a), depth + 1));
  return node;
}

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("model file: " + why); }

bool is_strings(const Node& v, std::size_t n) { return v.type == Node::Type::kString && v.length() == n; }

// The attributes R objects in a model can carry, each checked against the value it is on.
void check_attribute(const std::string& name, const Node& value, const Node& on) {
  const std::size_t n = on.length();
  if (name == "names") {
    if (!is_strings(value, n)) bad("names do not match their vector");
  } else if (name == "class" || name == "levels") {
    if (value.type != Node::Type::kString) bad(name + " is not a character vector");
  } else if (name == "dim") {
    if (value.type != Node::Type::kInteger || value.ints.empty()) bad("dim is not an integer vector");
    double cells = 1;
    for (auto d : value.ints) {
      if (d < 0) bad("dim has a negative extent");
      cells *= d;
    }
    if (cells != static_cast<double>(n)) bad("dim does not match its vector's length");
  } else if (name == "dimnames") {
    const Node* dim = nullptr;
    for (const auto& [k, v] : on.attributes)
      if (k == "dim") dim = &v;
    if (dim == nullptr || value.type != Node::Type::kList || value.items.size() != dim->ints.size())
      bad("dimnames do not match dim");
    for (std::size_t k = 0; k < value.items.size(); ++k) {
      const auto& names = value.items[k];
      if (names.type != Node::Type::kNull && !is_strings(names, static_cast<std::size_t>(dim->ints[k])))
        bad("dimnames do not match dim");
    }
  } else if (name == "row.names") {
    if (value.type != Node::Type::kInteger && value.type != Node::Type::kString) bad("row.names have the wrong type");
    if (on.type != Node::Type::kList) bad("row.names are on a value that is not a data frame");
    for (const auto& column : on.items)
      if (column.length() != on.items.front().length()) bad("data frame columns differ in length");
    const bool compact = value.type == Node::Type::kInteger && value.ints.size() == 2 && value.ints[0] == NA_INTEGER;
    const std::size_t rows = compact ? static_cast<std::size_t>(std::abs(static_cast<double>(value.ints[1]))) : value.length();
    if (!on.items.empty() && rows != on.items.front().length()) bad("row.names do not match the data frame");
  } else {
    bad("attribute '" + name + "' is not part of an scLM model");
  }
}

// Checks the whole tree before any R object is allocated, so a bad file never leaves R half-built.
void check_tree(const Node& node) {
  if (node.type == Node::Type::kNull && !node.attributes.empty()) bad("NULL has attributes");
  for (const auto& s : node.strings)
    if (s.size() > static_cast<std::size_t>(INT_MAX)) bad("a string is too long");
  for (const auto& item : node.items) check_tree(item);
  for (std::size_t k = 0; k < node.attributes.size(); ++k) {
    const auto& [name, value] = node.attributes[k];
    for (std::size_t j = 0; j < k; ++j)
      if (node.attributes[j].first == name) bad("attribute '" + name + "' appears twice");
    check_attribute(name, value, node);
    check_tree(value);
  }
}

SEXP to_sexp(const Node& node) {
  using T = Node::Type;
  const auto n = static_cast<R_xlen_t>(node.length());
  SEXP x = R_NilValue;
  switch (node.type) {
    case T::kNull:
      return R_NilValue;
    case T::kLogical:
    case T::kInteger:
      x = PROTECT(Rf_allocVector(node.type == T::kLogical ? LGLSXP : INTSXP, n));
      std::copy(node.ints.begin(), node.ints.end(), node.type == T::kLogical ? LOGICAL(x) : INTEGER(x));
      break;
    case T::kDouble:
      x = PROTECT(Rf_allocVector(REALSXP, n));
      std::copy(node.doubles.begin(), node.doubles.end(), REAL(x));
      break;
    case T::kString:
      x = PROTECT(Rf_allocVector(STRSXP, n));
      for (R_xlen_t k = 0; k < n; ++k) {
        const auto& s = node.strings[k];
        SET_STRING_ELT(x, k, node.string_na[k] ? NA_STRING : Rf_mkCharLenCE(s.data(), static_cast<int>(s.size()), CE_UTF8));
      }
      break;
    case T::kRaw:
      x = PROTECT(Rf_allocVector(RAWSXP, n));
      std::copy(node.raw.begin(), node.raw.end(), reinterpret_cast<char*>(RAW(x)));
      break;
    case T::kList:
      x = PROTECT(Rf_allocVector(VECSXP, n));
      for (R_xlen_t k = 0; k < n; ++k) SET_VECTOR_ELT(x, k, to_sexp(node.items[k]));
      break;
  }
  // Attributes go on as R stores them (a pairlist); check_tree() has vetted them.
  SEXP attributes = R_NilValue;
  bool has_class = false;
  for (auto it = node.attributes.rbegin(); it != node.attributes.rend(); ++it) {
    has_class = has_class || it->first == "class";
    attributes = PROTECT(Rf_cons(to_sexp(it->second), attributes));
    SET_TAG(attributes, Rf_install(it->first.c_str()));
  }
  SET_ATTRIB(x, attributes);
  if (has_class) SET_OBJECT(x, 1);
  UNPROTECT(1 + static_cast<int>(node.attributes.size()));
  return x;
}

}  // namespace

// [[Rcpp::export(rng = false)]]
Rcpp::RawVector sclm_encode_data(SEXP x) { return glue::raw(sclm::write_data_file(to_node(x, 0))); }

// [[Rcpp::export(rng = false)]]
SEXP sclm_decode_data(Rcpp::RawVector bytes) {
  const sclm::DataNode root = sclm::read_data_file(glue::bytes(bytes));
  check_tree(root);
  return to_sexp(root);
}
