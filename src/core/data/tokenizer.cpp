#include "data/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/normalize.h"

namespace sclm {

namespace {

constexpr int kMaxBinLimit = 200;

// splitmix64 (Steele, Lea & Flood 2014): a hash and a small, portable generator whose output does
// not depend on the standard library (std::uniform_int_distribution is implementation-defined).
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    const std::uint64_t z = mix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return z;
  }
  // Uniform on 0..bound-1 (bound >= 1), without modulo bias.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  std::uint64_t state_;
};

// (value, vocabulary index) of an expressed gene.
using Expressed = std::pair<double, int>;

bool by_expression(const Expressed& a, const Expressed& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}
bool by_vocabulary(const Expressed& a, const Expressed& b) { return a.second < b.second; }

// Per-thread buffers reused across cells (tokenize runs once per cell at inference).
struct Scratch {
  std::vector<Expressed> expressed;
  std::vector<double> edges;
  std::vector<int> vocab_sorted;  // expressed vocabulary indices, ascending
  std::vector<int> picked;        // sampled zero ranks
  std::vector<std::uint8_t> mark;  // all zero between calls
};
thread_local Scratch scratch;

// K quantile edges of the expressed values: edges[j] = s[ceil((n-1) j / (K-1))] with s ascending,
// given `desc` sorted by decreasing value. A value's bin is the number of edges <= it.
void quantile_edges(const std::vector<Expressed>& desc, int K, std::vector<double>& edges) {
  const std::int64_t n = static_cast<std::int64_t>(desc.size());
  edges.resize(K);
  for (int j = 0; j < K; ++j) {
    const std::int64_t num = (n - 1) * j;
    const std::int64_t hi = (num + (K - 1) - 1) / (K - 1);  // ceil(num / (K-1)), num >= 0
    edges[j] = desc[n - 1 - hi].first;                       // s[hi]
  }
}

inline int quantile_bin(const std::vector<double>& edges, double x) {
  return static_cast<int>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin());
}

}  // namespace

int max_value(const TokenizerConfig& config, int n_features) {
  switch (config.kind) {
    case TokenizerKind::kBins:
    case TokenizerKind::kValueBins:
    case TokenizerKind::kCounts:
      return config.max_bin;
    case TokenizerKind::kRank:
      return std::max(0, std::min(config.max_tokens, n_features) - 1);
    case TokenizerKind::kSubvectors:
      return 0;
  }
  return config.max_bin;
}


Tokenizer::Tokenizer(TokenizerConfig config, std::vector<int> feature_map, int n_features)
    : config_(std::move(config)), feature_map_(std::move(feature_map)), n_features_(n_features) {
  if (n_features_ < 1) throw std::invalid_argument("the vocabulary must have at least one gene");
  if (config_.max_tokens < 1) throw std::invalid_argument("max_tokens must be at least 1");
  if (!(config_.scale_factor > 0) || !std::isfinite(config_.scale_factor))
    throw std::invalid_argument("scale_factor must be positive");
  switch (config_.kind) {
    case TokenizerKind::kBins:
      if (config_.max_bin < 1 || config_.max_bin > kMaxBinLimit)
        throw std::invalid_argument("max_bin must be between 1 and " + std::to_string(kMaxBinLimit));
      if (!(config_.bins_per_log2 > 0) || !std::isfinite(config_.bins_per_log2))
        throw std::invalid_argument("bins_per_log2 must be positive");
      break;
    case TokenizerKind::kCounts:
      if (config_.max_bin < 1 || config_.max_bin > kMaxBinLimit)
        throw std::invalid_argument("max_bin must be between 1 and " + std::to_string(kMaxBinLimit));
      break;
    case TokenizerKind::kValueBins:
      if (config_.max_bin < 2 || config_.max_bin > kMaxBinLimit)
        throw std::invalid_argument("max_bin must be between 2 and " + std::to_string(kMaxBinLimit) +
                                    " for the value-bin tokenizer");
      if (!(config_.zero_share >= 0 && config_.zero_share <= 10))
        throw std::invalid_argument("zero_share must be between 0 and 10");
      break;
    case TokenizerKind::kRank:
      if (config_.full_length)
        throw std::invalid_argument("full_length is not available with the rank tokenizer");
      if (static_cast<int>(config_.gene_scale.size()) != n_features_)
        throw std::invalid_argument("the rank tokenizer needs gene_scale with one entry per vocabulary gene (" +
                                    std::to_string(n_features_) + "), got " +
                                    std::to_string(config_.gene_scale.size()));
      for (float s : config_.gene_scale)
        if (!(s > 0) || !std::isfinite(s))
          throw std::invalid_argument("gene_scale entries must be positive and finite");
      break;
    case TokenizerKind::kSubvectors:
      throw std::invalid_argument("SCTrans models read expression sub-vectors, not tokens");
    default:
      throw std::invalid_argument("unknown tokenizer kind");
  }
  check_feature_map(feature_map_, n_features_);
  std::vector<std::uint8_t> seen(n_features_, 0);
  for (int f : feature_map_)
    if (f >= 0) {
      if (seen[f]) injective_ = false;
      seen[f] = 1;
    }
}

int Tokenizer::bin(double value, double total) const {
  if (config_.kind == TokenizerKind::kCounts)
    return static_cast<int>(std::min<double>(std::max(std::ceil(value), 0.0), config_.max_bin));
  const double level = std::floor(config_.bins_per_log2 * log2_cp(value, total, config_.scale_factor));
  return static_cast<int>(std::min<double>(std::max(level, 0.0), config_.max_bin));
}

void Tokenizer::tokenize(const CscView& m, int col, TokenStore& store, long cell_id) const {
  if (static_cast<int>(feature_map_.size()) != m.n_rows)
    throw std::invalid_argument("feature map length differs from the number of matrix rows");
  if (col < 0 || col >= m.n_cols) throw std::invalid_argument("cell index out of range");
  const double total = column_total(m, col);
  const auto push = [&store](int gene, int value) {
    store.genes.push_back(gene + kGeneTokenOffset);
    store.values.push_back(static_cast<std::int32_t>(value + kBinTokenOffset));
  };

  auto& expressed = scratch.expressed;
  expressed.clear();
  for (int k = m.col_begin(col); k < m.col_end(col); ++k) {
    const int f = feature_map_[m.i[k]];
    if (f >= 0 && m.x[k] > 0) expressed.emplace_back(m.x[k], f);
  }
  if (!injective_ && !expressed.empty()) {  // one entry per vocabulary gene: sum the rows mapped to it
    std::sort(expressed.begin(), expressed.end(), by_vocabulary);
    std::size_t out = 0;
    for (std::size_t t = 0; t < expressed.size(); ++t) {
      if (out > 0 && expressed[out - 1].second == expressed[t].second)
        expressed[out - 1].first += expressed[t].first;
      else
        expressed[out++] = expressed[t];
    }
    expressed.resize(out);
  }
  const std::size_t n_expressed = expressed.size();

  if (config_.full_length) {  // kBins, kValueBins or kCounts (kRank rejected by the constructor)
    const std::size_t base = store.genes.size();
    store.genes.resize(base + n_features_);
    store.values.resize(base + n_features_, kBinTokenOffset);  // value 0
    for (int g = 0; g < n_features_; ++g) store.genes[base + g] = g + kGeneTokenOffset;
    if (config_.kind == TokenizerKind::kValueBins && n_expressed > 0) {
      std::sort(expressed.begin(), expressed.end(), by_expression);
      quantile_edges(expressed, config_.max_bin, scratch.edges);
      for (const auto& e : expressed)
        store.values[base + e.second] = quantile_bin(scratch.edges, e.first) + kBinTokenOffset;
    } else {
      for (const auto& e : expressed) store.values[base + e.second] = bin(e.first, total) + kBinTokenOffset;
    }
    store.offsets.push_back(static_cast<std::int64_t>(store.genes.size()));
    return;
  }

  const std::size_t keep = std::min<std::size_t>(n_expressed, config_.max_tokens);
  switch (config_.kind) {
    case TokenizerKind::kBins:
    case TokenizerKind::kCounts: {
      std::partial_sort(expressed.begin(), expressed.begin() + keep, expressed.end(), by_expression);
      for (std::size_t t = 0; t < keep; ++t) push(expressed[t].second, bin(expressed[t].first, total));
      break;
    }
    case TokenizerKind::kRank: {
      // rank by score, carried in place of the value
      for (auto& e : expressed)
        e.first = e.first / total * config_.scale_factor / static_cast<double>(config_.gene_scale[e.second]);
      std::partial_sort(expressed.begin(), expressed.begin() + keep, expressed.end(), by_expression);
      for (std::size_t t = 0; t < keep; ++t) push(expressed[t].second, static_cast<int>(t));
      break;
    }
    case TokenizerKind::kValueBins: {
      if (n_expressed == 0) break;
      std::sort(expressed.begin(), expressed.end(), by_expression);
      quantile_edges(expressed, config_.max_bin, scratch.edges);
      for (std::size_t t = 0; t < keep; ++t)
        push(expressed[t].second, quantile_bin(scratch.edges, expressed[t].first));
      // zeros: a uniform subset of the unexpressed vocabulary genes, in vocabulary order
      const std::int64_t n_zero = static_cast<std::int64_t>(n_features_) - static_cast<std::int64_t>(n_expressed);
      const double wanted = std::floor(config_.zero_share * static_cast<double>(keep) + 0.5);
      const std::int64_t k = std::min<std::int64_t>(
          {static_cast<std::int64_t>(wanted), static_cast<std::int64_t>(config_.max_tokens - keep), n_zero});
      if (k <= 0) break;
      const std::uint64_t id = static_cast<std::uint64_t>(cell_id < 0 ? static_cast<long>(col) : cell_id);
      SplitMix64 rng(mix64(mix64(config_.seed) ^ id));
      auto& mark = scratch.mark;
      if (mark.size() < static_cast<std::size_t>(n_zero)) mark.resize(n_zero, 0);
      auto& picked = scratch.picked;
      picked.clear();
      for (std::int64_t j = n_zero - k; j < n_zero; ++j) {  // Floyd: k distinct ranks in 0..n_zero-1
        const auto t = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(j) + 1));
        const std::int64_t r = mark[t] ? j : t;
        mark[r] = 1;
        picked.push_back(static_cast<int>(r));
      }
      for (int r : picked) mark[r] = 0;
      std::sort(picked.begin(), picked.end());
      // rank r -> the r-th unexpressed vocabulary gene
      auto& vocab = scratch.vocab_sorted;
      vocab.clear();
      for (const auto& e : expressed) vocab.push_back(e.second);
      std::sort(vocab.begin(), vocab.end());
      std::size_t p = 0;
      for (int r : picked) {
        while (p < vocab.size() && vocab[p] <= r + static_cast<int>(p)) ++p;
        push(r + static_cast<int>(p), 0);
      }
      break;
    }
    case TokenizerKind::kSubvectors:
      break;  // refused by the constructor
  }
  store.offsets.push_back(static_cast<std::int64_t>(store.genes.size()));
}

void check_tokens(const TokenStore& store, int n_features, int max_value) {
  const auto n = static_cast<std::int64_t>(store.genes.size());
  if (store.values.size() != store.genes.size()) throw std::invalid_argument("tokens: one value per gene token is needed");
  check_cell_offsets(store.offsets, n, "tokens");
  for (std::int64_t k = 0; k < n; ++k) {
    const int gene = store.genes[k] - kGeneTokenOffset, value = store.values[k] - kBinTokenOffset;
    if (gene < 0 || gene >= n_features) throw std::invalid_argument("tokens: a gene token is outside the vocabulary");
    if (value < 0 || value > max_value) throw std::invalid_argument("tokens: a value token is outside the value range");
  }
}

void Tokenizer::tokenize_columns(const CscView& m, int begin, int end, TokenStore& store, long first_cell_id,
                                 const std::vector<long>& cell_ids) const {
  for (int j = begin; j < end; ++j) tokenize(m, j, store, cell_ids.empty() ? first_cell_id + (j - begin) : cell_ids[j - begin]);
}

}  // namespace sclm
