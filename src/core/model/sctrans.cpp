#include "model/sctrans.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "model/layers.h"
#include "util/run_generator.h"

namespace sclm {

void check_subvector_config(const ModelConfig& c, const TokenizerConfig& tokenizer) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  const auto& s = c.subvectors;
  if (!is_subvector_model(c)) fail("not an SCTrans model (no sub-vector scales)");
  if (tokenizer.kind != TokenizerKind::kSubvectors) fail("SCTrans models need the sub-vector tokenizer");
  if (c.attention.kind == AttentionKind::kLinformer)
    fail("SCTrans models use full or Performer attention (Linformer's projection assumes fixed positions)");
  if (!(tokenizer.scale_factor > 0) || !std::isfinite(tokenizer.scale_factor)) fail("scale_factor must be positive");
  SubvectorLayout(c.n_features, s.scales);  // validates the scales
  if (s.light_layers < 1) fail("light_layers must be at least 1");
  if (!(s.sharpness > 0)) fail("sharpness must be positive");
  if (!(s.keep_share > 0 && s.keep_share < 1)) fail("keep_share must be in (0, 1)");
  if (!(s.temperature > 0)) fail("temperature must be positive");
  if (s.contrastive_weight < 0 || s.mutual_weight < 0 || s.selection_weight < 0) fail("loss weights must be non-negative");
  check_model_config(c);
}

SubvectorEncoderImpl::SubvectorEncoderImpl(const ModelConfig& c, int n_layers)
    : layout_(c.n_features, c.subvectors.scales) {
  for (int s = 0; s < layout_.n_scales(); ++s) {
    projections_.push_back(register_module("project" + std::to_string(s), torch::nn::Linear(layout_.scales()[s], c.dim)));
    readouts_.push_back(register_module("readout" + std::to_string(s), torch::nn::Linear(layout_.count(s) * c.dim, c.dim)));
    torch::NoGradGuard no_grad;
    readouts_.back()->weight.zero_();
    readouts_.back()->bias.zero_();
  }
  position_ = register_parameter("position", torch::randn({layout_.n_tokens(), c.dim}) * 0.02);
  for (int l = 0; l < n_layers; ++l) blocks_.push_back(register_module("block" + std::to_string(l), EncoderBlock(c, true)));
  final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
}

torch::Tensor SubvectorEncoderImpl::embed(const torch::Tensor& levels, const torch::Tensor& token_weights) {
  const auto parts = layout_.partition(levels);
  std::vector<torch::Tensor> tokens;
  for (int s = 0; s < layout_.n_scales(); ++s) tokens.push_back(linear(projections_[s], parts[s]));
  auto x = torch::cat(tokens, 1);
  if (token_weights.defined()) x = x * token_weights.unsqueeze(-1);
  return x + position_;
}

torch::Tensor SubvectorEncoderImpl::encode(torch::Tensor x, const torch::Tensor& padding) {
  x = to_stream(x);
  for (auto& block : blocks_) x = block(x, padding);
  return final_norm_(x.to(torch::kFloat32));  // the stream may be bf16 (to_stream); outputs are float32
}

torch::Tensor SubvectorEncoderImpl::forward(const torch::Tensor& levels, const torch::Tensor& token_weights) {
  return encode(embed(levels, token_weights), torch::Tensor());  // every token is real: no padding
}

torch::Tensor SubvectorEncoderImpl::pool(const torch::Tensor& hidden) {
  std::vector<torch::Tensor> scales;
  for (int s = 0; s < layout_.n_scales(); ++s) {
    const auto states = hidden.narrow(1, layout_.first_token(s), layout_.count(s));
    scales.push_back(states.mean(1) + linear(readouts_[s], states.flatten(1)));
  }
  return torch::cat(scales, 1);
}

SctransClassifierImpl::SctransClassifierImpl(const ModelConfig& c)
    : dropout_(c.dropout), sharpness_(c.subvectors.sharpness), light_weight_(c.subvectors.light_weight) {
  if (c.n_classes < 2) throw std::invalid_argument("a classifier needs at least two classes");
  encoder_ = register_module("encoder", SubvectorEncoder(c, c.n_layers));
  const int pooled = embedding_width(c);
  head_hidden_ = register_module("head_hidden", torch::nn::Linear(pooled, c.dim));
  head_output_ = register_module("head_output", torch::nn::Linear(c.dim, c.n_classes));
  project_hidden_ = register_module("project_hidden", torch::nn::Linear(pooled, c.dim));
  project_out_ = register_module("project_out", torch::nn::Linear(c.dim, c.dim));
  query_ = register_module("select_query", torch::nn::Linear(c.dim, c.dim));
  key_ = register_module("select_key", torch::nn::Linear(c.dim, c.dim));
  theta_ = register_parameter("select_theta", torch::zeros({1}));
  light_ = register_module("light", SubvectorEncoder(c, c.subvectors.light_layers));
  light_output_ = register_module("light_output", torch::nn::Linear(pooled, c.n_classes));
}

torch::Tensor SctransClassifierImpl::logits_of(const torch::Tensor& pooled) {
  return linear(head_output_, sclm::dropout(torch::gelu(linear(head_hidden_, pooled)), dropout_, is_training()));
}

torch::Tensor SctransClassifierImpl::forward(const torch::Tensor& levels, torch::Tensor* pooled) {
  auto cell = encoder_->pool(encoder_(levels));
  if (pooled != nullptr) *pooled = cell;
  return logits_of(cell);
}

SctransOutput SctransClassifierImpl::forward_all(const torch::Tensor& levels) {
  SctransOutput out;
  const auto hidden = encoder_(levels);
  out.pooled = encoder_->pool(hidden);
  out.logits = logits_of(out.pooled);
  // S = Q K^T / sqrt(D): the cell's mean state queries every token's key.
  const auto q = linear(query_, hidden.mean(1)).unsqueeze(-1);  // [B, D, 1]
  const auto s = torch::matmul(linear(key_, hidden), q).squeeze(-1) / std::sqrt(static_cast<double>(hidden.size(2)));
  const auto centred = s - s.mean({1}, true);
  out.scores = centred / (centred.pow(2).mean({1}, true).sqrt() + 1e-6);
  out.mask = torch::sigmoid(sharpness_ * (out.scores - theta_));
  const auto light_hidden = light_(levels, out.mask);
  out.light_logits = linear(light_output_, light_->pool(light_hidden));
  return out;
}

torch::Tensor SctransClassifierImpl::predict(const torch::Tensor& levels, torch::Tensor* pooled) {
  if (light_weight_ == 0) return forward(levels, pooled);
  const auto out = forward_all(levels);
  if (pooled != nullptr) *pooled = out.pooled;
  return predicted(out);
}

torch::Tensor SctransClassifierImpl::predicted(const SctransOutput& out) const {
  return (1 - light_weight_) * out.logits + light_weight_ * out.light_logits;
}

namespace {
// Unit-length projection of cell embeddings: the head of the contrastive terms.
torch::Tensor unit_projection(torch::nn::Linear& hidden, torch::nn::Linear& out, const torch::Tensor& pooled) {
  return torch::nn::functional::normalize(linear(out, torch::gelu(linear(hidden, pooled))),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}
}  // namespace

torch::Tensor SctransClassifierImpl::project(const torch::Tensor& pooled) {
  return unit_projection(project_hidden_, project_out_, pooled);
}

SubvectorAutoencoderImpl::SubvectorAutoencoderImpl(const ModelConfig& c, bool contrastive) {
  encoder_ = register_module("encoder", SubvectorEncoder(c, c.n_layers));
  const auto& layout = encoder_->layout();
  decoder_in_ = register_module("decoder_in", torch::nn::Linear(c.dim, c.dim));
  mask_token_ = register_parameter("mask_token", torch::randn({c.dim}) * 0.02);
  decoder_position_ = register_parameter("decoder_position", torch::randn({layout.n_tokens(), c.dim}) * 0.02);
  decoder_ = register_module("decoder", EncoderBlock(c, true));
  decoder_norm_ = register_module("decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  for (int s = 0; s < layout.n_scales(); ++s)
    outputs_.push_back(register_module("output" + std::to_string(s), torch::nn::Linear(c.dim, layout.scales()[s])));
  if (contrastive) {  // registered last: the other modules start as they do without it
    project_hidden_ = register_module("project_hidden", torch::nn::Linear(embedding_width(c), c.dim));
    project_out_ = register_module("project_out", torch::nn::Linear(c.dim, c.dim));
  }
}

torch::Tensor SubvectorAutoencoderImpl::project(const torch::Tensor& levels) {
  if (!project_hidden_) throw std::logic_error("this autoencoder has no projection head");
  return unit_projection(project_hidden_, project_out_, encoder_->pool(encoder_(levels)));
}

std::vector<torch::Tensor> SubvectorAutoencoderImpl::forward(const torch::Tensor& levels, const torch::Tensor& hidden) {
  const auto& layout = encoder_->layout();
  const int64_t B = levels.size(0), T = layout.n_tokens();
  // Visible tokens first (a stable sort keeps their order); cells with fewer visible tokens are
  // padded with hidden ones, which are blanked and ignored as keys.
  const auto sorted = torch::sort(hidden.to(torch::kInt32), c10::optional<bool>(true), /*dim=*/1, /*descending=*/false);
  const int64_t visible = (T - hidden.sum(1)).max().item<int64_t>();
  const auto index = std::get<1>(sorted).narrow(1, 0, visible);
  const auto padding = std::get<0>(sorted).narrow(1, 0, visible).to(torch::kBool);
  auto tokens = encoder_->embed(levels);
  const int64_t D = tokens.size(2);
  auto x = tokens.gather(1, index.unsqueeze(-1).expand({B, visible, D})).masked_fill(padding.unsqueeze(-1), 0.0);
  auto h = linear(decoder_in_, encoder_->encode(x, padding));
  h = torch::where(padding.unsqueeze(-1), mask_token_.expand_as(h), h);
  auto full = mask_token_.expand({B, T, D}).clone().scatter(1, index.unsqueeze(-1).expand({B, visible, D}), h);
  auto decoded = decoder_norm_(decoder_(full + decoder_position_, torch::Tensor()));  // all T tokens: no padding
  std::vector<torch::Tensor> out;
  for (int s = 0; s < layout.n_scales(); ++s) out.push_back(linear(outputs_[s], decoded.narrow(1, layout.first_token(s), layout.count(s))));
  return out;
}

}  // namespace sclm
