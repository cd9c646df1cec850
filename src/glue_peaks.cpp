// Rcpp entry points for peaks and peak islands (annATAC). Torch-free; Rcpp turns the core's
// std::invalid_argument into R errors.
#include "glue.h"

namespace {
std::vector<sclm::GenomicRange> ranges(const Rcpp::CharacterVector& chrom, const Rcpp::NumericVector& start,
                                       const Rcpp::NumericVector& end) {
  if (start.size() != chrom.size() || end.size() != chrom.size())
    Rcpp::stop("chrom, start and end must have the same length");
  std::vector<sclm::GenomicRange> out(chrom.size());
  for (R_xlen_t k = 0; k < chrom.size(); ++k) {
    if (Rcpp::CharacterVector::is_na(chrom[k]) || !std::isfinite(start[k]) || !std::isfinite(end[k]))
      Rcpp::stop("peak " + std::to_string(k + 1) + " has a missing chromosome, start or end");
    out[k] = {Rcpp::as<std::string>(chrom[k]), static_cast<std::int64_t>(start[k]), static_cast<std::int64_t>(end[k])};
  }
  return out;
}

std::vector<sclm::Island> islands(const Rcpp::CharacterVector& chrom, const Rcpp::NumericVector& bin) {
  if (bin.size() != chrom.size()) Rcpp::stop("island chrom and bin must have the same length");
  std::vector<sclm::Island> out(chrom.size());
  for (R_xlen_t k = 0; k < chrom.size(); ++k) out[k] = {Rcpp::as<std::string>(chrom[k]), static_cast<std::int64_t>(bin[k])};
  return out;
}
}  // namespace

// Parses peak names ("chr-start-end" or "chr:start-end"): chrom, start, end, and ok (FALSE for
// a malformed name, whose other fields are NA).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_parse_peaks(Rcpp::CharacterVector names) {
  const R_xlen_t n = names.size();
  Rcpp::CharacterVector chrom(n);
  Rcpp::NumericVector start(n), end(n);
  Rcpp::LogicalVector ok(n);
  sclm::GenomicRange r;
  for (R_xlen_t k = 0; k < n; ++k) {
    ok[k] = !Rcpp::CharacterVector::is_na(names[k]) && sclm::parse_peak_name(std::string(names[k]), r);
    chrom[k] = ok[k] ? Rcpp::String(r.chrom) : Rcpp::String(NA_STRING);
    start[k] = ok[k] ? static_cast<double>(r.start) : NA_REAL;
    end[k] = ok[k] ? static_cast<double>(r.end) : NA_REAL;
  }
  return Rcpp::List::create(Rcpp::_["chrom"] = chrom, Rcpp::_["start"] = start, Rcpp::_["end"] = end,
                            Rcpp::_["ok"] = ok);
}

// The islands (chrom, bin) the peaks overlap, sorted.
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_peak_islands(Rcpp::CharacterVector chrom, Rcpp::NumericVector start, Rcpp::NumericVector end,
                             double bin_size) {
  const auto found = sclm::peak_islands(ranges(chrom, start, end), static_cast<std::int64_t>(bin_size));
  Rcpp::CharacterVector out_chrom(found.size());
  Rcpp::NumericVector out_bin(found.size());
  for (std::size_t k = 0; k < found.size(); ++k) {
    out_chrom[k] = found[k].chrom;
    out_bin[k] = static_cast<double>(found[k].bin);
  }
  return Rcpp::List::create(Rcpp::_["chrom"] = out_chrom, Rcpp::_["bin"] = out_bin);
}

// Maps peaks onto islands by overlap: peak p (1-based) covers the 0-based islands
// island[offsets[p] + 1 .. offsets[p + 1]].
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_map_peaks(Rcpp::CharacterVector chrom, Rcpp::NumericVector start, Rcpp::NumericVector end,
                          Rcpp::CharacterVector island_chrom, Rcpp::NumericVector island_bin, double bin_size) {
  const auto map = sclm::map_peaks_to_islands(ranges(chrom, start, end), islands(island_chrom, island_bin),
                                               static_cast<std::int64_t>(bin_size));
  return Rcpp::List::create(Rcpp::_["offsets"] = Rcpp::wrap(map.offsets), Rcpp::_["island"] = Rcpp::wrap(map.island),
                            Rcpp::_["n_islands"] = map.n_islands);
}

// Islands x cells matrix (ceiling of the mean count of each island's peaks) as the slots of a
// dgCMatrix: list(p, i, x, n_rows).
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_island_counts(Rcpp::S4 counts, Rcpp::List map) {
  sclm::PeakIslandMap m;
  m.offsets = Rcpp::as<std::vector<int>>(map["offsets"]);
  m.island = Rcpp::as<std::vector<int>>(map["island"]);
  m.n_islands = Rcpp::as<int>(map["n_islands"]);
  return glue::csc_parts(sclm::island_counts(glue::csc_view(counts), m));
}
