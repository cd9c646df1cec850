#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "data/normalize.h"
#include "data/tokenizer.h"
#include "real_data.h"

using namespace sclm;

TEST(Tokenizer, BinsAreFlooredLog2CpAndCapped) {
  Tokenizer tok({/*max_tokens=*/10, /*max_bin=*/5, 1e4, /*bins_per_log2=*/1.0}, {0}, 1);
  EXPECT_EQ(tok.bin(1, 10000), 1);           // log2(2) = 1
  EXPECT_EQ(tok.bin(2, 10000), 1);           // log2(3) = 1.58
  EXPECT_EQ(tok.bin(3, 10000), 2);           // log2(4) = 2
  EXPECT_EQ(tok.bin(1000, 10000), 5);        // log2(1001) ~ 9.97, capped
  Tokenizer wide({10, 12, 1e4, 1.0}, {0}, 1);
  EXPECT_EQ(wide.bin(1000, 10000), 9);
  Tokenizer fine({10, 30, 1e4, /*bins_per_log2=*/2.0}, {0}, 1);
  EXPECT_EQ(fine.bin(2, 10000), 3);           // 2 * log2(3) = 3.17
  EXPECT_EQ(fine.bin(1000, 10000), 19);       // 2 * 9.97
}

TEST(Tokenizer, KeepsTopExpressedVocabularyGenesWithTiesByVocabularyOrder) {
  // one cell, rows: 0..4; row 2 is not in the vocabulary
  std::vector<int> p{0, 5}, i{0, 1, 2, 3, 4};
  std::vector<double> x{3, 7, 100, 3, 1};
  CscView m{p.data(), i.data(), x.data(), 5, 1};
  Tokenizer tok({/*max_tokens=*/3, 10, 1e4, 1.0}, {3, 0, -1, 1, 2}, 4);
  TokenStore store;
  tok.tokenize(m, 0, store);
  ASSERT_EQ(store.length(0), 3);
  // values: vocab0 = 7, vocab1 = 3 (row 3), vocab3 = 3 (row 0): tie -> lower vocab index first
  EXPECT_EQ(store.genes[0], 0 + kGeneTokenOffset);
  EXPECT_EQ(store.genes[1], 1 + kGeneTokenOffset);
  EXPECT_EQ(store.genes[2], 3 + kGeneTokenOffset);
  const double total = 114;  // library size counts every row, in the vocabulary or not
  EXPECT_EQ(store.values[0], static_cast<int>(std::floor(std::log2(1 + 7 / total * 1e4))) + kBinTokenOffset);
}

TEST(Tokenizer, RejectsFeatureMapOutsideVocabulary) {
  EXPECT_THROW(Tokenizer({}, {0, 5}, 3), std::invalid_argument);
  EXPECT_THROW(Tokenizer({0, 10, 1e4}, {0}, 1), std::invalid_argument);
}

TEST(Tokenizer, TokenizesRealCellsWithinLimits) {
  const auto d = sclm_test::load_pbmc_subset();
  Tokenizer tok({64, 10, 1e4}, d.identity_map(), d.n_rows);
  const auto store = tok.tokenize_all(d.view());
  ASSERT_EQ(store.n_cells(), d.n_cols);
  for (int c = 0; c < store.n_cells(); ++c) {
    const int expressed = d.p[c + 1] - d.p[c];
    EXPECT_EQ(store.length(c), std::min(64, expressed));
    std::set<int> unique;
    for (auto k = store.offsets[c]; k < store.offsets[c + 1]; ++k) {
      unique.insert(store.genes[k]);
      EXPECT_GE(store.values[k], kBinTokenOffset);
      EXPECT_LE(store.values[k], 10 + kBinTokenOffset);
    }
    EXPECT_EQ(static_cast<int>(unique.size()), store.length(c));
  }
}

// ---- helpers for the tokenizer kinds ----------------------------------------------------------

namespace {

// Dense features x cells -> CSC arrays (kept alive by the struct).
struct SmallCsc {
  std::vector<int> p{0}, i;
  std::vector<double> x;
  int n_rows = 0, n_cols = 0;
  explicit SmallCsc(const std::vector<std::vector<double>>& cols) {
    n_cols = static_cast<int>(cols.size());
    n_rows = cols.empty() ? 0 : static_cast<int>(cols[0].size());
    for (const auto& c : cols) {
      for (int r = 0; r < n_rows; ++r)
        if (c[r] != 0) {
          i.push_back(r);
          x.push_back(c[r]);
        }
      p.push_back(static_cast<int>(i.size()));
    }
  }
  CscView view() const { return {p.data(), i.data(), x.data(), n_rows, n_cols}; }
};

std::vector<int> cell_genes(const TokenStore& s, int c) {
  return {s.genes.begin() + s.offsets[c], s.genes.begin() + s.offsets[c + 1]};
}
std::vector<int> cell_values(const TokenStore& s, int c) {
  return {s.values.begin() + s.offsets[c], s.values.begin() + s.offsets[c + 1]};
}

TokenizerConfig value_bins(int max_tokens, int max_bin, double zero_share = 0, std::uint64_t seed = 1,
                           bool full = false) {
  TokenizerConfig c;
  c.kind = TokenizerKind::kValueBins;
  c.max_tokens = max_tokens;
  c.max_bin = max_bin;
  c.zero_share = zero_share;
  c.seed = seed;
  c.full_length = full;
  return c;
}

TokenizerConfig rank_config(int max_tokens, std::vector<float> scale) {
  TokenizerConfig c;
  c.kind = TokenizerKind::kRank;
  c.max_tokens = max_tokens;
  c.gene_scale = std::move(scale);
  return c;
}

// Brute force numpy.quantile (linear) + numpy.digitize(right = False).
int numpy_bin(std::vector<double> s, int K, double x) {
  std::sort(s.begin(), s.end());
  const int n = static_cast<int>(s.size());
  int bin = 0;
  for (int j = 0; j < K; ++j) {
    const double h = (n - 1) * (static_cast<double>(j) / (K - 1));
    const int lo = static_cast<int>(std::floor(h));
    const int hi = std::min(lo + 1, n - 1);
    const double f = h - lo;
    const double edge = f == 0 ? s[lo] : (1 - f) * s[lo] + f * s[hi];
    if (edge <= x) ++bin;
  }
  return bin;
}

}  // namespace

// ---- kBins full length ------------------------------------------------------------------------

TEST(Tokenizer, BinsFullLengthCoversVocabularyInOrder) {
  SmallCsc m({{3, 7, 100, 0, 1}});
  TokenizerConfig c{/*max_tokens=*/2, 10, 1e4, 1.0};
  c.full_length = true;
  Tokenizer tok(c, {3, 0, -1, 1, 2}, 5);
  TokenStore store;
  tok.tokenize(m.view(), 0, store);
  ASSERT_EQ(store.length(0), 5);
  const double total = 111;
  for (int g = 0; g < 5; ++g) EXPECT_EQ(store.genes[g], g + kGeneTokenOffset);
  EXPECT_EQ(store.values[0], tok.bin(7, total) + kBinTokenOffset);  // vocab 0 = row 1
  EXPECT_EQ(store.values[1], kBinTokenOffset);                      // vocab 1 = row 3 (zero)
  EXPECT_EQ(store.values[2], tok.bin(1, total) + kBinTokenOffset);  // vocab 2 = row 4
  EXPECT_EQ(store.values[3], tok.bin(3, total) + kBinTokenOffset);  // vocab 3 = row 0
  EXPECT_EQ(store.values[4], kBinTokenOffset);                      // vocab 4 unmapped
  EXPECT_EQ(max_value(c, 5), 10);
}

TEST(Tokenizer, NonInjectiveMapSumsRowsWithoutCrashing) {
  SmallCsc m({{2, 5, 1}});
  TokenizerConfig c{10, 10, 1e4, 1.0};
  Tokenizer tok(c, {0, 1, 0}, 2);
  TokenStore store;
  tok.tokenize(m.view(), 0, store);
  ASSERT_EQ(store.length(0), 2);
  EXPECT_EQ(store.genes[0], 1 + kGeneTokenOffset);  // 5 > 2 + 1
  EXPECT_EQ(store.genes[1], 0 + kGeneTokenOffset);
  EXPECT_EQ(store.values[1], tok.bin(3, 8) + kBinTokenOffset);
  c.full_length = true;
  Tokenizer full(c, {0, 1, 0}, 2);
  TokenStore s2;
  full.tokenize(m.view(), 0, s2);
  EXPECT_EQ(s2.length(0), 2);
}

// ---- kValueBins -------------------------------------------------------------------------------

TEST(Tokenizer, ValueBinsAreNumpyQuantileDigitize) {
  // values 1..10 in one cell, 5 quantile bins: edges at quantiles 0, .25, .5, .75, 1 = 1, 3.25, 5.5, 7.75, 10
  std::vector<double> col(12, 0);
  for (int r = 0; r < 10; ++r) col[r] = r + 1;
  SmallCsc m({col});
  std::vector<int> map(12);
  for (int r = 0; r < 12; ++r) map[r] = r;
  Tokenizer tok(value_bins(100, 5), map, 12);
  TokenStore store;
  tok.tokenize(m.view(), 0, store);
  ASSERT_EQ(store.length(0), 10);  // no zeros sampled (zero_share 0)
  const std::vector<int> expected_bins{1, 1, 1, 2, 2, 3, 3, 4, 4, 5};  // for values 1..10
  for (int t = 0; t < 10; ++t) {
    const int gene = store.genes[t] - kGeneTokenOffset;
    EXPECT_EQ(gene, 9 - t);  // by decreasing expression
    EXPECT_EQ(store.values[t] - kBinTokenOffset, expected_bins[gene]) << "value " << gene + 1;
  }
  EXPECT_EQ(max_value(value_bins(100, 5), 12), 5);
}

TEST(Tokenizer, ValueBinsMatchBruteForceOnTiesAndTopK) {
  // ties, many bins (more bins than values), truncation to max_tokens
  const std::vector<double> vals{1, 1, 1, 2, 2, 5, 9, 9, 30, 1, 0, 0, 4};
  SmallCsc m({vals});
  std::vector<int> map(vals.size());
  for (std::size_t r = 0; r < vals.size(); ++r) map[r] = static_cast<int>(vals.size() - 1 - r);  // reversed vocab
  std::vector<double> nz;
  for (double v : vals)
    if (v > 0) nz.push_back(v);
  for (int K : {2, 3, 7, 11, 30}) {
    Tokenizer tok(value_bins(6, K), map, static_cast<int>(vals.size()));
    TokenStore store;
    tok.tokenize(m.view(), 0, store);
    ASSERT_EQ(store.length(0), 6);
    double prev = 1e9;
    int prev_gene = -1;
    for (int t = 0; t < 6; ++t) {
      const int gene = store.genes[t] - kGeneTokenOffset;
      const int row = static_cast<int>(vals.size()) - 1 - gene;
      const double v = vals[row];
      EXPECT_TRUE(v < prev || (v == prev && gene > prev_gene));
      prev = v;
      prev_gene = gene;
      const int b = store.values[t] - kBinTokenOffset;
      EXPECT_EQ(b, numpy_bin(nz, K, v)) << "K " << K << " value " << v;
      EXPECT_GE(b, 1);
      EXPECT_LE(b, K);
    }
  }
}

TEST(Tokenizer, ValueBinsSampleZerosDeterministically) {
  // 3 cells over 40 genes; cell 0 has 4 expressed genes
  std::vector<std::vector<double>> cols(3, std::vector<double>(40, 0));
  cols[0][3] = 5, cols[0][10] = 2, cols[0][11] = 1, cols[0][39] = 8;
  cols[1][0] = 1, cols[1][1] = 1;
  cols[2][7] = 3;
  SmallCsc m(cols);
  std::vector<int> map(40);
  for (int r = 0; r < 40; ++r) map[r] = r;
  Tokenizer tok(value_bins(7, 10, /*zero_share=*/1.0, /*seed=*/42), map, 40);
  const auto all = tok.tokenize_all(m.view());
  // cell 0: 4 expressed, min(round(1 * 4), 7 - 4, 36) = 3 zeros
  ASSERT_EQ(all.length(0), 7);
  const auto g0 = cell_genes(all, 0), v0 = cell_values(all, 0);
  EXPECT_EQ(g0[0], 39 + kGeneTokenOffset);
  EXPECT_EQ(g0[3], 11 + kGeneTokenOffset);
  std::set<int> zeros;
  for (int t = 4; t < 7; ++t) {
    EXPECT_EQ(v0[t], kBinTokenOffset);
    const int gene = g0[t] - kGeneTokenOffset;
    EXPECT_EQ(cols[0][gene], 0);
    if (t > 4) {
      EXPECT_GT(g0[t], g0[t - 1]);  // vocabulary order
    }
    zeros.insert(gene);
  }
  EXPECT_EQ(zeros.size(), 3u);
  EXPECT_EQ(all.length(1), 4);  // 2 expressed + 2 zeros
  EXPECT_EQ(all.length(2), 2);
  // same cell id, tokenized alone or with others: same tokens
  TokenStore again;
  tok.tokenize(m.view(), 0, again, 0);
  EXPECT_EQ(cell_genes(again, 0), g0);
  TokenStore batch;
  tok.tokenize(m.view(), 1, batch, 1);
  tok.tokenize(m.view(), 0, batch, 0);
  EXPECT_EQ(cell_genes(batch, 1), g0);
  // another cell id or seed usually gives another sample
  int differ = 0;
  for (long id = 1; id <= 20; ++id) {
    TokenStore s;
    tok.tokenize(m.view(), 0, s, id);
    differ += cell_genes(s, 0) != g0;
  }
  EXPECT_GE(differ, 15);
  // zero_share caps: 0.5 * 4 = 2 zeros
  Tokenizer half(value_bins(100, 10, 0.5, 42), map, 40);
  TokenStore hs;
  half.tokenize(m.view(), 0, hs);
  EXPECT_EQ(hs.length(0), 6);
}

TEST(Tokenizer, ValueBinsZeroSamplingIsUniformish) {
  // one expressed gene, 1 zero out of 9 sampled per cell id: each zero gene picked ~1/9 of the time
  std::vector<double> col(10, 0);
  col[4] = 2;
  SmallCsc m({col});
  std::vector<int> map(10);
  for (int r = 0; r < 10; ++r) map[r] = r;
  Tokenizer tok(value_bins(5, 10, 1.0, 7), map, 10);
  std::vector<int> counts(10, 0);
  for (long id = 0; id < 9000; ++id) {
    TokenStore s;
    tok.tokenize(m.view(), 0, s, id);
    ASSERT_EQ(s.length(0), 2);
    counts[s.genes[1] - kGeneTokenOffset]++;
  }
  EXPECT_EQ(counts[4], 0);
  for (int g = 0; g < 10; ++g)
    if (g != 4) {
      EXPECT_NEAR(counts[g], 1000, 150);
    }
}

TEST(Tokenizer, ValueBinsFullLength) {
  SmallCsc m({{0, 4, 1, 0, 9}});
  Tokenizer tok(value_bins(2, 3, 5.0, 1, /*full=*/true), {2, 0, 4, -1, 1}, 6);
  TokenStore store;
  tok.tokenize(m.view(), 0, store);
  ASSERT_EQ(store.length(0), 6);
  // non-zero values 1, 4, 9; 3 bins: edges 1, 4, 9 -> bins 1, 2, 3
  const std::vector<int> expected{2, 3, 0, 0, 1, 0};  // vocab 0 = row 1 (4), vocab 1 = row 4 (9), vocab 4 = row 2 (1)
  for (int g = 0; g < 6; ++g) {
    EXPECT_EQ(store.genes[g], g + kGeneTokenOffset);
    EXPECT_EQ(store.values[g] - kBinTokenOffset, expected[g]) << g;
  }
}

TEST(Tokenizer, ValueBinsOnRealCells) {
  const auto d = sclm_test::load_pbmc_subset();
  const int K = 20;
  Tokenizer tok(value_bins(128, K, 0.5, 3), d.identity_map(), d.n_rows);
  const auto store = tok.tokenize_all(d.view());
  ASSERT_EQ(store.n_cells(), d.n_cols);
  double mean_distinct = 0;
  for (int c = 0; c < store.n_cells(); ++c) {
    const int expressed = d.p[c + 1] - d.p[c];
    const int kept = std::min(128, expressed);
    const int zeros = std::min({static_cast<int>(std::floor(0.5 * kept + 0.5)), 128 - kept, d.n_rows - expressed});
    ASSERT_EQ(store.length(c), kept + zeros);
    std::set<int> unique;
    std::vector<int> per_bin(K + 1, 0);
    std::vector<double> nz(d.x.begin() + d.p[c], d.x.begin() + d.p[c + 1]);
    for (int t = 0; t < store.length(c); ++t) {
      const auto k = store.offsets[c] + t;
      unique.insert(store.genes[k]);
      const int v = store.values[k] - kBinTokenOffset;
      if (t < kept) {
        EXPECT_GE(v, 1);
        EXPECT_LE(v, K);
      } else {
        EXPECT_EQ(v, 0);
      }
    }
    EXPECT_EQ(static_cast<int>(unique.size()), store.length(c));
    // balance over all expressed genes (full-length view): bins roughly follow the quantiles
    for (double x : nz) per_bin[numpy_bin(nz, K, x)]++;
    int distinct = 0;
    for (int b = 1; b <= K; ++b) distinct += per_bin[b] > 0;
    mean_distinct += distinct;
    // no bin holds much more than its share, apart from ties (count data: many equal values)
    std::map<double, int> ties;
    for (double x : nz) ties[x]++;
    int max_tie = 0;
    for (const auto& kv : ties) max_tie = std::max(max_tie, kv.second);
    for (int b = 1; b <= K; ++b) EXPECT_LE(per_bin[b], std::max(max_tie, 2 * static_cast<int>(nz.size()) / (K - 1) + 2));
  }
  mean_distinct /= store.n_cells();
  EXPECT_GE(mean_distinct, 5);  // count data ties collapse bins, but several remain used

  // full length and tokens independent of the batch they are tokenized in
  Tokenizer full(value_bins(128, K, 0, 3, true), d.identity_map(), d.n_rows);
  TokenStore fs;
  full.tokenize(d.view(), 0, fs);
  full.tokenize(d.view(), 5, fs);
  EXPECT_EQ(fs.length(0), d.n_rows);
  EXPECT_EQ(fs.length(1), d.n_rows);
  for (int c : {0, 7, 21}) {
    TokenStore alone;
    tok.tokenize(d.view(), c, alone);
    EXPECT_EQ(cell_genes(alone, 0), cell_genes(store, c));
    EXPECT_EQ(cell_values(alone, 0), cell_values(store, c));
    // the non-zero part agrees with the full-length values
    TokenStore fl;
    full.tokenize(d.view(), c, fl);
    const auto g = cell_genes(store, c), v = cell_values(store, c);
    for (std::size_t t = 0; t < g.size(); ++t) EXPECT_EQ(fl.values[g[t] - kGeneTokenOffset], v[t]);
  }
}

// ---- kRank ------------------------------------------------------------------------------------

TEST(Tokenizer, RankOrdersByScaledExpression) {
  // rows -> vocab {1, 0, 2, 3}; scales make vocab 3 (value 1) the top gene
  SmallCsc m({{10, 4, 0, 1}});
  Tokenizer tok(rank_config(3, {2.0f, 1.0f, 1.0f, 0.05f}), {1, 0, 2, 3}, 4);
  TokenStore store;
  tok.tokenize(m.view(), 0, store);
  // scores (over CP10k / scale): vocab1 10 / 1, vocab0 4 / 2, vocab3 1 / 0.05 = 20
  ASSERT_EQ(store.length(0), 3);
  EXPECT_EQ(cell_genes(store, 0), (std::vector<int>{3 + kGeneTokenOffset, 1 + kGeneTokenOffset, 0 + kGeneTokenOffset}));
  EXPECT_EQ(cell_values(store, 0), (std::vector<int>{kBinTokenOffset, 1 + kBinTokenOffset, 2 + kBinTokenOffset}));
  EXPECT_EQ(max_value(rank_config(3, {}), 4), 2);
  EXPECT_EQ(max_value(rank_config(300, {}), 4), 3);
  // ties by vocabulary order
  SmallCsc tie({{2, 1, 1, 1}});
  Tokenizer t2(rank_config(4, {1, 1, 1, 0.5f}), {2, 3, 1, 0}, 4);
  TokenStore s2;
  t2.tokenize(tie.view(), 0, s2);
  // scores: vocab2 2, vocab3 1 / 0.5 = 2, vocab1 1, vocab0 1 -> vocab2, vocab3 (tie at 2), vocab0, vocab1 (tie at 1)
  EXPECT_EQ(cell_genes(s2, 0), (std::vector<int>{2 + kGeneTokenOffset, 3 + kGeneTokenOffset, 0 + kGeneTokenOffset,
                                                 1 + kGeneTokenOffset}));
}

TEST(Tokenizer, RankOnRealCellsFollowsScores) {
  const auto d = sclm_test::load_pbmc_subset();
  const auto map = d.identity_map();
  const auto scale = nonzero_medians({{d.view(), &map}}, d.n_rows, 1e4);
  Tokenizer tok(rank_config(100, scale), map, d.n_rows);
  const auto store = tok.tokenize_all(d.view());
  for (int c = 0; c < store.n_cells(); ++c) {
    const double total = column_total(d.view(), c);
    std::vector<std::pair<double, int>> scores;  // (-score, gene): ascending = rank order
    for (int k = d.p[c]; k < d.p[c + 1]; ++k)
      if (d.x[k] > 0) scores.emplace_back(-(d.x[k] / total * 1e4 / static_cast<double>(scale[d.i[k]])), d.i[k]);
    std::sort(scores.begin(), scores.end());
    const int kept = std::min<int>(100, static_cast<int>(scores.size()));
    ASSERT_EQ(store.length(c), kept);
    for (int t = 0; t < kept; ++t) {
      EXPECT_EQ(store.genes[store.offsets[c] + t], scores[t].second + kGeneTokenOffset);
      EXPECT_EQ(store.values[store.offsets[c] + t], t + kBinTokenOffset);
    }
  }
}

TEST(Tokenizer, RejectsInvalidConfigurations) {
  EXPECT_THROW(Tokenizer(rank_config(10, {}), {0, 1}, 2), std::invalid_argument);           // no gene_scale
  EXPECT_THROW(Tokenizer(rank_config(10, {1, 0}), {0, 1}, 2), std::invalid_argument);       // non-positive
  auto rank_full = rank_config(10, {1, 1});
  rank_full.full_length = true;
  EXPECT_THROW(Tokenizer(rank_full, {0, 1}, 2), std::invalid_argument);
  EXPECT_THROW(Tokenizer(value_bins(10, 1), {0}, 1), std::invalid_argument);               // max_bin < 2
  EXPECT_THROW(Tokenizer(value_bins(10, 10, -0.5), {0}, 1), std::invalid_argument);
  EXPECT_THROW(Tokenizer(value_bins(10, 10, 11), {0}, 1), std::invalid_argument);
  EXPECT_NO_THROW(Tokenizer(value_bins(10, 10, 10), {0}, 1));
  try {
    Tokenizer(rank_config(10, {1.0f}), {0, 1}, 2);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gene_scale"), std::string::npos);
  }
}

// ---- nonzero_medians --------------------------------------------------------------------------

TEST(Tokenizer, NonzeroMediansMatchBruteForce) {
  const auto d = sclm_test::load_pbmc_subset();
  // two matrices: the subset under a shuffled partial vocabulary, and a small hand-made one
  const int n_features = d.n_rows / 2 + 7;
  std::vector<int> map(d.n_rows, -1);
  for (int r = 0; r < d.n_rows; ++r)
    if (r % 2 == 0) map[r] = (r / 2 * 37) % (d.n_rows / 2 + 1);  // shuffled; duplicates dropped below
  {
    std::set<int> used;
    for (int r = 0; r < d.n_rows; ++r)
      if (map[r] >= 0 && !used.insert(map[r]).second) map[r] = -1;
  }
  SmallCsc small({{1, 0, 3}, {2, 2, 0}, {0, 5, 0}});
  const std::vector<int> small_map{0, n_features - 1, 2};
  const auto med = nonzero_medians({{d.view(), &map}, {small.view(), &small_map}}, n_features, 1e4);
  ASSERT_EQ(static_cast<int>(med.size()), n_features);
  std::vector<std::vector<double>> vals(n_features);
  const auto collect = [&vals](const CscView& m, const std::vector<int>& fm) {
    for (int j = 0; j < m.n_cols; ++j) {
      double total = 0;
      for (int k = m.p[j]; k < m.p[j + 1]; ++k) total += m.x[k];
      for (int k = m.p[j]; k < m.p[j + 1]; ++k)
        if (fm[m.i[k]] >= 0 && m.x[k] > 0) vals[fm[m.i[k]]].push_back(m.x[k] / total * 1e4);
    }
  };
  collect(d.view(), map);
  collect(small.view(), small_map);
  int seen = 0;
  for (int g = 0; g < n_features; ++g) {
    auto v = vals[g];
    if (v.empty()) {
      EXPECT_EQ(med[g], 1.0f);
      continue;
    }
    ++seen;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double expected = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    EXPECT_FLOAT_EQ(med[g], static_cast<float>(expected)) << g;
  }
  EXPECT_GT(seen, 50);
  // the small matrix alone: vocab 0: 2500, 5000; vocab 2: 7500; vocab 3: 5000, 10000
  const std::vector<int> map4{0, 3, 2};
  const auto m4 = nonzero_medians({{small.view(), &map4}}, 5, 1e4);
  EXPECT_EQ(m4, (std::vector<float>{3750, 1, 7500, 7500, 1}));
  EXPECT_THROW(nonzero_medians({{small.view(), &map4}}, 3, 1e4), std::invalid_argument);
  const std::vector<int> short_map{0, 1};
  EXPECT_THROW(nonzero_medians({{small.view(), &short_map}}, 5, 1e4), std::invalid_argument);
}
