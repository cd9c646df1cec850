// What each model family supplies to the one training loop (train/loop.h): its model on the
// device, the parameters that train, the loss of a batch of cells and the encoder part of its
// weights. Token models read a TokenStore, SCTrans models a LevelStore; each family offers a
// classifier (fine-tuning) and a pretraining objective. train/trainer.cpp picks one per run.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/cell_store.h"
#include "train/loop.h"
#include "util/backend.h"

namespace sclm {

struct Objective {
  std::shared_ptr<torch::nn::Module> module;  // its state is the weights
  std::vector<torch::Tensor> parameters;      // the ones optimised
  std::vector<int> lengths;                   // tokens per cell (token models: length bucketing)
  std::function<BatchOutcome(const std::vector<int>& cells, std::mt19937_64& rng, bool training)> run_batch;
  std::function<void(long step)> before_step;  // optional, e.g. Performer feature redraws
  std::function<std::string()> encoder_weights;
};

// A family's classifier (CellClassifier, SctransClassifier) on the device, its encoder started
// from train.init_encoder when given; and the class weights of the cross-entropy (undefined: none).
template <typename Classifier>
Classifier start_classifier(const ModelConfig& config, const TrainConfig& train, const torch::Device& device) {
  Classifier model(config);
  if (!train.init_encoder.empty()) deserialize_module(*model->encoder(), train.init_encoder, torch::kCPU);
  model->to(device);
  return model;
}
inline torch::Tensor class_weights(const TrainConfig& train, const torch::Device& device) {
  return train.class_weights.empty() ? torch::Tensor() : torch::tensor(train.class_weights, torch::kFloat32).to(device);
}

// Fine-tuning of a classifier on cells with class `labels` (torch int64, one per cell). The
// objectives keep references to the store, which must outlive them.
// Token models: cross-entropy (class weights, label smoothing, token dropout while training).
Objective token_classifier(const TokenStore& store, torch::Tensor labels, const ModelConfig& config,
                           const TokenizerConfig& tokenizer, const TrainConfig& train, const torch::Device& device);
// SCTrans: cross-entropy of the main and the second (selection-masked) encoder, supervised
// contrastive term, KL mutual learning and the selection sparsity penalty (config/settings.h).
// Validation loss is the main classifier's cross-entropy alone, comparable with token models.
Objective sctrans_classifier(const LevelStore& store, torch::Tensor labels, const ModelConfig& config,
                             const TrainConfig& train, const torch::Device& device);

// Pretraining of an encoder on unlabeled cells.
// Token models: masked value (gene, for the rank tokenizer) prediction, with an optional
// contrastive term between two random halves of each cell (PretrainConfig).
Objective token_pretraining(const TokenStore& store, const ModelConfig& config, const TokenizerConfig& tokenizer,
                            const TrainConfig& train, const PretrainConfig& pretrain, const torch::Device& device);
// SCTrans: masked sub-vector completion: per cell, mask_fraction of the gene regions are hidden
// and the decoder reconstructs their sub-vectors at every scale (mean squared error of
// log1p(CP10k)); with a contrastive weight, plus InfoNCE between two random halves of each cell's
// genes, through a projection head of the pooled embedding.
Objective sctrans_pretraining(const LevelStore& store, const ModelConfig& config, const PretrainConfig& pretrain,
                              const torch::Device& device);

// Supervised contrastive loss (Khosla et al. 2020) of unit-length embeddings z [B, D] with labels
// y [B]: each cell's same-label cells are its positives; cells without one do not count.
torch::Tensor supervised_contrastive(const torch::Tensor& z, const torch::Tensor& y, double temperature);

}  // namespace sclm
