// Self-attention of the encoder blocks: full softmax, Performer (FAVOR+) or Linformer.
#pragma once

#include <torch/torch.h>

#include <string>

#include "config/settings.h"

namespace sclm {

// One attention layer. x [B, L, D]; padding [B, L] (true = ignore as key and never attended to).
// With cls_weights, it receives the attention of the CLS query (position 0) over the positions,
// mean over heads [B, L]: exact softmax weights for full attention; the linear-cost equivalents
// for Performer (phi(q_cls) . phi(k_j), normalised) and Linformer (the softmax over projected
// slots mapped back through the projection). Rows sum to 1 over non-padding positions.
// `projection`, when defined, is a Linformer projection [k, max_length] shared with other
// layers; otherwise the layer uses its own. An undefined `padding` means no position is padding.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int dim, int n_heads, const AttentionConfig& config, bool own_projection = true);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding, torch::Tensor* cls_weights = nullptr,
                        const torch::Tensor& projection = {});
  // Performer: draws new orthogonal random features from torch's global generator.
  void redraw_features();

 private:
  // q, k, v [B, H, L, Dh] -> context [B, H, L, Dh]
  torch::Tensor performer_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    const torch::Tensor& padding, torch::Tensor* cls_weights);
  torch::Tensor linformer_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    const torch::Tensor& padding, const torch::Tensor& projection,
                                    torch::Tensor* cls_weights);

  int n_heads_;
  AttentionConfig config_;
  torch::nn::Linear qkv_{nullptr}, out_{nullptr};
  torch::Tensor features_;    // Performer buffer [m, Dh]
  torch::Tensor projection_;  // Linformer parameter [k, max_length]
};
TORCH_MODULE(SelfAttention);

// A Linformer projection [k, max_length] initialised as Linformer does (normal, std 1/sqrt(k)).
torch::Tensor linformer_projection(int k, int max_length);

}  // namespace sclm
