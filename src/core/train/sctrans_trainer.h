// Training of SCTrans models (train_classifier and pretrain_encoder hand SCTrans configs here).
#pragma once

#include <torch/torch.h>

#include "config/settings.h"
#include "data/cell_store.h"
#include "train/train_result.h"

namespace sclm {

// Fine-tuning: cross-entropy of the main and the second (selection-masked) encoder, supervised
// contrastive term, KL mutual learning and the selection sparsity penalty (api.h). Validation
// loss is the main classifier's cross-entropy alone, comparable with token models.
TrainResult train_sctrans_classifier(const LevelStore& store, const std::vector<int>& labels, const ModelConfig& config,
                                     const TokenizerConfig& tokenizer, const TrainConfig& train,
                                     const TrainCallbacks& callbacks);

// Masked sub-vector completion: per cell, mask_fraction of the gene regions are hidden and the
// decoder reconstructs their sub-vectors at every scale (mean squared error of log1p(CP10k)).
TrainResult pretrain_sctrans(const LevelStore& store, const ModelConfig& config,
                             const TokenizerConfig& tokenizer, const TrainConfig& train, const PretrainConfig& pretrain,
                             const TrainCallbacks& callbacks);

// Supervised contrastive loss (Khosla et al. 2020) of unit-length embeddings z [B, D] with labels
// y [B]: each cell's same-label cells are its positives; cells without one do not count.
torch::Tensor supervised_contrastive(const torch::Tensor& z, const torch::Tensor& y, double temperature);

}  // namespace sclm
