// Supervised fine-tuning of a cell classifier (from scratch or from pretrained encoder weights).
#include <random>

#include "api.h"
#include "data/levels.h"
#include "data/tokenizer.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "train/sctrans_trainer.h"
#include "train/fingerprint.h"
#include "train/loop.h"
#include "train/split.h"
#include "util/backend.h"

namespace sclm {
namespace {

// The completed model configuration, after checking the settings of a classifier training.
ModelConfig classifier_config(int n_cells, const std::vector<int>& labels, const ModelConfig& model_config,
                              const TokenizerConfig& tokenizer_config, const TrainConfig& train) {
  if (static_cast<int>(labels.size()) != n_cells) throw std::invalid_argument("labels must have one entry per cell");
  if (labels.size() < 2) throw std::invalid_argument("training needs at least two cells");
  check_train_config(train);
  const ModelConfig config = complete_config(model_config, tokenizer_config);
  check_model_config(config);
  if (!train.class_weights.empty() && static_cast<int>(train.class_weights.size()) != config.n_classes)
    throw std::invalid_argument("class_weights must have one entry per class");
  if (train.trainable_blocks > config.n_layers)
    throw std::invalid_argument("trainable_blocks exceeds the number of blocks (" + std::to_string(config.n_layers) + ")");
  return config;
}

TrainResult train_on_tokens(const TokenStore& store, const std::vector<int>& labels, const ModelConfig& config,
                            const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                            const TrainCallbacks& callbacks) {
  const auto device = start_run(train);
  std::mt19937_64 rng(train.seed);

  const Split split = stratified_split(labels, config.n_classes, train.validation_fraction, rng);
  auto targets = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()), torch::kInt64);
  torch::Tensor class_weights;
  if (!train.class_weights.empty()) class_weights = torch::tensor(train.class_weights, torch::kFloat32).to(device);

  CellClassifier model(config);
  if (!train.init_encoder.empty()) deserialize_module(*model->encoder(), train.init_encoder, torch::kCPU);
  model->to(device);

  TrainingTask task;
  task.module = model.get();
  task.parameters = trainable_parameters(*model, train.trainable_blocks, config.n_layers);
  model->encoder()->set_feature_embedding(train.init_encoder.empty() ? train.feature_vectors : std::vector<float>{},
                                          train.freeze_features);
  task.parameters = trainable_only(task.parameters);
  task.train_cells = split.train;
  for (int c = 0; c < store.n_cells(); ++c) task.lengths.push_back(store.length(c));
  task.validation_cells = split.validation;
  task.fingerprint = run_fingerprint("classifier", data_hash(store) + vector_hash(labels), config, tokenizer_config, train);
  task.before_step = feature_redraws(model->encoder(), config);
  const bool keep_positions = positions_matter(config, tokenizer_config);
  task.run_batch = [&](const std::vector<int>& cells, std::mt19937_64& batch_rng, bool training) {
    auto batch = (training ? make_batch(store, cells, &batch_rng, train.token_dropout, keep_positions)
                           : make_batch(store, cells))
                     .to(device);
    auto y = targets.index_select(0, torch::tensor(std::vector<int64_t>(cells.begin(), cells.end()))).to(device);
    auto logits = model->forward(batch);
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions().weight(class_weights);
    if (training) options.label_smoothing(train.label_smoothing);
    return BatchOutcome{F::cross_entropy(logits, y, options), static_cast<double>(cells.size()),
                        correct_predictions(logits, y)};
  };
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*model, result.weights, device);
  result.encoder_weights = serialize_module(*model->encoder());
  result.validation_cells = split.validation;
  return result;
}

}  // namespace

TrainResult train_classifier(const CscView& counts, const std::vector<int>& feature_map,
                             const std::vector<int>& labels, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    counts.validate();
    const ModelConfig config = classifier_config(counts.n_cols, labels, model_config, tokenizer_config, train);
    if (is_subvector_model(config)) {
      LevelStore levels;
      append_levels(counts, feature_map, config.n_features, tokenizer_config.scale_factor, 0, counts.n_cols, levels);
      return train_sctrans_classifier(levels, labels, config, tokenizer_config, train, callbacks);
    }
    const Tokenizer tokenizer(tokenizer_config, feature_map, config.n_features);
    return train_on_tokens(tokenizer.tokenize_all(counts), labels, config, tokenizer_config, train, callbacks);
  });
}

TrainResult train_classifier(const TokenStore& cells, const std::vector<int>& labels, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = classifier_config(cells.n_cells(), labels, model_config, tokenizer_config, train);
    if (is_subvector_model(config)) throw std::invalid_argument("the cells were stored as tokens; SCTrans models read expression levels");
    check_tokens(cells, config.n_features, config.n_values - 1);
    return train_on_tokens(cells, labels, config, tokenizer_config, train, callbacks);
  });
}

TrainResult train_classifier(const LevelStore& cells, const std::vector<int>& labels, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = classifier_config(cells.n_cells(), labels, model_config, tokenizer_config, train);
    if (!is_subvector_model(config)) throw std::invalid_argument("the cells were stored as expression levels (an SCTrans model); this model reads tokens");
    check_levels(cells, config.n_features);
    return train_sctrans_classifier(cells, labels, config, tokenizer_config, train, callbacks);
  });
}

}  // namespace sclm
