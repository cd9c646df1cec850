// Tokenizers: a cell becomes a sequence of (gene token, value token) pairs.
//
//  kBins      scBERT: the cell's `max_tokens` most expressed vocabulary genes (ties by vocabulary
//             order), value = min(floor(bins_per_log2 * log2(1 + CP10k)), max_bin).
//  kValueBins scGPT: the cell's non-zero vocabulary genes (top `max_tokens` by expression) plus a
//             sampled share of its zero genes; value = per-cell quantile bin of the non-zero values
//             (1..max_bin), 0 for a zero.
//  kCounts    annATAC: like kBins, but the value is the count itself, min(ceil(value), max_bin)
//             (peak-island values 0..5 with max_bin = 5).
//  kRank      Geneformer: genes ordered by CP10k divided by the gene's median non-zero CP10k over
//             the pretraining corpus (gene_scale), top `max_tokens`; value = rank position
//             (0 = first), so the value embedding is Geneformer's positional embedding.
// full_length (kBins, kValueBins, kCounts): every vocabulary gene is a position, in vocabulary order,
// zeros included (value 0); max_tokens is ignored.
// Gene identity is carried by the gene token; a CLS token is added when batching.
//
// Precise definitions (tokenizer.cpp; tests/testthat/test-tokenizers.R re-implements them in R):
//  * A cell's value of vocabulary gene g is the sum of its entries in the rows mapped to g (one row
//    when the feature map is injective); only values > 0 count as expressed. The library size
//    `total` is the sum of all entries of the column, in the vocabulary or not; CP10k = value /
//    total * scale_factor.
//  * kValueBins quantile bins: let s_0 <= ... <= s_{n-1} be the cell's expressed vocabulary values
//    (all of them, not only the kept ones) and K = max_bin. The value of an expressed gene with
//    value x is #{ j in 0..K-1 : s[ceil((n-1) j / (K-1))] <= x }, in 1..K. This is exactly
//    numpy.digitize(x, numpy.quantile(s, numpy.linspace(0, 1, K))) (linear-interpolation
//    quantiles, right=False), i.e. scGPT's binning with side="one" and n_bins = max_bin + 1 (bin 0
//    is the zero bin): an interpolated edge lies strictly between two observed values, so x passes
//    it iff x >= the upper one. It is invariant under any increasing per-cell transform (CP10k,
//    log1p), so raw values are binned. Ties stay together (no random tie splitting), and the top
//    bin K holds only the cell's maximum value(s).
//  * kValueBins zeros: k = min(round_half_up(zero_share * n_kept), max_tokens - n_kept, n_zero)
//    of the cell's n_zero unexpressed vocabulary genes, a uniform random subset (Floyd's algorithm
//    on splitmix64 seeded by splitmix64(splitmix64(seed) XOR cell_id)), emitted in vocabulary order
//    after the expressed genes.
//  * kRank score: CP10k / gene_scale[g] (computed as value / total * scale_factor / gene_scale[g]).
//  * Ties in the top-k selections are broken by vocabulary order (lower index first).
#pragma once

#include <cstdint>
#include <vector>

#include "config/settings.h"
#include "data/cell_store.h"
#include "data/csc.h"

namespace sclm {

// Largest value token a tokenizer emits (before kBinTokenOffset): the value vocabulary of the model
// is 0..max_value(config, n_features).
// kBins, kValueBins, kCounts: max_bin; kRank: min(max_tokens, n_features) - 1 (at least 0);
// kSubvectors: 0.
int max_value(const TokenizerConfig& config, int n_features);

// Throws std::invalid_argument unless `store` is well formed (offsets from 0, non-decreasing, to
// the token count) with gene tokens of vocabulary genes 0..n_features-1 and value tokens of values
// 0..max_value: what a trainer checks in tokens it did not make itself.
void check_tokens(const TokenStore& store, int n_features, int max_value);

class Tokenizer {
 public:
  Tokenizer(TokenizerConfig config, std::vector<int> feature_map, int n_features);

  int n_features() const { return n_features_; }
  const TokenizerConfig& config() const { return config_; }

  // Value token (before kBinTokenOffset) of a raw value in a cell with library size `total`:
  // the expression bin (kBins) or the capped count (kCounts).
  int bin(double value, double total) const;

  // Appends cell `col` of `m` to `store`. `cell_id` seeds kValueBins' zero sampling (a negative
  // cell_id, the default, means col); give the cell's index in the whole data set so that the
  // tokens do not depend on batching.
  void tokenize(const CscView& m, int col, TokenStore& store, long cell_id = -1) const;

  // Appends columns [begin, end) of `m` to `store`, in order: the k-th of them with cell id
  // cell_ids[k] when given, else first_cell_id + k.
  void tokenize_columns(const CscView& m, int begin, int end, TokenStore& store, long first_cell_id,
                        const std::vector<long>& cell_ids = {}) const;

  // All columns, cell ids 0, 1, ...
  TokenStore tokenize_all(const CscView& m) const {
    TokenStore store;
    tokenize_columns(m, 0, m.n_cols, store, 0);
    return store;
  }

 private:
  TokenizerConfig config_;
  std::vector<int> feature_map_;  // input row -> vocabulary index or -1
  int n_features_;
  bool injective_ = true;  // no two rows map to the same vocabulary gene
};

}  // namespace sclm
