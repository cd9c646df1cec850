#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/normalize.h"
#include "data/tokenizer.h"
#include "real_data.h"

using namespace sclm;

TEST(BinTokenizer, BinsAreFlooredLog2CpAndCapped) {
  BinTokenizer tok({/*max_tokens=*/10, /*max_bin=*/5, 1e4, /*bins_per_log2=*/1.0}, {0}, 1);
  EXPECT_EQ(tok.bin(1, 10000), 1);           // log2(2) = 1
  EXPECT_EQ(tok.bin(2, 10000), 1);           // log2(3) = 1.58
  EXPECT_EQ(tok.bin(3, 10000), 2);           // log2(4) = 2
  EXPECT_EQ(tok.bin(1000, 10000), 5);        // log2(1001) ~ 9.97, capped
  BinTokenizer wide({10, 12, 1e4, 1.0}, {0}, 1);
  EXPECT_EQ(wide.bin(1000, 10000), 9);
  BinTokenizer fine({10, 30, 1e4, /*bins_per_log2=*/2.0}, {0}, 1);
  EXPECT_EQ(fine.bin(2, 10000), 3);           // 2 * log2(3) = 3.17
  EXPECT_EQ(fine.bin(1000, 10000), 19);       // 2 * 9.97
}

TEST(BinTokenizer, KeepsTopExpressedVocabularyGenesWithTiesByVocabularyOrder) {
  // one cell, rows: 0..4; row 2 is not in the vocabulary
  std::vector<int> p{0, 5}, i{0, 1, 2, 3, 4};
  std::vector<double> x{3, 7, 100, 3, 1};
  CscView m{p.data(), i.data(), x.data(), 5, 1};
  BinTokenizer tok({/*max_tokens=*/3, 10, 1e4, 1.0}, {3, 0, -1, 1, 2}, 4);
  TokenStore store;
  tok.tokenize(m, 0, store);
  ASSERT_EQ(store.length(0), 3);
  // values: vocab0 = 7, vocab1 = 3 (row 3), vocab3 = 3 (row 0): tie -> lower vocab index first
  EXPECT_EQ(store.genes[0], 0 + kGeneTokenOffset);
  EXPECT_EQ(store.genes[1], 1 + kGeneTokenOffset);
  EXPECT_EQ(store.genes[2], 3 + kGeneTokenOffset);
  const double total = 114;  // library size counts every row, in the vocabulary or not
  EXPECT_EQ(store.bins[0], static_cast<int>(std::floor(std::log2(1 + 7 / total * 1e4))) + kBinTokenOffset);
}

TEST(BinTokenizer, RejectsFeatureMapOutsideVocabulary) {
  EXPECT_THROW(BinTokenizer({}, {0, 5}, 3), std::invalid_argument);
  EXPECT_THROW(BinTokenizer({0, 10, 1e4}, {0}, 1), std::invalid_argument);
}

TEST(BinTokenizer, TokenizesRealCellsWithinLimits) {
  const auto d = sclm_test::load_pbmc_subset();
  BinTokenizer tok({64, 10, 1e4}, d.identity_map(), d.n_rows);
  const auto store = tok.tokenize_all(d.view());
  ASSERT_EQ(store.n_cells(), d.n_cols);
  for (int c = 0; c < store.n_cells(); ++c) {
    const int expressed = d.p[c + 1] - d.p[c];
    EXPECT_EQ(store.length(c), std::min(64, expressed));
    std::set<int> unique;
    for (auto k = store.offsets[c]; k < store.offsets[c + 1]; ++k) {
      unique.insert(store.genes[k]);
      EXPECT_GE(store.bins[k], kBinTokenOffset);
      EXPECT_LE(store.bins[k], 10 + kBinTokenOffset);
    }
    EXPECT_EQ(static_cast<int>(unique.size()), store.length(c));
  }
}
