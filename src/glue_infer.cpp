// Rcpp entry points for batched inference and model-file checks.
#include "glue.h"

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_classify(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                         Rcpp::IntegerVector feature_map, Rcpp::List run, bool with_embeddings) {
  const auto config = glue::read_settings<sclm::ModelConfig>(model);
  const auto view = glue::csc_view(counts);
  const auto out = glue::run_interruptible([&] {
    return sclm::classify_cells(glue::bytes(weights), config, glue::read_settings<sclm::TokenizerConfig>(tokenizer), view,
                                glue::int_vector(feature_map), glue::read_settings<sclm::RunConfig>(run), glue::user_interrupted,
                                with_embeddings);
  });
  return Rcpp::List::create(
      Rcpp::_["logits"] = glue::row_major_matrix(out.logits, view.n_cols, config.n_classes),
      Rcpp::_["embeddings"] = with_embeddings ? Rcpp::RObject(glue::row_major_matrix(out.embeddings, view.n_cols, sclm::embedding_width(config)))
                                              : Rcpp::RObject(R_NilValue));
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix sclm_embed(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                               Rcpp::IntegerVector feature_map, Rcpp::List run) {
  const auto config = glue::read_settings<sclm::ModelConfig>(model);
  const auto view = glue::csc_view(counts);
  const auto out = glue::run_interruptible([&] {
    return sclm::embed_cells(glue::bytes(weights), config, glue::read_settings<sclm::TokenizerConfig>(tokenizer), view,
                             glue::int_vector(feature_map), glue::read_settings<sclm::RunConfig>(run), glue::user_interrupted);
  });
  return glue::row_major_matrix(out, view.n_cols, sclm::embedding_width(config));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_gene_attention(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                               Rcpp::IntegerVector feature_map, Rcpp::List run) {
  const auto out = glue::run_interruptible([&] {
    return sclm::gene_attention(glue::bytes(weights), glue::read_settings<sclm::ModelConfig>(model), glue::read_settings<sclm::TokenizerConfig>(tokenizer),
                                glue::csc_view(counts), glue::int_vector(feature_map), glue::read_settings<sclm::RunConfig>(run),
                                glue::user_interrupted);
  });
  return Rcpp::List::create(Rcpp::_["cell"] = out.cell, Rcpp::_["feature"] = out.feature,
                            Rcpp::_["score"] = out.score);
}

// SCTrans selection of every cell: scores and mask (cells x tokens), class logits.
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_salience(Rcpp::RawVector weights, Rcpp::List model, Rcpp::List tokenizer, Rcpp::S4 counts,
                         Rcpp::IntegerVector feature_map, Rcpp::List run) {
  const auto config = glue::read_settings<sclm::ModelConfig>(model);
  const auto view = glue::csc_view(counts);
  const auto out = glue::run_interruptible([&] {
    return sclm::salient_subvectors(glue::bytes(weights), config, glue::read_settings<sclm::TokenizerConfig>(tokenizer), view,
                                    glue::int_vector(feature_map), glue::read_settings<sclm::RunConfig>(run), glue::user_interrupted);
  });
  return Rcpp::List::create(Rcpp::_["scores"] = glue::row_major_matrix(out.scores, view.n_cols, out.n_tokens),
                            Rcpp::_["mask"] = glue::row_major_matrix(out.mask, view.n_cols, out.n_tokens),
                            Rcpp::_["logits"] = glue::row_major_matrix(out.logits, view.n_cols, config.n_classes));
}

// [[Rcpp::export(rng = false)]]
void sclm_validate_weights(Rcpp::RawVector weights, Rcpp::RawVector encoder_weights, Rcpp::List model,
                           Rcpp::List tokenizer) {
  sclm::validate_weights(glue::bytes(weights), glue::bytes(encoder_weights), glue::read_settings<sclm::ModelConfig>(model),
                         glue::read_settings<sclm::TokenizerConfig>(tokenizer));
}

// [[Rcpp::export(rng = false)]]
std::string sclm_checksum(Rcpp::RawVector bytes) {
  return sclm::fnv1a64_hex(RAW(bytes), bytes.size());
}
