// Masked pretraining of the token encoder on unlabeled cells from one or more matrices.
#include <random>

#include "api.h"
#include "data/levels.h"
#include "data/tokenizer.h"
#include "data/batch.h"
#include "data/masking.h"
#include "model/classifier.h"
#include "train/sctrans_trainer.h"
#include "train/fingerprint.h"
#include "train/loop.h"
#include "train/split.h"
#include "util/backend.h"

namespace sclm {

namespace {

// The completed encoder configuration, after checking the settings of a pretraining.
ModelConfig pretraining_config(const ModelConfig& model_config, const TokenizerConfig& tokenizer_config,
                               const TrainConfig& train, const PretrainConfig& pretrain) {
  check_train_config(train);
  if (!(pretrain.mask_fraction > 0 && pretrain.mask_fraction < 1)) throw std::invalid_argument("mask_fraction must be in (0, 1)");
  if (pretrain.mask_replace < 0 || pretrain.mask_replace > 1) throw std::invalid_argument("mask_replace must be in [0, 1]");
  ModelConfig config = complete_config(model_config, tokenizer_config);
  config.n_classes = 0;
  check_model_config(config);
  return config;
}

TrainResult pretrain_on_tokens(const TokenStore& store, const ModelConfig& config, const TokenizerConfig& tokenizer_config,
                               const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  if (store.n_cells() < 2) throw std::invalid_argument("pretraining needs at least two cells");
  const auto device = start_run(train);
  std::mt19937_64 rng(train.seed);
  const Split split = stratified_split(std::vector<int>(store.n_cells(), 0), 1, train.validation_fraction, rng);

  const bool rank = tokenizer_config.kind == TokenizerKind::kRank;
  const MaskTarget target = rank ? MaskTarget::kGene : MaskTarget::kValue;
  MaskedModel model(config, rank ? config.n_features : config.n_values);
  model->to(device);
  model->encoder()->set_feature_embedding(train.feature_vectors, train.freeze_features);

  TrainingTask task;
  task.module = model.get();
  task.parameters = trainable_only(model->parameters());
  task.train_cells = split.train;
  for (int c = 0; c < store.n_cells(); ++c) task.lengths.push_back(store.length(c));
  task.validation_cells = split.validation;
  task.fingerprint = run_fingerprint("pretrain", data_hash(store), config, tokenizer_config, train, pretrain);
  task.before_step = feature_redraws(model->encoder(), config);
  const bool contrast = pretrain.contrastive_weight > 0;
  const bool keep_positions = positions_matter(config, tokenizer_config);
  task.run_batch = [&](const std::vector<int>& cells, std::mt19937_64& batch_rng, bool) {
    // The masked view; with the contrastive term it is also a random half of each cell's tokens.
    auto view = contrast ? make_batch(store, cells, &batch_rng, 0.5, keep_positions) : make_batch(store, cells);
    auto masked = mask_batch(view, target, pretrain, batch_rng);
    torch::Tensor pooled;
    auto logits = model->forward(masked.input.to(device), contrast ? &pooled : nullptr);
    auto targets = masked.targets.to(device);
    auto selected = targets.ne(-100);
    auto picked = logits.index({selected});
    auto y = targets.index({selected});
    const double n = static_cast<double>(y.numel());
    auto loss = n > 0 ? torch::nn::functional::cross_entropy(picked, y) : logits.sum() * 0.0;
    if (contrast && cells.size() > 1) {
      torch::Tensor other;
      model->forward(make_batch(store, cells, &batch_rng, 0.5, keep_positions).to(device), &other);
      // InfoNCE both ways: each cell's two views must find each other among the batch.
      auto similarity = torch::matmul(model->project(pooled), model->project(other).t()) / pretrain.temperature;
      auto same = torch::arange(static_cast<int64_t>(cells.size()), torch::TensorOptions().dtype(torch::kInt64).device(device));
      namespace F = torch::nn::functional;
      loss = loss + pretrain.contrastive_weight * 0.5 *
                        (F::cross_entropy(similarity, same) + F::cross_entropy(similarity.t(), same));
    }
    return BatchOutcome{loss, std::max(n, 1.0), n > 0 ? correct_predictions(picked, y) : torch::zeros({})};
  };
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*model, result.weights, device);
  result.encoder_weights = serialize_module(*model->encoder());
  return result;
}

}  // namespace

TrainResult pretrain_encoder(const std::vector<MappedMatrix>& data, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                             const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    if (data.empty()) throw std::invalid_argument("pretraining needs at least one matrix");
    const ModelConfig config = pretraining_config(model_config, tokenizer_config, train, pretrain);
    if (is_subvector_model(config)) {
      LevelStore levels;
      for (const auto& m : data) {
        m.counts.validate();
        if (m.feature_map == nullptr) throw std::invalid_argument("a matrix has no feature map");
        append_levels(m.counts, *m.feature_map, config.n_features, tokenizer_config.scale_factor, 0, m.counts.n_cols,
                      levels);
      }
      return pretrain_sctrans(levels, config, tokenizer_config, train, pretrain, callbacks);
    }
    // Cells of all matrices in one token store; cell ids continue across matrices so value-bin
    // zero sampling differs between them.
    TokenStore store;
    long cell_id = 0;
    for (const auto& m : data) {
      m.counts.validate();
      if (m.feature_map == nullptr) throw std::invalid_argument("a matrix has no feature map");
      Tokenizer(tokenizer_config, *m.feature_map, config.n_features).tokenize_columns(m.counts, 0, m.counts.n_cols, store, cell_id);
      cell_id += m.counts.n_cols;
    }
    return pretrain_on_tokens(store, config, tokenizer_config, train, pretrain, callbacks);
  });
}

TrainResult pretrain_encoder(const TokenStore& cells, const ModelConfig& model_config, const TokenizerConfig& tokenizer_config,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = pretraining_config(model_config, tokenizer_config, train, pretrain);
    if (is_subvector_model(config)) throw std::invalid_argument("the cells were stored as tokens; SCTrans models read expression levels");
    check_tokens(cells, config.n_features, config.n_values - 1);
    return pretrain_on_tokens(cells, config, tokenizer_config, train, pretrain, callbacks);
  });
}

TrainResult pretrain_encoder(const LevelStore& cells, const ModelConfig& model_config, const TokenizerConfig& tokenizer_config,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = pretraining_config(model_config, tokenizer_config, train, pretrain);
    if (!is_subvector_model(config)) throw std::invalid_argument("the cells were stored as expression levels (an SCTrans model); this model reads tokens");
    check_levels(cells, config.n_features);
    return pretrain_sctrans(cells, config, tokenizer_config, train, pretrain, callbacks);
  });
}

}  // namespace sclm
