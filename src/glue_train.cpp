// Rcpp entry points for fine-tuning and pretraining.
#include <memory>

#include "glue.h"

namespace {

// The R progress callbacks run with interrupts held back (glue::call_holding_interrupts()): a
// Ctrl-C that lands while one runs stops training as one seen between steps does.
sclm::TrainCallbacks callbacks(const Rcpp::Function& on_step, const Rcpp::Function& on_epoch) {
  auto stop = std::make_shared<bool>(false);
  const auto call = [stop](auto&& fn) {
    if (glue::call_holding_interrupts(fn)) *stop = true;
  };
  sclm::TrainCallbacks c;
  c.on_step = [on_step, call](int step, int total) { call([&] { on_step(step, total); }); };
  c.on_epoch = [on_epoch, call](const sclm::EpochStats& s) {
    call([&] {
      on_epoch(Rcpp::List::create(Rcpp::_["epoch"] = s.epoch, Rcpp::_["train_loss"] = s.train_loss,
                                  Rcpp::_["train_accuracy"] = s.train_accuracy, Rcpp::_["val_loss"] = s.val_loss,
                                  Rcpp::_["val_accuracy"] = s.val_accuracy, Rcpp::_["learning_rate"] = s.learning_rate,
                                  Rcpp::_["seconds"] = s.seconds, Rcpp::_["model"] = s.model + 1));
    });
  };
  c.interrupted = [stop] { return *stop || glue::user_interrupted(); };
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

// Fine-tunes one classifier per element of `members` (train settings) on the cells of a store from
// sclm_cell_store(); labels: 0-based classes. A list of results, one per model trained.
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_train_classifiers(SEXP store, Rcpp::IntegerVector labels, Rcpp::List model, Rcpp::List tokenizer,
                                  Rcpp::List members, Rcpp::Function on_step, Rcpp::Function on_epoch) {
  const auto& cells = glue::cell_store(store);
  const auto model_config = glue::read_settings<sclm::ModelConfig>(model);
  const auto tokenizer_config = glue::read_settings<sclm::TokenizerConfig>(tokenizer);
  std::vector<sclm::TrainConfig> train_configs;
  for (R_xlen_t i = 0; i < members.size(); ++i)
    train_configs.push_back(glue::read_settings<sclm::TrainConfig>(Rcpp::as<Rcpp::List>(members[i])));
  const auto progress = callbacks(on_step, on_epoch);
  const auto results = sclm::train_classifiers(cells, glue::int_vector(labels), model_config, tokenizer_config,
                                               train_configs, progress);
  Rcpp::List out(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) out[i] = train_result(results[i]);
  return out;
}

// Pretrains an encoder on the cells of a store from sclm_cell_store().
// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_pretrain(SEXP store, Rcpp::List model, Rcpp::List tokenizer, Rcpp::List train, Rcpp::List pretrain,
                         Rcpp::Function on_step, Rcpp::Function on_epoch) {
  const auto& cells = glue::cell_store(store);
  const auto model_config = glue::read_settings<sclm::ModelConfig>(model);
  const auto tokenizer_config = glue::read_settings<sclm::TokenizerConfig>(tokenizer);
  const auto train_config = glue::read_settings<sclm::TrainConfig>(train);
  const auto pretrain_config = glue::read_settings<sclm::PretrainConfig>(pretrain);
  const auto progress = callbacks(on_step, on_epoch);
  return train_result(sclm::pretrain_encoder(cells, model_config, tokenizer_config, train_config, pretrain_config,
                                             progress));
}
