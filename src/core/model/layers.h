// Forward passes of torch::nn layers, written so that they run fast under bf16 autocast.
#pragma once

#include <torch/torch.h>

#include "util/backend.h"

namespace sclm {

// torch::nn::Linear's forward multiplies and then adds the bias in a second kernel for inputs of
// more than two dimensions (under bf16 autocast, a mixed-type one: 5 ms of a 47 ms dim-512 step on
// an H100); at::linear folds the bias into the matrix product.
inline torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x) {
  return torch::linear(x, layer->weight, layer->bias);
}

// Under bf16 autocast, the residual stream between transformer blocks is carried in bf16, as
// Megatron-LM does by default: autocast alone would keep it in float32, so that every residual
// add, dropout and norm moves twice the bytes and each norm's output is cast again for the next
// matrix product. Outside autocast, x is returned as it is.
inline torch::Tensor to_stream(const torch::Tensor& x) {
  return autocast_enabled(x.device().type()) ? x.to(torch::kBFloat16) : x;
}

// A block's LayerNorm on the stream: in the stream's dtype (float32 statistics inside the kernel)
// when it is bf16, where autocast would run it in float32; as the module does otherwise.
inline torch::Tensor stream_norm(const torch::nn::LayerNorm& layer, const torch::Tensor& x) {
  const auto& options = layer->options;
  if (x.scalar_type() != torch::kBFloat16)
    return torch::layer_norm(x, options.normalized_shape(), layer->weight, layer->bias, options.eps());
  const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  return torch::layer_norm(x, options.normalized_shape(), layer->weight.to(x.scalar_type()),
                           layer->bias.to(x.scalar_type()), options.eps());
}

}  // namespace sclm
