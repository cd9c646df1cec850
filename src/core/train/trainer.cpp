// The two training entry points (api.h): fine-tuning a classifier and pretraining an encoder, on a
// store of cells. The store's family (tokens or SCTrans levels) picks the objective
// (train/objectives.h); the loop (train/loop.h) is the same for all.
#include <random>

#include "api.h"
#include "model/encoder.h"
#include "model/sctrans.h"
#include "train/fingerprint.h"
#include "train/loop.h"
#include "train/objectives.h"
#include "train/split.h"
#include "util/backend.h"
#include "util/blas_kernel.h"

namespace sclm {
namespace {

// Throws std::invalid_argument unless `cells` were stored for this model and tokenizer and are
// well formed.
void check_cells(const CellStore& cells, const ModelConfig& config, const TokenizerConfig& tokenizer) {
  if (cells.holds_levels != is_subvector_model(config))
    throw std::invalid_argument(cells.holds_levels
                                    ? "the cells were stored as expression levels (an SCTrans model); this model reads tokens"
                                    : "the cells were stored as tokens; SCTrans models read expression levels");
  if (cells.n_features != config.n_features)
    throw std::invalid_argument("the cells were stored for a vocabulary of " + std::to_string(cells.n_features) +
                                " features; the model has " + std::to_string(config.n_features));
  if (settings_text(cells.tokenizer) != settings_text(tokenizer))
    throw std::invalid_argument("the cells were stored with other tokenizer settings");
  if (cells.holds_levels) {
    check_subvector_config(config, tokenizer);
    check_levels(cells.levels, config.n_features);
  } else {
    check_tokens(cells.tokens, config.n_features, config.n_values - 1);
  }
}

// One training run: seeds, the validation split (stratified by label; one class without labels),
// the family's objective, the loop, and the best weights.
TrainResult fit(const CellStore& cells, const std::vector<int>* labels, const ModelConfig& config,
                const TokenizerConfig& tokenizer, const TrainConfig& train, const PretrainConfig* pretrain,
                const TrainCallbacks& callbacks) {
  const BlasKernelScope blas;
  const auto device = start_run(train);
  std::mt19937_64 rng(train.seed);
  const Split split = labels != nullptr
                          ? stratified_split(*labels, config.n_classes, train.validation_fraction, rng)
                          : stratified_split(std::vector<int>(cells.n_cells(), 0), 1, train.validation_fraction, rng);
  Objective objective;
  if (labels != nullptr) {
    auto y = torch::tensor(std::vector<int64_t>(labels->begin(), labels->end()), torch::kInt64);
    objective = cells.holds_levels ? sctrans_classifier(cells.levels, y, config, train, device)
                                   : token_classifier(cells.tokens, y, config, tokenizer, train, device);
  } else {
    objective = cells.holds_levels ? sctrans_pretraining(cells.levels, config, *pretrain, device)
                                   : token_pretraining(cells.tokens, config, tokenizer, train, *pretrain, device);
  }
  TrainingTask task;
  task.module = objective.module.get();
  task.parameters = objective.parameters;
  task.train_cells = split.train;
  task.validation_cells = split.validation;
  task.lengths = objective.lengths;
  task.run_batch = objective.run_batch;
  task.before_step = objective.before_step;
  const std::string data = cells.holds_levels ? data_hash(cells.levels) : data_hash(cells.tokens);
  task.fingerprint = labels != nullptr
                         ? run_fingerprint("classifier", data + vector_hash(*labels), config, tokenizer, train)
                         : run_fingerprint("pretrain", data, config, tokenizer, train, *pretrain);
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*task.module, result.weights, device);
  result.encoder_weights = objective.encoder_weights();
  if (labels != nullptr) result.validation_cells = split.validation;
  return result;
}

}  // namespace

TrainResult train_classifier(const CellStore& cells, const std::vector<int>& labels, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    if (static_cast<int>(labels.size()) != cells.n_cells())
      throw std::invalid_argument("labels must have one entry per cell");
    if (labels.size() < 2) throw std::invalid_argument("training needs at least two cells");
    check_train_config(train);
    const ModelConfig config = complete_config(model_config, tokenizer);
    check_model_config(config);
    if (!train.class_weights.empty() && static_cast<int>(train.class_weights.size()) != config.n_classes)
      throw std::invalid_argument("class_weights must have one entry per class");
    if (train.trainable_blocks > config.n_layers)
      throw std::invalid_argument("trainable_blocks exceeds the number of blocks (" + std::to_string(config.n_layers) + ")");
    check_cells(cells, config, tokenizer);
    return fit(cells, &labels, config, tokenizer, train, nullptr, callbacks);
  });
}

TrainResult pretrain_encoder(const CellStore& cells, const ModelConfig& model_config, const TokenizerConfig& tokenizer,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    check_train_config(train);
    if (!(pretrain.mask_fraction > 0 && pretrain.mask_fraction < 1)) throw std::invalid_argument("mask_fraction must be in (0, 1)");
    if (pretrain.mask_replace < 0 || pretrain.mask_replace > 1) throw std::invalid_argument("mask_replace must be in [0, 1]");
    ModelConfig config = complete_config(model_config, tokenizer);
    config.n_classes = 0;
    check_model_config(config);
    check_cells(cells, config, tokenizer);
    if (cells.n_cells() < 2) throw std::invalid_argument("pretraining needs at least two cells");
    return fit(cells, nullptr, config, tokenizer, train, &pretrain, callbacks);
  });
}

}  // namespace sclm
