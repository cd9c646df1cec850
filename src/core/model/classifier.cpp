#include "model/classifier.h"

#include <stdexcept>

namespace sclm {

CellClassifierImpl::CellClassifierImpl(const ModelConfig& c)
    : dropout_(c.dropout), head_(c.head), max_length_(c.attention.max_length) {
  if (c.n_classes < 2) throw std::invalid_argument("a classifier needs at least two classes");
  encoder_ = register_module("encoder", TokenEncoder(c));
  int pooled = 2 * c.dim;
  if (head_ == HeadKind::kCnn) {
    conv_ = register_module("head_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, {1, c.dim})));
    pooled = max_length_;
  }
  hidden_ = register_module("head_hidden", torch::nn::Linear(pooled, c.dim));
  output_ = register_module("head_output", torch::nn::Linear(c.dim, c.n_classes));
}

torch::Tensor CellClassifierImpl::forward(const TokenBatch& batch, torch::Tensor* pooled) {
  auto hidden = encoder_(batch);
  if (pooled != nullptr) *pooled = TokenEncoderImpl::pool(hidden, batch.padding);
  torch::Tensor features;
  if (head_ == HeadKind::kCnn) {
    // [B, 1, L, D] -> one score per position [B, L], zero at padding, padded to max_length.
    auto scores = torch::relu(conv_(hidden.unsqueeze(1))).squeeze(3).squeeze(1);
    scores = scores.masked_fill(batch.padding, 0.0);
    const auto L = scores.size(1);
    if (L > max_length_) throw std::invalid_argument("sequence longer than the CNN head's max_length");
    features = torch::constant_pad_nd(scores, {0, max_length_ - L}, 0.0);
  } else {
    features = pooled != nullptr ? *pooled : TokenEncoderImpl::pool(hidden, batch.padding);
  }
  auto h = torch::gelu(hidden_(features));
  return output_(torch::dropout(h, dropout_, is_training()));
}

MaskedModelImpl::MaskedModelImpl(const ModelConfig& c, int n_targets) {
  encoder_ = register_module("encoder", TokenEncoder(c));
  transform_ = register_module("mlm_transform", torch::nn::Linear(c.dim, c.dim));
  norm_ = register_module("mlm_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  output_ = register_module("mlm_output", torch::nn::Linear(c.dim, n_targets));
  project_hidden_ = register_module("project_hidden", torch::nn::Linear(2 * c.dim, c.dim));
  project_out_ = register_module("project_out", torch::nn::Linear(c.dim, c.dim));
}

torch::Tensor MaskedModelImpl::forward(const TokenBatch& batch, torch::Tensor* pooled) {
  auto hidden = encoder_(batch);
  if (pooled != nullptr) *pooled = TokenEncoderImpl::pool(hidden, batch.padding);
  return output_(norm_(torch::gelu(transform_(hidden))));
}

torch::Tensor MaskedModelImpl::project(const torch::Tensor& pooled) {
  return torch::nn::functional::normalize(project_out_(torch::gelu(project_hidden_(pooled))),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace sclm
