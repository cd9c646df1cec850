// Rcpp entry point for supervised training.
#include "glue.h"

// [[Rcpp::export(rng = false)]]
Rcpp::List sclm_train_classifier(Rcpp::S4 counts, Rcpp::IntegerVector feature_map, Rcpp::IntegerVector labels,
                                 Rcpp::List model, Rcpp::List tokenizer, Rcpp::List train,
                                 Rcpp::Function on_step, Rcpp::Function on_epoch) {
  sclm::TrainConfig t;
  t.epochs = Rcpp::as<int>(train["epochs"]);
  t.batch_size = Rcpp::as<int>(train["batch_size"]);
  t.learning_rate = Rcpp::as<double>(train["learning_rate"]);
  t.weight_decay = Rcpp::as<double>(train["weight_decay"]);
  t.warmup_fraction = Rcpp::as<double>(train["warmup_fraction"]);
  t.clip_norm = Rcpp::as<double>(train["clip_norm"]);
  t.validation_fraction = Rcpp::as<double>(train["validation_fraction"]);
  t.patience = Rcpp::as<int>(train["patience"]);
  t.label_smoothing = Rcpp::as<double>(train["label_smoothing"]);
  t.token_dropout = Rcpp::as<double>(train["token_dropout"]);
  t.class_weights = Rcpp::as<std::vector<float>>(train["class_weights"]);
  t.seed = static_cast<std::uint64_t>(Rcpp::as<double>(train["seed"]));
  t.num_threads = Rcpp::as<int>(train["num_threads"]);
  t.device = Rcpp::as<std::string>(train["device"]);

  sclm::TrainCallbacks callbacks;
  callbacks.on_step = [&](int step, int total) { on_step(step, total); };
  callbacks.on_epoch = [&](const sclm::EpochStats& s) {
    on_epoch(Rcpp::List::create(Rcpp::_["epoch"] = s.epoch, Rcpp::_["train_loss"] = s.train_loss,
                                Rcpp::_["train_accuracy"] = s.train_accuracy, Rcpp::_["val_loss"] = s.val_loss,
                                Rcpp::_["val_accuracy"] = s.val_accuracy, Rcpp::_["learning_rate"] = s.learning_rate,
                                Rcpp::_["seconds"] = s.seconds));
  };
  callbacks.interrupted = glue::user_interrupted;

  const auto result = sclm::train_classifier(glue::csc_view(counts), glue::int_vector(feature_map),
                                             glue::int_vector(labels), glue::model_config(model),
                                             glue::tokenizer_config(tokenizer), t, callbacks);
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
      Rcpp::_["weights"] = glue::raw(result.weights),
      Rcpp::_["history"] = Rcpp::DataFrame::create(
          Rcpp::_["epoch"] = epoch, Rcpp::_["train_loss"] = train_loss, Rcpp::_["train_accuracy"] = train_accuracy,
          Rcpp::_["val_loss"] = val_loss, Rcpp::_["val_accuracy"] = val_accuracy, Rcpp::_["learning_rate"] = lr,
          Rcpp::_["seconds"] = seconds),
      Rcpp::_["best_epoch"] = result.best_epoch, Rcpp::_["stopped_early"] = result.stopped_early,
      Rcpp::_["interrupted"] = result.interrupted, Rcpp::_["seconds_per_step"] = result.seconds_per_step,
      Rcpp::_["n_parameters"] = static_cast<double>(result.n_parameters));
}
