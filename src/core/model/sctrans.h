// SCTrans models: the sub-vector encoder, the classifier with gene selection and mutual learning,
// and the masked sub-vector autoencoder of pretraining.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "config/settings.h"
#include "data/subvectors.h"
#include "model/encoder.h"

namespace sclm {

// Throws std::invalid_argument for bad SCTrans settings (scales, weights, attention).
void check_subvector_config(const ModelConfig& config, const TokenizerConfig& tokenizer);

// Sub-vector tokens: each sub-vector projected by its scale's linear map, plus a learned
// embedding of its position among all T tokens (which also tells the scales apart). All tokens
// share one sequence, so the queries of each scale attend over the keys and values of every scale
// (multi-scale attention); the cell embedding concatenates one vector per scale: the mean of its
// tokens' output states plus a learned linear read-out of all of them in order, which keeps where
// in the gene order a signal sits (the read-out starts at zero, so an encoder that was only
// pretrained pools by the mean).
class SubvectorEncoderImpl : public torch::nn::Module {
 public:
  SubvectorEncoderImpl(const ModelConfig& config, int n_layers);
  const SubvectorLayout& layout() const { return layout_; }
  // Token embeddings [B, T, D] from levels [B, G]; token_weights [B, T], when given, scale each
  // sub-vector's projection (the selection mask of the second encoder).
  torch::Tensor embed(const torch::Tensor& levels, const torch::Tensor& token_weights = {});
  // Hidden states of token embeddings x [B, T', D]; padding [B, T'] (true: ignored; undefined: none).
  torch::Tensor encode(torch::Tensor x, const torch::Tensor& padding);
  // Hidden states [B, T, D] of all tokens.
  torch::Tensor forward(const torch::Tensor& levels, const torch::Tensor& token_weights = {});
  // Cell embedding [B, n_scales * D] from the states of all T tokens.
  torch::Tensor pool(const torch::Tensor& hidden);

 private:
  SubvectorLayout layout_;
  std::vector<torch::nn::Linear> projections_, readouts_;
  torch::Tensor position_;
  std::vector<EncoderBlock> blocks_;
  torch::nn::LayerNorm final_norm_{nullptr};
};
TORCH_MODULE(SubvectorEncoder);

struct SctransOutput {
  torch::Tensor logits, pooled;  // main classifier
  torch::Tensor scores, mask;    // selection [B, T]: standardised scores and M
  torch::Tensor light_logits;    // second encoder on the masked sub-vectors
};

class SctransClassifierImpl : public torch::nn::Module {
 public:
  explicit SctransClassifierImpl(const ModelConfig& config);
  // Main logits; with pooled, it also receives the cell embedding.
  torch::Tensor forward(const torch::Tensor& levels, torch::Tensor* pooled = nullptr);
  SctransOutput forward_all(const torch::Tensor& levels);
  // The logits predictions read: (1 - light_weight) main + light_weight light (the main ones
  // alone at light_weight 0); with pooled, it also receives the main encoder's cell embedding.
  torch::Tensor predict(const torch::Tensor& levels, torch::Tensor* pooled = nullptr);
  torch::Tensor predicted(const SctransOutput& out) const;  // the same from forward_all's output
  torch::Tensor project(const torch::Tensor& pooled);  // unit length [B, D], contrastive term
  SubvectorEncoder& encoder() { return encoder_; }

 private:
  torch::Tensor logits_of(const torch::Tensor& pooled);
  double dropout_, sharpness_, light_weight_;
  SubvectorEncoder encoder_{nullptr}, light_{nullptr};
  torch::nn::Linear head_hidden_{nullptr}, head_output_{nullptr}, light_output_{nullptr};
  torch::nn::Linear project_hidden_{nullptr}, project_out_{nullptr}, query_{nullptr}, key_{nullptr};
  torch::Tensor theta_;
};
TORCH_MODULE(SctransClassifier);

// Masked autoencoder: the encoder sees the visible tokens only; a light decoder (one block) gets
// them back in place among learned mask tokens and reconstructs every token's sub-vector. With
// `contrastive`, it also has a projection head for the contrastive term of pretraining.
class SubvectorAutoencoderImpl : public torch::nn::Module {
 public:
  SubvectorAutoencoderImpl(const ModelConfig& config, bool contrastive);
  // Reconstructions, one [B, count(s), scale] tensor per scale; hidden [B, T] bool.
  std::vector<torch::Tensor> forward(const torch::Tensor& levels, const torch::Tensor& hidden);
  // Unit-length projection [B, D] of the cell embedding of all tokens (needs `contrastive`).
  torch::Tensor project(const torch::Tensor& levels);
  SubvectorEncoder& encoder() { return encoder_; }

 private:
  SubvectorEncoder encoder_{nullptr};
  torch::nn::Linear project_hidden_{nullptr}, project_out_{nullptr};
  torch::nn::Linear decoder_in_{nullptr};
  torch::Tensor mask_token_, decoder_position_;
  EncoderBlock decoder_{nullptr};
  torch::nn::LayerNorm decoder_norm_{nullptr};
  std::vector<torch::nn::Linear> outputs_;
};
TORCH_MODULE(SubvectorAutoencoder);

}  // namespace sclm
