// The scLM token encoder (gene + bin embeddings, pre-LayerNorm transformer blocks with full
// attention) and the cell classifier built on its pooled output.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "api.h"
#include "data/batch.h"

namespace sclm {

class FullAttentionImpl : public torch::nn::Module {
 public:
  FullAttentionImpl(int dim, int n_heads);
  // x [B, L, D]; padding [B, L] (true = ignore as key). When weights is given it receives the
  // attention probabilities [B, H, L, L].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding,
                        torch::Tensor* weights = nullptr);

 private:
  int n_heads_;
  torch::nn::Linear qkv_{nullptr}, out_{nullptr};
};
TORCH_MODULE(FullAttention);

class EncoderBlockImpl : public torch::nn::Module {
 public:
  EncoderBlockImpl(int dim, int n_heads, int ff_dim, double dropout);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& padding, torch::Tensor* weights = nullptr);

 private:
  double dropout_;
  torch::nn::LayerNorm norm_attention_{nullptr}, norm_ff_{nullptr};
  FullAttention attention_{nullptr};
  torch::nn::Linear ff_in_{nullptr}, ff_out_{nullptr};
};
TORCH_MODULE(EncoderBlock);

class TokenEncoderImpl : public torch::nn::Module {
 public:
  explicit TokenEncoderImpl(const ModelConfig& config);
  // Hidden states [B, L, D]. With last_attention, it receives the last block's attention
  // probabilities [B, H, L, L].
  torch::Tensor forward(const TokenBatch& batch, torch::Tensor* last_attention = nullptr);
  // Cell embedding [B, 2D]: the CLS state next to the mean of the gene states.
  static torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& padding);

 private:
  torch::nn::Embedding gene_embedding_{nullptr}, bin_embedding_{nullptr};
  std::vector<EncoderBlock> blocks_;
  torch::nn::LayerNorm final_norm_{nullptr};
};
TORCH_MODULE(TokenEncoder);

class CellClassifierImpl : public torch::nn::Module {
 public:
  explicit CellClassifierImpl(const ModelConfig& config);
  torch::Tensor forward(const TokenBatch& batch);  // logits [B, n_classes]
  torch::Tensor embed(const TokenBatch& batch);    // [B, 2D]
  // Attention from the CLS token to every position in the last block, mean over heads [B, L].
  torch::Tensor cls_attention(const TokenBatch& batch);

 private:
  double dropout_;
  TokenEncoder encoder_{nullptr};
  torch::nn::Linear hidden_{nullptr}, output_{nullptr};
};
TORCH_MODULE(CellClassifier);

// Throws std::invalid_argument for an inconsistent configuration.
void check_model_config(const ModelConfig& config);

std::string serialize_module(const torch::nn::Module& module);
// Loads serialized weights into `module`; throws std::invalid_argument when they do not fit.
void deserialize_module(torch::nn::Module& module, const std::string& bytes, const torch::Device& device);

}  // namespace sclm
