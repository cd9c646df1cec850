#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "model/layers.h"
#include "util/run_generator.h"

namespace sclm {
namespace {

// Softmax weights of the CLS query over the keys, mean over heads [B, L]: q, k [B, H, L, Dh].
torch::Tensor cls_softmax_weights(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& padding) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q.narrow(2, 0, 1), k.transpose(-2, -1)).squeeze(2) * scale;  // [B, H, L]
  scores = scores.masked_fill(padding.unsqueeze(1), -std::numeric_limits<float>::infinity());
  return torch::softmax(scores, -1).mean(1);
}

// padding undefined: no position is padding, and no mask is made.
torch::Tensor full_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& padding) {
  const auto B = q.size(0), L = q.size(2);
#if TORCH_VERSION_MAJOR >= 2
  // Fused kernels (cuDNN / flash / memory-efficient) where LibTorch has them. Attention
  // probabilities get no dropout on any path: on CPU, drawing a mask for every B x H x L x L entry
  // cost more than the matrix products.
  if (!padding.defined()) return at::scaled_dot_product_attention(q, k, v);
  return at::scaled_dot_product_attention(q, k, v, padding.logical_not().view({B, 1, 1, L}));
#else
  const auto H = q.size(1), Dh = q.size(3);
  // Padding enters as an additive -inf bias on the keys, one row per (cell, head) that baddbmm
  // broadcasts over the queries.
  auto bias = torch::zeros({B, 1, 1, L}, q.options());
  if (padding.defined()) bias.masked_fill_(padding.view({B, 1, 1, L}), -std::numeric_limits<float>::infinity());
  bias = bias.expand({B, H, 1, L}).reshape({B * H, 1, L});
  const auto queries = q.reshape({B * H, L, Dh});
  const auto keys = k.reshape({B * H, L, Dh}).transpose(1, 2), values = v.reshape({B * H, L, Dh});
  const double scale = 1.0 / std::sqrt(static_cast<double>(Dh));
  // Queries in chunks of [B * H, chunk, L] scores (softmax is per query, so the result is the
  // same): long sequences neither allocate B * H * L * L floats at once (4 GiB per layer at batch
  // 64 and 2,049 tokens) nor leave the cache between the passes over them. Sizes as measured on 2
  // cores: training steps are fastest with chunks near 16 MiB (1.26x at 257 tokens), inference
  // with near 512 MiB (3.3x at 2,049 tokens; 16 MiB chunks made it 1.5x slower at 257 tokens).
  const int64_t target = torch::GradMode::is_enabled() ? (int64_t{1} << 22) : (int64_t{1} << 27);
  const int64_t most = std::max<int64_t>(1, target / std::max<int64_t>(1, B * H * L));
  const int64_t n_chunks = (L + most - 1) / most, chunk = (L + n_chunks - 1) / n_chunks;  // even sizes
  std::vector<torch::Tensor> context;
  for (int64_t start = 0; start < L; start += chunk) {
    const auto rows = std::min(chunk, L - start);
    const auto scores = torch::baddbmm(bias, queries.narrow(1, start, rows), keys, /*beta=*/1.0, /*alpha=*/scale);
    context.push_back(torch::bmm(torch::softmax(scores, -1), values));
  }
  return (context.size() == 1 ? context[0] : torch::cat(context, 1)).view({B, H, L, Dh});
#endif
}

}  // namespace

torch::Tensor linformer_projection(int k, int max_length) {
  return torch::randn({k, max_length}) / std::sqrt(static_cast<double>(k));
}

SelfAttentionImpl::SelfAttentionImpl(int dim, int n_heads, const AttentionConfig& config, bool own_projection)
    : n_heads_(n_heads), config_(config) {
  qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  out_ = register_module("out", torch::nn::Linear(dim, dim));
  // Performer and Linformer members: see the Performer / Linformer sections below.
  if (config_.kind == AttentionKind::kPerformer) {
    if (config_.performer_features < 1) throw std::invalid_argument("performer_features must be at least 1");
    features_ = register_buffer("features", torch::zeros({config_.performer_features, dim / n_heads}));
    redraw_features();
  } else if (config_.kind == AttentionKind::kLinformer) {
    if (config_.linformer_k < 1) throw std::invalid_argument("linformer_k must be at least 1");
    if (config_.max_length < 2) throw std::invalid_argument("max_length must be at least 2");
    if (own_projection) projection_ = register_parameter("projection", linformer_projection(config_.linformer_k, config_.max_length));
  }
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& padding_or_none,
                                         torch::Tensor* cls_weights, const torch::Tensor& projection) {
  const auto B = x.size(0), L = x.size(1), D = x.size(2), Dh = D / n_heads_;
  // Full attention takes no mask when nothing is padding; the others and the CLS weights need one.
  const auto padding = [&] {
    return padding_or_none.defined() ? padding_or_none
                                     : torch::zeros({B, L}, torch::TensorOptions().dtype(torch::kBool).device(x.device()));
  };
  // [B, L, 3, H, Dh] -> three [B, H, L, Dh]. unbind, not three selects: its backward stacks the
  // three gradients in one copy, where each select's backward would write a zero-filled
  // gradient of the whole qkv tensor and the engine would add the three.
  const auto qkv = linear(qkv_, x).view({B, L, 3, n_heads_, Dh}).permute({2, 0, 3, 1, 4}).unbind(0);
  const auto &q = qkv[0], &k = qkv[1], &v = qkv[2];
  torch::Tensor context;
  switch (config_.kind) {
    case AttentionKind::kFull:
      context = full_attention(q, k, v, padding_or_none);
      if (cls_weights != nullptr) *cls_weights = cls_softmax_weights(q, k, padding()).detach();
      break;
    case AttentionKind::kPerformer:
      context = performer_attention(q, k, v, padding(), cls_weights);
      break;
    case AttentionKind::kLinformer:
      context = linformer_attention(q, k, v, padding(), projection.defined() ? projection : projection_, cls_weights);
      break;
  }
  return linear(out_, context.transpose(1, 2).reshape({B, L, D}));
}

}  // namespace sclm

// ---- Performer (FAVOR+) ----------------------------------------------------------------------
namespace sclm {
namespace {

// Positive random features of FAVOR+: x [B, H, L, Dh] (already scaled by Dh^-1/4), w [m, Dh].
// The stabiliser is detached: the output is invariant to it (it cancels between numerator and
// denominator), so it needs no gradient. Queries take a per-row max, keys one max per head over
// the real keys (padding keys, whatever their values, must not set the scale). Padding keys get
// phi = 0 by masking the exponent, so no inf * 0 reaches the backward pass.
torch::Tensor positive_features(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& padding,
                                bool is_query) {
  constexpr double kEps = 1e-6;  // as in FAVOR+: keeps phi(q) . sum phi(k) away from 0
  const auto m = w.size(0);
  const auto proj = torch::matmul(x, w.t());                    // [B, H, L, m]
  const auto half_norm = x.pow(2).sum(-1, /*keepdim=*/true) / 2;  // [B, H, L, 1]
  if (is_query) {
    const auto stab = std::get<0>(proj.max(-1, /*keepdim=*/true)).detach();
    return (torch::exp(proj - half_norm - stab) + kEps) / std::sqrt(static_cast<double>(m));
  }
  const auto B = x.size(0), L = x.size(2);
  const auto pad = padding.view({B, 1, L, 1});
  auto stab = proj.detach().masked_fill(pad, -std::numeric_limits<double>::infinity()).amax({2, 3}, /*keepdim=*/true);
  stab = torch::where(torch::isinf(stab), torch::zeros_like(stab), stab);  // rows with no real key
  const auto arg = (proj - half_norm - stab).masked_fill(pad, -std::numeric_limits<double>::infinity());
  const auto keep = pad.logical_not().to(x.scalar_type());
  return (torch::exp(arg) + kEps) * keep / std::sqrt(static_cast<double>(m));
}

}  // namespace

void SelfAttentionImpl::redraw_features() {
  // Orthogonal random features: Dh x Dh blocks of orthonormal rows (QR of Gaussian matrices), rows
  // rescaled by chi-distributed norms so each row is marginally N(0, I) while rows within a block
  // stay orthogonal (lower estimator variance than i.i.d. features).
  torch::NoGradGuard no_grad;
  const auto m = features_.size(0), dh = features_.size(1);
  std::vector<torch::Tensor> blocks;
  for (int64_t done = 0; done < m; done += dh) {
    const auto qr = torch::linalg_qr(normal({dh, dh}, torch::kFloat64));
    // QR's sign convention ties Q's column signs to G (with LAPACK, Q[0][0] is always negative), so Q
    // is not Haar and the kernel estimate is biased; scaling columns by sign(diag R) makes Q Haar.
    const auto q = std::get<0>(qr) * std::get<1>(qr).diagonal().sign().unsqueeze(0);
    blocks.push_back(q.t().narrow(0, 0, std::min(dh, m - done)));
  }
  const auto norms = normal({m, dh}, torch::kFloat64).pow(2).sum(1, /*keepdim=*/true).sqrt();
  features_.copy_(torch::cat(blocks, 0) * norms);
}

torch::Tensor SelfAttentionImpl::performer_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                                     const torch::Tensor& padding, torch::Tensor* cls_weights) {
  const double scale = std::pow(static_cast<double>(q.size(-1)), -0.25);
  const auto w = features_.to(q.scalar_type());
  const auto phi_q = positive_features(q * scale, w, padding, /*is_query=*/true);   // [B, H, L, m]
  const auto phi_k = positive_features(k * scale, w, padding, /*is_query=*/false);  // [B, H, L, m]
  const auto kv = torch::matmul(phi_k.transpose(-2, -1), v);                         // [B, H, m, Dh]
  const auto k_sum = phi_k.sum(2).unsqueeze(-1);                                     // [B, H, m, 1]
  // clamp only matters for a row without any real key
  const auto denom = torch::matmul(phi_q, k_sum).clamp_min(1e-30);                  // [B, H, L, 1]
  if (cls_weights != nullptr) {
    torch::NoGradGuard no_grad;
    auto wts = torch::matmul(phi_q.narrow(2, 0, 1), phi_k.transpose(-2, -1)).squeeze(2);  // [B, H, L]
    wts = wts / wts.sum(-1, /*keepdim=*/true).clamp_min(1e-30);
    *cls_weights = wts.mean(1).detach();
  }
  return torch::matmul(phi_q, kv) / denom;
}

// ---- Linformer -----------------------------------------------------------------------------

torch::Tensor SelfAttentionImpl::linformer_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                                     const torch::Tensor& padding, const torch::Tensor& projection,
                                                     torch::Tensor* cls_weights) {
  if (!projection.defined()) {
    throw std::invalid_argument("linformer: no projection (the layer has none of its own and none was passed)");
  }
  const auto B = q.size(0), L = q.size(2), Dh = q.size(3);
  if (L > projection.size(1)) {
    throw std::invalid_argument("linformer: sequence length " + std::to_string(L) + " exceeds max_length " +
                                std::to_string(projection.size(1)));
  }
  const auto E = projection.narrow(1, 0, L).to(q.scalar_type());  // [k, L]
  const auto pad = padding.view({B, 1, L, 1});
  const auto kp = torch::matmul(E, k.masked_fill(pad, 0));        // [B, H, k, Dh]
  const auto vp = torch::matmul(E, v.masked_fill(pad, 0));        // [B, H, k, Dh]
  auto scores = torch::matmul(q, kp.transpose(-2, -1)) / std::sqrt(static_cast<double>(Dh));  // [B, H, L, k]
  // Slots that receive no real position (possible only for sparse E, e.g. the identity) hold a
  // zero key; they are masked so that they take no probability mass, which makes an identity
  // projection reproduce full attention exactly. A dense E never has such slots.
  const auto keep = padding.logical_not().to(q.scalar_type());  // [B, L]
  const auto abs_e = E.abs();
  const auto slot_mass = torch::matmul(keep, abs_e.t());        // [B, k]
  auto empty = slot_mass.le(0);
  empty = empty.logical_and(empty.all(-1, /*keepdim=*/true).logical_not());  // never mask every slot
  scores = scores.masked_fill(empty.view({B, 1, 1, -1}), -std::numeric_limits<double>::infinity());
  const auto attn = torch::softmax(scores, -1);
  if (cls_weights != nullptr) {
    // Slot i's CLS weight is spread over the real positions in proportion to |E_ij|: linear in L,
    // and the identity projection gives back the exact softmax weights.
    torch::NoGradGuard no_grad;
    const auto a = attn.narrow(2, 0, 1).squeeze(2) / slot_mass.clamp_min(1e-30).unsqueeze(1);  // [B, H, k]
    auto wts = torch::matmul(a, abs_e) * keep.unsqueeze(1);                                     // [B, H, L]
    wts = wts.mean(1);
    *cls_weights = (wts / wts.sum(-1, /*keepdim=*/true).clamp_min(1e-30)).detach();
  }
  return torch::matmul(attn, vp);
}

}  // namespace sclm
