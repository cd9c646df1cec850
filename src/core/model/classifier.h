// Heads on the token encoder: the cell classifier (MLP on the pooled embedding, or scBERT's CNN
// over genes) and the masked-token model used for pretraining.
#pragma once

#include <torch/torch.h>

#include "model/encoder.h"

namespace sclm {

class CellClassifierImpl : public torch::nn::Module {
 public:
  explicit CellClassifierImpl(const ModelConfig& config);
  // Logits [B, n_classes]; with pooled, it also receives the cell embedding [B, 2D].
  torch::Tensor forward(const TokenBatch& batch, torch::Tensor* pooled = nullptr);
  TokenEncoder& encoder() { return encoder_; }

 private:
  double dropout_;
  HeadKind head_;
  int n_features_;
  TokenEncoder encoder_{nullptr};
  torch::nn::Conv2d conv_{nullptr};  // kCnn: one score per gene from its 1 x dim state
  torch::nn::Linear hidden_{nullptr}, output_{nullptr};
};
TORCH_MODULE(CellClassifier);

// Predicts the value token (or, for the rank tokenizer, the gene) at masked positions, and
// projects cell embeddings for the contrastive term of pretraining.
class MaskedModelImpl : public torch::nn::Module {
 public:
  MaskedModelImpl(const ModelConfig& config, int n_targets);
  // Logits [B, L, n_targets]; with pooled, it also receives the cell embedding [B, 2D].
  torch::Tensor forward(const TokenBatch& batch, torch::Tensor* pooled = nullptr);
  torch::Tensor project(const torch::Tensor& pooled);  // unit-length [B, D]
  TokenEncoder& encoder() { return encoder_; }

 private:
  TokenEncoder encoder_{nullptr};
  torch::nn::Linear transform_{nullptr}, output_{nullptr}, project_hidden_{nullptr}, project_out_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(MaskedModel);

}  // namespace sclm
