// The scLM token encoder: gene + value embeddings, pre-LayerNorm transformer blocks (full,
// Performer or Linformer attention), and the cell embedding pooled from its output.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/batch.h"
#include "model/attention.h"

namespace sclm {

class EncoderBlockImpl : public torch::nn::Module {
 public:
  EncoderBlockImpl(const ModelConfig& config, bool own_projection);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& padding, torch::Tensor* cls_weights = nullptr,
                        const torch::Tensor& projection = {});
  SelfAttention& attention() { return attention_; }

 private:
  double dropout_;
  torch::nn::LayerNorm norm_attention_{nullptr}, norm_ff_{nullptr};
  SelfAttention attention_{nullptr};
  torch::nn::Linear ff_in_{nullptr}, ff_out_{nullptr};
};
TORCH_MODULE(EncoderBlock);

class TokenEncoderImpl : public torch::nn::Module {
 public:
  explicit TokenEncoderImpl(const ModelConfig& config);
  // Hidden states [B, L, D]. With cls_weights, it receives the last block's attention from the
  // CLS token over the positions, mean over heads [B, L].
  torch::Tensor forward(const TokenBatch& batch, torch::Tensor* cls_weights = nullptr);
  // Cell embedding [B, 2D]: the CLS state next to the mean of the gene states (of the expressed
  // genes with pool_expressed).
  torch::Tensor pool(const torch::Tensor& hidden, const TokenBatch& batch) const;
  void redraw_features();  // Performer
  int n_layers() const { return static_cast<int>(blocks_.size()); }
  // Sets the feature embedding rows (n_features x dim, row-major) when `vectors` is not empty and
  // stops its training when `freeze`. Throws std::invalid_argument on a size mismatch.
  void set_feature_embedding(const std::vector<float>& vectors, bool freeze);

 private:
  bool pool_expressed_;
  torch::nn::Embedding gene_embedding_{nullptr}, value_embedding_{nullptr};
  std::vector<EncoderBlock> blocks_;
  torch::Tensor shared_projection_;  // Linformer with share_projection
  torch::nn::LayerNorm final_norm_{nullptr};
};
TORCH_MODULE(TokenEncoder);

// A training-step hook that redraws a Performer encoder's random features every redraw_interval
// steps; empty for other attentions or without redraws.
std::function<void(long)> feature_redraws(TokenEncoder encoder, const ModelConfig& config);

// Whether sequence positions carry meaning (full-length genes, Linformer's projection),
// so token dropout must leave padding in place instead of closing the gap.
bool positions_matter(const ModelConfig& model, const TokenizerConfig& tokenizer);

// The parameters of `parameters` that still train (frozen ones left out).
std::vector<torch::Tensor> trainable_only(const std::vector<torch::Tensor>& parameters);

// Throws std::invalid_argument for an inconsistent (completed) configuration.
void check_model_config(const ModelConfig& config);

std::string serialize_module(const torch::nn::Module& module);
// Loads serialized weights into `module`; throws std::invalid_argument when they do not fit.
void deserialize_module(torch::nn::Module& module, const std::string& bytes, const torch::Device& device);

}  // namespace sclm
