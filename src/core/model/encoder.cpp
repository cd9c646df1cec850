#include "model/encoder.h"

#include <map>
#include <stdexcept>
#include <utility>

#include "model/layers.h"
#include "util/run_generator.h"
#include "util/tensor_bundle.h"

namespace sclm {

ModelConfig complete_config(ModelConfig model, const TokenizerConfig& tokenizer) {
  model.n_values = max_value(tokenizer, model.n_features) + 1;
  if (is_subvector_model(model)) {
    int tokens = 0;
    for (int s : model.subvectors.scales) tokens += (model.n_features + s - 1) / std::max(s, 1);
    model.attention.max_length = tokens;
    model.pool_expressed = false;
    return model;
  }
  model.attention.max_length = 1 + (tokenizer.full_length ? model.n_features : tokenizer.max_tokens);
  model.pool_expressed = tokenizer.full_length;
  return model;
}

void check_model_config(const ModelConfig& c) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  if (c.n_features < 1) fail("the model needs at least one feature");
  if (c.dim < 1 || c.n_layers < 1 || c.n_heads < 1 || c.ff_dim < 1)
    fail("dim, n_layers, n_heads and ff_dim must be positive");
  if (c.dim % c.n_heads != 0)
    fail("dim (" + std::to_string(c.dim) + ") must be a multiple of n_heads (" + std::to_string(c.n_heads) + ")");
  if (c.dropout < 0 || c.dropout >= 1) fail("dropout must be in [0, 1)");
  if (c.n_values < 1) fail("the value vocabulary is empty (complete_config was not applied)");
  if (c.redraw_interval < 0) fail("redraw_interval must be non-negative");
}

EncoderBlockImpl::EncoderBlockImpl(const ModelConfig& c, bool own_projection) : dropout_(c.dropout) {
  norm_attention_ = register_module("norm_attention", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  attention_ = register_module("attention", SelfAttention(c.dim, c.n_heads, c.attention, own_projection));
  norm_ff_ = register_module("norm_ff", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  ff_in_ = register_module("ff_in", torch::nn::Linear(c.dim, c.ff_dim));
  ff_out_ = register_module("ff_out", torch::nn::Linear(c.ff_dim, c.dim));
}

torch::Tensor EncoderBlockImpl::forward(torch::Tensor x, const torch::Tensor& padding, torch::Tensor* cls_weights,
                                        const torch::Tensor& projection) {
  const bool train = is_training();
  x = x + sclm::dropout(attention_(stream_norm(norm_attention_, x), padding, cls_weights, projection), dropout_, train);
  auto h = linear(ff_out_, sclm::dropout(torch::gelu(linear(ff_in_, stream_norm(norm_ff_, x))), dropout_, train));
  return x + sclm::dropout(h, dropout_, train);
}

TokenEncoderImpl::TokenEncoderImpl(const ModelConfig& c) : pool_expressed_(c.pool_expressed) {
  check_model_config(c);
  gene_embedding_ = register_module(
      "gene_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.n_features + kGeneTokenOffset, c.dim).padding_idx(kPadToken)));
  value_embedding_ = register_module(
      "value_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.n_values + kBinTokenOffset, c.dim).padding_idx(kPadToken)));
  torch::NoGradGuard no_grad;
  for (auto* table : {&gene_embedding_, &value_embedding_}) {
    (*table)->weight.normal_(0.0, 0.02);
    (*table)->weight[kPadToken].zero_();
  }
  const bool shared = c.attention.kind == AttentionKind::kLinformer && c.share_projection;
  if (shared)
    shared_projection_ = register_parameter("projection", linformer_projection(c.attention.linformer_k, c.attention.max_length));
  for (int l = 0; l < c.n_layers; ++l)
    blocks_.push_back(register_module("block" + std::to_string(l), EncoderBlock(c, !shared)));
  final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
}

torch::Tensor TokenEncoderImpl::forward(const TokenBatch& batch, torch::Tensor* cls_weights) {
  auto x = to_stream(gene_embedding_(batch.genes) + value_embedding_(batch.values));
  // A batch without padding (full-length cells) attends without a mask, which the fused attention
  // kernels run faster.
  const auto padding = batch.padded ? batch.padding : torch::Tensor();
  for (std::size_t l = 0; l < blocks_.size(); ++l)
    x = blocks_[l](x, padding, l + 1 == blocks_.size() ? cls_weights : nullptr, shared_projection_);
  return final_norm_(x.to(torch::kFloat32));  // the stream may be bf16 (to_stream); outputs are float32
}

void TokenEncoderImpl::set_feature_embedding(const std::vector<float>& vectors, bool freeze) {
  auto& weight = gene_embedding_->weight;
  const int64_t n_features = weight.size(0) - kGeneTokenOffset, dim = weight.size(1);
  if (!vectors.empty()) {
    if (static_cast<int64_t>(vectors.size()) != n_features * dim)
      throw std::invalid_argument("feature_vectors must hold n_features x dim = " + std::to_string(n_features * dim) +
                                  " values, got " + std::to_string(vectors.size()));
    torch::NoGradGuard no_grad;
    weight.slice(0, kGeneTokenOffset).copy_(torch::tensor(vectors).view({n_features, dim}).to(weight.device()));
  }
  if (freeze) weight.requires_grad_(false);
}

std::vector<torch::Tensor> trainable_only(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters)
    if (p.requires_grad()) out.push_back(p);
  return out;
}

void TokenEncoderImpl::redraw_features() {
  for (auto& block : blocks_) block->attention()->redraw_features();
}

bool positions_matter(const ModelConfig& model, const TokenizerConfig& tokenizer) {
  return tokenizer.full_length || model.attention.kind == AttentionKind::kLinformer;
}

std::function<void(long)> feature_redraws(TokenEncoder encoder, const ModelConfig& config) {
  if (config.attention.kind != AttentionKind::kPerformer || config.redraw_interval <= 0) return {};
  const long interval = config.redraw_interval;
  return [encoder, interval](long step) mutable {
    if (step > 0 && step % interval == 0) encoder->redraw_features();
  };
}

torch::Tensor TokenEncoderImpl::pool(const torch::Tensor& hidden, const TokenBatch& batch) const {
  auto cls = hidden.select(1, 0);
  auto keep = batch.padding.logical_not();
  if (pool_expressed_) keep = keep.logical_and(batch.values.ne(kBinTokenOffset));  // value 0: not expressed
  auto genes = keep.to(hidden.dtype());
  genes.select(1, 0).zero_();  // the CLS position is not a gene
  auto count = genes.sum(1, /*keepdim=*/true).clamp_min(1.0);
  auto mean = (hidden * genes.unsqueeze(-1)).sum(1) / count;
  return torch::cat({cls, mean}, 1);
}

namespace {

DType dtype_of(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return DType::kFloat32;
    case torch::kFloat64: return DType::kFloat64;
    case torch::kInt64: return DType::kInt64;
    case torch::kInt32: return DType::kInt32;
    case torch::kUInt8: return DType::kUInt8;
    case torch::kBool: return DType::kBool;
    case torch::kBFloat16: return DType::kBFloat16;
    case torch::kFloat16: return DType::kFloat16;
    default: throw std::invalid_argument(std::string("cannot save tensors of type ") + c10::toString(t));
  }
}

// Parameters and buffers by name, as Module::save walks them.
std::vector<std::pair<std::string, torch::Tensor>> module_tensors(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters()) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace

// Weights are stored in scLM's own bundle format, not torch's archive: the reader is small,
// bounded and fuzzed, and validates names, types and shapes before any tensor is written.
// Elements are stored in host byte order, little-endian on every platform LibTorch supports.
std::string serialize_module(const torch::nn::Module& module) {
  std::vector<TensorRecord> records;
  for (const auto& [name, tensor] : module_tensors(module)) {
    const auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    TensorRecord r;
    r.name = name;
    r.dtype = dtype_of(cpu.scalar_type());
    r.shape = cpu.sizes().vec();
    r.data.assign(static_cast<const char*>(cpu.data_ptr()), cpu.numel() * cpu.element_size());
    records.push_back(std::move(r));
  }
  return write_tensor_bundle(records);
}

void deserialize_module(torch::nn::Module& module, const std::string& bytes, const torch::Device& device) {
  std::vector<TensorRecord> records;
  try {
    records = read_tensor_bundle(bytes);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("model weights are not readable: ") + e.what());
  }
  auto targets = module_tensors(module);
  if (records.size() != targets.size())
    throw std::invalid_argument("model weights do not fit this model: " + std::to_string(records.size()) +
                                " tensors stored, " + std::to_string(targets.size()) + " expected");
  std::map<std::string, const TensorRecord*> by_name;
  for (const auto& r : records) by_name[r.name] = &r;
  // Check every tensor before writing any, so a bad file leaves the module untouched.
  for (const auto& [name, tensor] : targets) {
    const auto found = by_name.find(name);
    if (found == by_name.end())
      throw std::invalid_argument("model weights do not fit this model: tensor '" + name + "' is missing");
    const auto& r = *found->second;
    if (r.dtype != dtype_of(tensor.scalar_type()) || r.shape != tensor.sizes().vec())
      throw std::invalid_argument("model weights do not fit this model: tensor '" + name +
                                  "' has the wrong shape or type");
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : targets) {
    const auto& r = *by_name[name];
    auto source = torch::from_blob(const_cast<char*>(r.data.data()), r.shape, tensor.options().device(torch::kCPU));
    tensor.copy_(source);
  }
  module.to(device);
}

}  // namespace sclm
