// Rcpp entry points for model files: R plain data <-> scLM's data file (util/data_file.h, through the facade).
// Decoding builds only vectors and lists with the attributes read_data_file() allows and checks,
// so a crafted file cannot yield code, environments or objects that break R's invariants.
#include "glue.h"

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
  // Attributes go on as R stores them (a pairlist); read_data_file() has vetted them.
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
  return to_sexp(sclm::read_data_file(glue::bytes(bytes)));
}
