// The token family's objectives: a classifier (fine-tuning) and masked pretraining.
#include <algorithm>

#include "data/batch.h"
#include "data/masking.h"
#include "model/classifier.h"
#include "train/objectives.h"
#include "util/backend.h"

namespace sclm {

Objective token_classifier(const TokenStore& store, torch::Tensor labels, const ModelConfig& config,
                           const TokenizerConfig& tokenizer, const TrainConfig& train, const torch::Device& device) {
  const torch::Tensor weights = class_weights(train, device);
  auto model = start_classifier<CellClassifier>(config, train, device);

  Objective o;
  o.module = model.ptr();
  o.parameters = trainable_parameters(*model, train.trainable_blocks, config.n_layers);
  model->encoder()->set_feature_embedding(train.init_encoder.empty() ? train.feature_vectors : std::vector<float>{},
                                          train.freeze_features);
  o.parameters = trainable_only(o.parameters);
  for (int c = 0; c < store.n_cells(); ++c) o.lengths.push_back(store.length(c));
  o.before_step = feature_redraws(model->encoder(), config);
  const bool keep_positions = positions_matter(config, tokenizer);
  const double token_dropout = train.token_dropout, label_smoothing = train.label_smoothing;
  o.run_batch = [&store, model, labels, weights, device, keep_positions, token_dropout, label_smoothing](
                    const std::vector<int>& cells, std::mt19937_64& batch_rng, bool training) mutable {
    auto batch = (training ? make_batch(store, cells, &batch_rng, token_dropout, keep_positions)
                           : make_batch(store, cells))
                     .to(device);
    auto y = labels.index_select(0, torch::tensor(std::vector<int64_t>(cells.begin(), cells.end()))).to(device);
    auto logits = model->forward(batch);
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions().weight(weights);
    if (training) options.label_smoothing(label_smoothing);
    return BatchOutcome{F::cross_entropy(logits, y, options), static_cast<double>(cells.size()),
                        correct_predictions(logits, y)};
  };
  o.encoder_weights = [model]() mutable { return serialize_module(*model->encoder()); };
  return o;
}

Objective token_pretraining(const TokenStore& store, const ModelConfig& config, const TokenizerConfig& tokenizer,
                            const TrainConfig& train, const PretrainConfig& pretrain, const torch::Device& device) {
  const bool rank = tokenizer.kind == TokenizerKind::kRank;
  const MaskTarget target = rank ? MaskTarget::kGene : MaskTarget::kValue;
  MaskedModel model(config, rank ? config.n_features : config.n_values);
  model->to(device);
  model->encoder()->set_feature_embedding(train.feature_vectors, train.freeze_features);

  Objective o;
  o.module = model.ptr();
  o.parameters = trainable_only(model->parameters());
  for (int c = 0; c < store.n_cells(); ++c) o.lengths.push_back(store.length(c));
  o.before_step = feature_redraws(model->encoder(), config);
  const bool contrast = pretrain.contrastive_weight > 0;
  const bool keep_positions = positions_matter(config, tokenizer);
  o.run_batch = [&store, model, target, pretrain, device, contrast, keep_positions](
                    const std::vector<int>& cells, std::mt19937_64& batch_rng, bool) mutable {
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
  o.encoder_weights = [model]() mutable { return serialize_module(*model->encoder()); };
  return o;
}

}  // namespace sclm
