#include "train/sctrans_trainer.h"

#include <limits>
#include <random>

#include "data/subvectors.h"
#include "model/sctrans.h"
#include "train/fingerprint.h"
#include "train/loop.h"
#include "train/split.h"
#include "util/backend.h"

namespace sclm {
namespace {

torch::Tensor cells_tensor(const std::vector<int>& cells) {
  return torch::tensor(std::vector<int64_t>(cells.begin(), cells.end()), torch::kInt64);
}

}  // namespace

torch::Tensor supervised_contrastive(const torch::Tensor& z, const torch::Tensor& y, double temperature) {
  const auto n = z.size(0);
  const auto self = torch::eye(n, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
  // The diagonal gets a large negative logit rather than -inf, so 0 * log p stays 0.
  const auto logits = (torch::matmul(z, z.t()) / temperature).masked_fill(self, -1e4);
  const auto log_p = torch::log_softmax(logits, 1);
  const auto positive = y.unsqueeze(0).eq(y.unsqueeze(1)).logical_and(self.logical_not()).to(z.dtype());
  const auto count = positive.sum(1);
  const auto anchors = count.gt(0);
  if (!anchors.any().item<bool>()) return z.sum() * 0.0;
  const auto per_cell = -(log_p * positive).sum(1) / count.clamp_min(1.0);
  return per_cell.masked_select(anchors).mean();
}

TrainResult train_sctrans_classifier(const LevelStore& store, const std::vector<int>& labels, const ModelConfig& config,
                                     const TokenizerConfig& tokenizer, const TrainConfig& train,
                                     const TrainCallbacks& callbacks) {
  check_subvector_config(config, tokenizer);
  const auto device = start_run(train);
  std::mt19937_64 rng(train.seed);
  const Split split = stratified_split(labels, config.n_classes, train.validation_fraction, rng);
  auto targets = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()), torch::kInt64);
  torch::Tensor class_weights;
  if (!train.class_weights.empty()) class_weights = torch::tensor(train.class_weights, torch::kFloat32).to(device);

  SctransClassifier model(config);
  if (!train.init_encoder.empty()) deserialize_module(*model->encoder(), train.init_encoder, torch::kCPU);
  model->to(device);

  TrainingTask task;
  task.module = model.get();
  task.parameters = trainable_parameters(*model, train.trainable_blocks, config.n_layers);
  task.train_cells = split.train;
  task.validation_cells = split.validation;
  task.fingerprint = run_fingerprint("sctrans_classifier", data_hash(store) + vector_hash(labels), config, tokenizer, train);
  const auto& sv = config.subvectors;
  task.run_batch = [&](const std::vector<int>& cells, std::mt19937_64&, bool training) {
    auto levels = dense_levels(store, cells, config.n_features).to(device);
    auto y = targets.index_select(0, cells_tensor(cells)).to(device);
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions().weight(class_weights);
    if (!training) {
      auto logits = model->forward(levels);
      return BatchOutcome{F::cross_entropy(logits, y, options), static_cast<double>(cells.size()),
                          correct_predictions(logits, y)};
    }
    if (train.token_dropout > 0) levels = levels.masked_fill(torch::rand_like(levels) < train.token_dropout, 0.0);
    options.label_smoothing(train.label_smoothing);
    const auto out = model->forward_all(levels);
    auto loss = F::cross_entropy(out.logits, y, options) + F::cross_entropy(out.light_logits, y, options);
    if (sv.contrastive_weight > 0)
      loss = loss + sv.contrastive_weight * supervised_contrastive(model->project(out.pooled), y, sv.temperature);
    if (sv.mutual_weight > 0) {
      // Deep mutual learning: each encoder matches the other's (fixed) class distribution.
      const auto log_main = torch::log_softmax(out.logits, 1), log_light = torch::log_softmax(out.light_logits, 1);
      const auto kl = F::KLDivFuncOptions().reduction(torch::kBatchMean).log_target(true);
      loss = loss + sv.mutual_weight * (F::kl_div(log_light, log_main.detach(), kl) + F::kl_div(log_main, log_light.detach(), kl));
    }
    if (sv.selection_weight > 0) loss = loss + sv.selection_weight * (out.mask.mean() - sv.keep_share).pow(2);
    return BatchOutcome{loss, static_cast<double>(cells.size()), correct_predictions(out.logits, y)};
  };
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*model, result.weights, device);
  result.encoder_weights = serialize_module(*model->encoder());
  result.validation_cells = split.validation;
  return result;
}

TrainResult pretrain_sctrans(const LevelStore& store, const ModelConfig& config,
                             const TokenizerConfig& tokenizer, const TrainConfig& train, const PretrainConfig& pretrain,
                             const TrainCallbacks& callbacks) {
  check_subvector_config(config, tokenizer);
  const auto device = start_run(train);
  std::mt19937_64 rng(train.seed);
  if (store.n_cells() < 2) throw std::invalid_argument("pretraining needs at least two cells");
  const Split split = stratified_split(std::vector<int>(store.n_cells(), 0), 1, train.validation_fraction, rng);

  SubvectorAutoencoder model(config);
  model->to(device);
  const SubvectorLayout& layout = model->encoder()->layout();
  TrainingTask task;
  task.module = model.get();
  task.parameters = model->parameters();
  task.train_cells = split.train;
  task.validation_cells = split.validation;
  task.fingerprint = run_fingerprint("sctrans_pretrain", data_hash(store), config, tokenizer, train, pretrain);
  task.run_batch = [&](const std::vector<int>& cells, std::mt19937_64& batch_rng, bool) {
    const auto levels = dense_levels(store, cells, config.n_features).to(device);
    const auto hidden = hidden_tokens(layout, static_cast<int>(cells.size()), pretrain.mask_fraction, batch_rng).to(device);
    const auto reconstructed = model->forward(levels, hidden);
    const auto targets = layout.partition(levels);
    // Mean squared error over the hidden sub-vectors' entries, each scale weighted equally.
    torch::Tensor loss = torch::zeros({}, levels.options());
    for (int s = 0; s < layout.n_scales(); ++s) {
      const auto hide = hidden.narrow(1, layout.first_token(s), layout.count(s)).unsqueeze(-1).to(levels.dtype());
      const auto squared = (reconstructed[s] - targets[s]).pow(2) * hide;
      loss = loss + squared.sum() / (hide.sum() * layout.scales()[s]).clamp_min(1.0);
    }
    return BatchOutcome{loss / layout.n_scales(), hidden.sum().item<double>(),
                        torch::full({}, std::numeric_limits<double>::quiet_NaN())};
  };
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*model, result.weights, device);
  result.encoder_weights = serialize_module(*model->encoder());
  return result;
}

}  // namespace sclm
