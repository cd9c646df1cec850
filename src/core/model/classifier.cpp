#include "model/classifier.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sclm {

void check_model_config(const ModelConfig& c) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  if (c.n_features < 1) fail("the model needs at least one feature");
  if (c.dim < 1 || c.n_layers < 1 || c.n_heads < 1 || c.ff_dim < 1)
    fail("dim, n_layers, n_heads and ff_dim must be positive");
  if (c.dim % c.n_heads != 0)
    fail("dim (" + std::to_string(c.dim) + ") must be a multiple of n_heads (" + std::to_string(c.n_heads) + ")");
  if (c.dropout < 0 || c.dropout >= 1) fail("dropout must be in [0, 1)");
  if (c.max_bin < 1) fail("max_bin must be positive");
}

FullAttentionImpl::FullAttentionImpl(int dim, int n_heads) : n_heads_(n_heads) {
  qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  out_ = register_module("out", torch::nn::Linear(dim, dim));
}

torch::Tensor FullAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& padding,
                                         torch::Tensor* weights) {
  const auto B = x.size(0), L = x.size(1), D = x.size(2), Dh = D / n_heads_;
  // [B, L, 3, H, Dh] -> three [B, H, L, Dh]
  auto qkv = qkv_(x).view({B, L, 3, n_heads_, Dh}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];
  torch::Tensor context;
#if TORCH_VERSION_MAJOR >= 2
  if (weights == nullptr) {
    // Fused kernels (flash / memory-efficient) where LibTorch has them. Attention probabilities
    // get no dropout on any path: on CPU, drawing a mask for every B x H x L x L entry cost more
    // than the matrix products.
    context = at::scaled_dot_product_attention(q, k, v, padding.logical_not().view({B, 1, 1, L}));
  } else
#endif
  {
    // Padding enters as an additive -inf bias on the keys.
    const auto bias = torch::zeros({B, 1, 1, L}, x.options())
                          .masked_fill_(padding.view({B, 1, 1, L}), -std::numeric_limits<float>::infinity());
    auto scores = torch::baddbmm(bias.expand({B, n_heads_, L, L}).reshape({B * n_heads_, L, L}),
                                 q.reshape({B * n_heads_, L, Dh}), k.reshape({B * n_heads_, L, Dh}).transpose(1, 2),
                                 /*beta=*/1.0, /*alpha=*/1.0 / std::sqrt(static_cast<double>(Dh)));
    auto probs = torch::softmax(scores, -1);
    if (weights != nullptr) *weights = probs.detach().view({B, n_heads_, L, L});
    context = torch::bmm(probs, v.reshape({B * n_heads_, L, Dh})).view({B, n_heads_, L, Dh});
  }
  return out_(context.transpose(1, 2).reshape({B, L, D}));
}

EncoderBlockImpl::EncoderBlockImpl(int dim, int n_heads, int ff_dim, double dropout) : dropout_(dropout) {
  norm_attention_ = register_module("norm_attention", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  attention_ = register_module("attention", FullAttention(dim, n_heads));
  norm_ff_ = register_module("norm_ff", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  ff_in_ = register_module("ff_in", torch::nn::Linear(dim, ff_dim));
  ff_out_ = register_module("ff_out", torch::nn::Linear(ff_dim, dim));
}

torch::Tensor EncoderBlockImpl::forward(torch::Tensor x, const torch::Tensor& padding, torch::Tensor* weights) {
  const bool train = is_training();
  x = x + torch::dropout(attention_(norm_attention_(x), padding, weights), dropout_, train);
  auto h = ff_out_(torch::dropout(torch::gelu(ff_in_(norm_ff_(x))), dropout_, train));
  return x + torch::dropout(h, dropout_, train);
}

TokenEncoderImpl::TokenEncoderImpl(const ModelConfig& c) {
  check_model_config(c);
  gene_embedding_ = register_module(
      "gene_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.n_features + kGeneTokenOffset, c.dim).padding_idx(kPadToken)));
  bin_embedding_ = register_module(
      "bin_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.max_bin + 1 + kBinTokenOffset, c.dim).padding_idx(kPadToken)));
  torch::NoGradGuard no_grad;
  for (auto* table : {&gene_embedding_, &bin_embedding_}) {
    (*table)->weight.normal_(0.0, 0.02);
    (*table)->weight[kPadToken].zero_();
  }
  for (int l = 0; l < c.n_layers; ++l)
    blocks_.push_back(register_module("block" + std::to_string(l), EncoderBlock(c.dim, c.n_heads, c.ff_dim, c.dropout)));
  final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
}

torch::Tensor TokenEncoderImpl::forward(const TokenBatch& batch, torch::Tensor* last_attention) {
  auto x = gene_embedding_(batch.genes) + bin_embedding_(batch.bins);
  for (std::size_t l = 0; l < blocks_.size(); ++l)
    x = blocks_[l](x, batch.padding, l + 1 == blocks_.size() ? last_attention : nullptr);
  return final_norm_(x);
}

torch::Tensor TokenEncoderImpl::pool(const torch::Tensor& hidden, const torch::Tensor& padding) {
  auto cls = hidden.select(1, 0);
  auto genes = padding.logical_not().to(hidden.dtype());
  genes.select(1, 0).zero_();  // the CLS position is not a gene
  auto count = genes.sum(1, /*keepdim=*/true).clamp_min(1.0);
  auto mean = (hidden * genes.unsqueeze(-1)).sum(1) / count;
  return torch::cat({cls, mean}, 1);
}

CellClassifierImpl::CellClassifierImpl(const ModelConfig& c) : dropout_(c.dropout) {
  if (c.n_classes < 2) throw std::invalid_argument("a classifier needs at least two classes");
  encoder_ = register_module("encoder", TokenEncoder(c));
  hidden_ = register_module("head_hidden", torch::nn::Linear(2 * c.dim, c.dim));
  output_ = register_module("head_output", torch::nn::Linear(c.dim, c.n_classes));
}

torch::Tensor CellClassifierImpl::embed(const TokenBatch& batch) {
  return TokenEncoderImpl::pool(encoder_(batch), batch.padding);
}

torch::Tensor CellClassifierImpl::cls_attention(const TokenBatch& batch) {
  torch::Tensor weights;
  encoder_(batch, &weights);
  return weights.select(2, 0).mean(1);  // the CLS query row, averaged over heads
}

torch::Tensor CellClassifierImpl::forward(const TokenBatch& batch) {
  auto h = torch::gelu(hidden_(embed(batch)));
  return output_(torch::dropout(h, dropout_, is_training()));
}

std::string serialize_module(const torch::nn::Module& module) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void deserialize_module(torch::nn::Module& module, const std::string& bytes, const torch::Device& device) {
  // Module::load replaces tensors without comparing shapes, so compare them here.
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
  for (const auto& item : module.named_parameters()) expected.emplace_back(item.key(), item.value().sizes().vec());
  for (const auto& item : module.named_buffers()) expected.emplace_back(item.key(), item.value().sizes().vec());
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in, device);
    module.load(archive);
  } catch (const c10::Error& e) {
    throw std::invalid_argument(std::string("model weights do not fit this model: ") + e.what_without_backtrace());
  }
  auto parameters = module.named_parameters();
  auto buffers = module.named_buffers();
  for (const auto& [name, sizes] : expected) {
    const auto* tensor = parameters.find(name);
    if (tensor == nullptr) tensor = buffers.find(name);
    if (tensor == nullptr || tensor->sizes().vec() != sizes)
      throw std::invalid_argument("model weights do not fit this model: tensor '" + name + "' has the wrong shape");
  }
}

}  // namespace sclm
