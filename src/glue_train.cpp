// Rcpp entry points for fine-tuning and pretraining.
#include "glue.h"

namespace {

sclm::TrainCallbacks callbacks(const Rcpp::Function& on_step, const Rcpp::Function& on_epoch) {
  sclm::TrainCallbacks c;
  c.on_step = [on_step](int step, int total) { on_step(step, total); };
  c.on_epoch = [on_epoch](const sclm::EpochStats& s) {
    on_epoch(Rcpp::List::create(Rcpp::_["epoch"] = s.epoch, Rcpp::_["train_loss"] = s.train_loss,
                                Rcpp::_["train_accuracy"] = s.train_accuracy, Rcpp::_["val_loss"] = s.val_loss,
                                Rcpp::_["val_accuracy"] = s.val_accuracy, Rcpp::_["learning_rate"] = s.learning_rate,
                                Rcpp::_["seconds"] = s.seconds));
  };
  c.interrupted = glue::user_interrupted;
  return c;
}

Rcpp::List train_result(const sclm::TrainResult& result) {
  glue::forward_torch_warnings();
  const auto n = result.history.size();
  Rcpp::IntegerVector epoch(n);
  Rcpp::NumericVector train_loss(n), train_accuracy(n), val_loss(n), val_accuracy(n), lr(n), seconds(n);
  for (std::size_t e = 0; e < n; ++e) {
    const auto& s = result.history[e];
    epoch[e] = s.epoch;
    train_loss[e] = s.train_loss;
    train_accuracy[e] = s.train_accuracy;
    val_loss[e] = s.val_loss;
    val_accuracy[e] = s.val_accuracy;
    lr[e] = s.learning_rate;
    seconds[e] = s.seconds;
  }
  return Rcpp::List::create(
      Rcpp::_["weights"] = glue::raw(result.weights), Rcpp::_["encoder_weights"] = glue::raw(result.encoder_weights),
      Rcpp::_["history"] = Rcpp::DataFrame::create(
          Rcpp::_["epoch"] = epoch, Rcpp::_["train_loss"] = train_loss, Rcpp::_["train_accuracy"] = train_accuracy,
          Rcpp::_["val_loss"] = val_loss, Rcpp::_["val_accuracy"] = val_accuracy, Rcpp::_["learning_rate"] = lr,
          Rcpp::_["seconds"] = seconds),
      Rcpp::_["best_epoch"] = result.best_epoch, Rcpp::_["stopped_early"] = result.stopped_early,
      Rcpp::_["interrupted"] = result.interrupted, Rcpp::_["seconds_per_step"] = result.seconds_per_step,
      Rcpp::_["n_parameters"] = static_cast<double>(result.n_parameters),
      Rcpp::_["validation_cells"] = Rcpp::IntegerVector(result.validation_cells.begin(), result.validation_cells.end()) + 1);
}

}  // namespace

// Tokens: a store filled by sclm_store_tokens().
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_train_classifier_tokens(SEXP tokens, Rcpp::IntegerVector labels, Rcpp::List model,
                                        Rcpp::List tokenizer, Rcpp::List train, Rcpp::Function on_step,
                                        Rcpp::Function on_epoch) {
  return train_result(sclm::train_classifier(glue::token_store(tokens), glue::int_vector(labels),
                                             glue::read_settings<sclm::ModelConfig>(model), glue::read_settings<sclm::TokenizerConfig>(tokenizer),
                                             glue::read_settings<sclm::TrainConfig>(train), callbacks(on_step, on_epoch)));
}

// Tokens: a store filled by sclm_store_tokens().
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_pretrain_tokens(SEXP tokens, Rcpp::List model, Rcpp::List tokenizer, Rcpp::List train,
                                Rcpp::List pretrain, Rcpp::Function on_step, Rcpp::Function on_epoch) {
  return train_result(sclm::pretrain_encoder(glue::token_store(tokens), glue::read_settings<sclm::ModelConfig>(model),
                                             glue::read_settings<sclm::TokenizerConfig>(tokenizer), glue::read_settings<sclm::TrainConfig>(train),
                                             glue::read_settings<sclm::PretrainConfig>(pretrain), callbacks(on_step, on_epoch)));
}

// SCTrans models: expression levels, a store filled by sclm_store_levels().
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_train_classifier_levels(SEXP levels, Rcpp::IntegerVector labels, Rcpp::List model,
                                        Rcpp::List tokenizer, Rcpp::List train, Rcpp::Function on_step,
                                        Rcpp::Function on_epoch) {
  return train_result(sclm::train_classifier(glue::level_store(levels), glue::int_vector(labels),
                                             glue::read_settings<sclm::ModelConfig>(model), glue::read_settings<sclm::TokenizerConfig>(tokenizer),
                                             glue::read_settings<sclm::TrainConfig>(train), callbacks(on_step, on_epoch)));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_pretrain_levels(SEXP levels, Rcpp::List model, Rcpp::List tokenizer, Rcpp::List train,
                                Rcpp::List pretrain, Rcpp::Function on_step, Rcpp::Function on_epoch) {
  return train_result(sclm::pretrain_encoder(glue::level_store(levels), glue::read_settings<sclm::ModelConfig>(model),
                                             glue::read_settings<sclm::TokenizerConfig>(tokenizer), glue::read_settings<sclm::TrainConfig>(train),
                                             glue::read_settings<sclm::PretrainConfig>(pretrain), callbacks(on_step, on_epoch)));
}
