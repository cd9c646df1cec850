// Rcpp entry points for batched inference and model-file checks.
#include "glue.h"
#include "util/checksum.h"

namespace {
Rcpp::NumericMatrix run_inference(bool probabilities, const Rcpp::RawVector& weights, const Rcpp::List& model,
                                  const Rcpp::List& tokenizer, const Rcpp::S4& counts,
                                  const Rcpp::IntegerVector& feature_map, const Rcpp::List& run) {
  const auto config = glue::model_config(model);
  const auto view = glue::csc_view(counts);
  const auto fn = probabilities ? sclm::predict_probabilities : sclm::embed_cells;
  const auto out = glue::run_interruptible([&] {
    return fn(glue::bytes(weights), config, glue::tokenizer_config(tokenizer), view, glue::int_vector(feature_map),
              glue::run_config(run), glue::user_interrupted);
  });
  return glue::row_major_matrix(out, view.n_cols, probabilities ? config.n_classes : 2 * config.dim);
}
}  // namespace

// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix sclm_predict(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                                 Rcpp::IntegerVector feature_map, Rcpp::List run) {
  return run_inference(true, weights, model, tokenizer, counts, feature_map, run);
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix sclm_embed(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                               Rcpp::IntegerVector feature_map, Rcpp::List run) {
  return run_inference(false, weights, model, tokenizer, counts, feature_map, run);
}

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_gene_attention(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                               Rcpp::IntegerVector feature_map, Rcpp::List run) {
  const auto out = glue::run_interruptible([&] {
    return sclm::gene_attention(glue::bytes(weights), glue::model_config(model), glue::tokenizer_config(tokenizer),
                                glue::csc_view(counts), glue::int_vector(feature_map), glue::run_config(run),
                                glue::user_interrupted);
  });
  return Rcpp::List::create(Rcpp::_["cell"] = out.cell, Rcpp::_["feature"] = out.feature,
                            Rcpp::_["score"] = out.score);
}

// [[Rcpp::export(rng = false)]]
void sclm_validate_weights(Rcpp::RawVector weights, Rcpp::List model) {
  sclm::validate_weights(glue::bytes(weights), glue::model_config(model));
}

// [[Rcpp::export(rng = false)]]
std::string sclm_checksum(Rcpp::RawVector bytes) {
  return sclm::fnv1a64_hex(RAW(bytes), bytes.size());
}
