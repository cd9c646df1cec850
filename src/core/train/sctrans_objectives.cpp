// The SCTrans family's objectives: a classifier with gene selection (fine-tuning) and masked
// sub-vector completion (pretraining).
#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "data/subvectors.h"
#include "model/sctrans.h"
#include "train/objectives.h"
#include "util/backend.h"
#include "util/run_generator.h"

namespace sclm {
namespace {

torch::Tensor cells_tensor(const std::vector<int>& cells) {
  return torch::tensor(std::vector<int64_t>(cells.begin(), cells.end()), torch::kInt64);
}

// One step's per-gene capture factors exp(N(0, sd^2)), drawn from the step's generator.
torch::Tensor gene_scale_factors(int n_features, double sd, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, static_cast<float>(sd));
  std::vector<float> draws(static_cast<std::size_t>(n_features));
  for (auto& d : draws) d = normal(rng);
  return torch::tensor(draws).exp();
}

// A view of each cell that keeps a random half of its genes (the others read as zero), drawn from
// the step's generator.
torch::Tensor random_half(const torch::Tensor& levels, std::mt19937_64& rng) {
  std::vector<uint8_t> keep(static_cast<std::size_t>(levels.numel()));
  for (auto& k : keep) k = static_cast<uint8_t>(rng() & 1U);
  const auto mask = torch::from_blob(keep.data(), levels.sizes(), torch::kUInt8).to(torch::kBool).to(levels.device());
  return levels.masked_fill(mask.logical_not(), 0.0);
}

// One step's mixup share, drawn from Beta(alpha, alpha) and folded to [0.5, 1].
double mixup_share(double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> gamma(alpha, 1.0);
  const double a = gamma(rng), b = gamma(rng);
  const double share = a + b > 0 ? a / (a + b) : 1.0;
  return std::max(share, 1.0 - share);
}

// A random order of `n` cells, drawn from the step's generator.
torch::Tensor random_order(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  return torch::tensor(order, torch::kInt64);
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

Objective sctrans_classifier(const LevelStore& store, torch::Tensor labels, const ModelConfig& config,
                             const TrainConfig& train, const torch::Device& device) {
  const torch::Tensor weights = class_weights(train, device);
  auto model = start_classifier<SctransClassifier>(config, train, device);

  Objective o;
  o.module = model.ptr();
  o.parameters = trainable_parameters(*model, train.trainable_blocks, config.n_layers);
  const SubvectorConfig sv = config.subvectors;
  const int n_features = config.n_features;
  const double token_dropout = train.token_dropout, label_smoothing = train.label_smoothing;
  const double gene_scale_noise = train.gene_scale_noise, downsample = train.downsample, mixup = train.mixup;
  o.run_batch = [&store, model, labels, weights, device, sv, n_features, token_dropout, label_smoothing, gene_scale_noise,
                 downsample, mixup](const std::vector<int>& cells, std::mt19937_64& batch_rng, bool training) mutable {
    auto levels = (training && downsample > 0 ? downsampled_levels(store, cells, n_features, downsample, batch_rng)
                                              : dense_levels(store, cells, n_features))
                      .to(device);
    auto y = labels.index_select(0, cells_tensor(cells)).to(device);
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions().weight(weights);
    if (!training) {
      auto logits = model->forward(levels);
      return BatchOutcome{F::cross_entropy(logits, y, options), static_cast<double>(cells.size()),
                          correct_predictions(logits, y)};
    }
    if (token_dropout > 0) levels = levels.masked_fill(uniform_like(levels) < token_dropout, 0.0);
    if (gene_scale_noise > 0) levels = torch::log1p(torch::expm1(levels) * gene_scale_factors(n_features, gene_scale_noise, batch_rng).to(device));
    options.label_smoothing(label_smoothing);
    double share = 1.0;
    torch::Tensor y_mixed;
    if (mixup > 0 && cells.size() > 1) {
      share = mixup_share(mixup, batch_rng);
      const auto order = random_order(static_cast<int64_t>(cells.size()), batch_rng).to(device);
      levels = share * levels + (1.0 - share) * levels.index_select(0, order);
      y_mixed = y.index_select(0, order);
    }
    const auto out = model->forward_all(levels);
    const auto classification = [&](const torch::Tensor& logits) {
      auto l = F::cross_entropy(logits, y, options);
      return y_mixed.defined() ? share * l + (1.0 - share) * F::cross_entropy(logits, y_mixed, options) : l;
    };
    auto loss = classification(out.logits) + classification(out.light_logits);
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
  o.encoder_weights = [model]() mutable { return serialize_module(*model->encoder()); };
  return o;
}

Objective sctrans_pretraining(const LevelStore& store, const ModelConfig& config, const PretrainConfig& pretrain,
                              const torch::Device& device) {
  SubvectorAutoencoder model(config, pretrain.contrastive_weight > 0);
  model->to(device);
  Objective o;
  o.module = model.ptr();
  o.parameters = model->parameters();
  const int n_features = config.n_features;
  o.run_batch = [&store, model, device, n_features, pretrain](const std::vector<int>& cells, std::mt19937_64& batch_rng,
                                                              bool) mutable {
    const SubvectorLayout& layout = model->encoder()->layout();
    const auto levels = dense_levels(store, cells, n_features).to(device);
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
    loss = loss / layout.n_scales();
    if (pretrain.contrastive_weight > 0 && cells.size() > 1) {
      // Two random halves of each cell's genes: their embeddings must pick each other out among
      // the batch (InfoNCE, as the token models' term), so cells of a kind end up alike.
      const auto n = static_cast<int64_t>(cells.size());
      const auto z = torch::cat({model->project(random_half(levels, batch_rng)), model->project(random_half(levels, batch_rng))});
      const auto view_of = torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(device)).repeat({2});
      loss = loss + pretrain.contrastive_weight * supervised_contrastive(z, view_of, pretrain.temperature);
    }
    return BatchOutcome{loss, hidden.sum().item<double>(),
                        torch::full({}, std::numeric_limits<double>::quiet_NaN())};
  };
  o.encoder_weights = [model]() mutable { return serialize_module(*model->encoder()); };
  return o;
}

}  // namespace sclm
