#include "model/classifier.h"

#include <stdexcept>

#include "model/layers.h"
#include "util/run_generator.h"

namespace sclm {

CellClassifierImpl::CellClassifierImpl(const ModelConfig& c)
    : dropout_(c.dropout), head_(c.head), n_features_(c.n_features) {
  if (c.n_classes < 2) throw std::invalid_argument("a classifier needs at least two classes");
  encoder_ = register_module("encoder", TokenEncoder(c));
  int pooled = 2 * c.dim;
  if (head_ == HeadKind::kCnn) {
    conv_ = register_module("head_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, {1, c.dim})));
    // One scoring unit behind a ReLU: started where a cell's tokens all score below zero, it passes
    // no gradient and never learns (the loss stayed at log(classes) on 2 of 5 seeds of a pbmc3k
    // split). A bias of 1 starts nearly every token above zero: a token's state has unit variance
    // per dimension (final LayerNorm) and the weights variance 1 / (3 dim), so w.h has sd 0.58.
    torch::NoGradGuard no_grad;
    conv_->bias.fill_(1.0);
    pooled = 1 + n_features_;
  }
  hidden_ = register_module("head_hidden", torch::nn::Linear(pooled, c.dim));
  output_ = register_module("head_output", torch::nn::Linear(c.dim, c.n_classes));
}

torch::Tensor CellClassifierImpl::forward(const TokenBatch& batch, torch::Tensor* pooled) {
  auto hidden = encoder_(batch);
  if (pooled != nullptr) *pooled = encoder_->pool(hidden, batch);
  torch::Tensor features;
  if (head_ == HeadKind::kCnn) {
    // [B, 1, L, D] -> one score per token [B, L], placed in its gene's slot (1 + vocabulary index;
    // slot 0 is CLS), so the fully connected layer sees one input per gene, whatever the token
    // order; genes a cell does not list score 0. In full length, slots are positions (scBERT).
    auto scores = torch::relu(conv_(hidden.unsqueeze(1))).squeeze(3).squeeze(1);
    scores = scores.masked_fill(batch.padding, 0.0);
    auto slots = torch::where(batch.genes >= kGeneTokenOffset, batch.genes - (kGeneTokenOffset - 1),
                              torch::zeros_like(batch.genes));
    features = torch::zeros({scores.size(0), 1 + n_features_}, scores.options()).scatter_add(1, slots, scores);
  } else {
    features = pooled != nullptr ? *pooled : encoder_->pool(hidden, batch);
  }
  auto h = torch::gelu(linear(hidden_, features));
  return linear(output_, sclm::dropout(h, dropout_, is_training()));
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
  if (pooled != nullptr) *pooled = encoder_->pool(hidden, batch);
  return linear(output_, norm_(torch::gelu(linear(transform_, hidden))));
}

torch::Tensor MaskedModelImpl::project(const torch::Tensor& pooled) {
  return torch::nn::functional::normalize(linear(project_out_, torch::gelu(linear(project_hidden_, pooled))),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace sclm
