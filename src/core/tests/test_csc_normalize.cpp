#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/normalize.h"
#include "real_data.h"

using sclm::CscView;

TEST(CscView, ValidatesStructure) {
  std::vector<int> p{0, 2, 3}, i{0, 2, 1};
  std::vector<double> x{1, 2, 3};
  CscView ok{p.data(), i.data(), x.data(), 3, 2};
  EXPECT_NO_THROW(ok.validate());
  EXPECT_EQ(ok.nnz(), 3);
  std::vector<int> bad_i{0, 5, 1};
  CscView out_of_range{p.data(), bad_i.data(), x.data(), 3, 2};
  EXPECT_THROW(out_of_range.validate(), std::invalid_argument);
  std::vector<int> bad_p{0, 3, 2};
  CscView decreasing{bad_p.data(), i.data(), x.data(), 3, 2};
  EXPECT_THROW(decreasing.validate(), std::invalid_argument);
}

// Rows mapped in order (every third row kept, the others summed into a last row) and out of order
// (rows reversed, pairs of rows meeting in one, a row dropped): against a plain dense sum.
TEST(CscView, MappedRowsMatchAPlainSumOnRealCells) {
  const auto d = sclm_test::load_pbmc_subset();
  const auto view = d.view();
  const int n_kept = (d.n_rows + 2) / 3;
  std::vector<int> kept(d.n_rows), paired(d.n_rows);
  for (int r = 0; r < d.n_rows; ++r) {
    kept[r] = r % 3 == 0 ? r / 3 : n_kept;
    paired[r] = r == 5 ? -1 : (d.n_rows - 1 - r) / 2;
  }
  for (const auto& [map, n_rows] : {std::pair{kept, n_kept + 1}, std::pair{paired, (d.n_rows + 1) / 2}}) {
    const auto out = sclm::mapped_rows(view, map, n_rows);
    ASSERT_EQ(out.n_rows, n_rows);
    ASSERT_EQ(out.n_cols, d.n_cols);
    const CscView got{out.p.data(), out.i.data(), out.x.data(), out.n_rows, out.n_cols};
    ASSERT_NO_THROW(got.validate());
    for (int j = 0; j < d.n_cols; ++j) {
      std::vector<double> expected(n_rows, 0.0), seen(n_rows, 0.0);
      for (int k = d.p[j]; k < d.p[j + 1]; ++k)
        if (map[d.i[k]] >= 0) expected[map[d.i[k]]] += d.x[k];
      for (int k = got.col_begin(j); k < got.col_end(j); ++k) {
        if (k > got.col_begin(j)) ASSERT_LT(got.i[k - 1], got.i[k]);  // rows sorted
        ASSERT_NE(got.x[k], 0.0);
        seen[got.i[k]] = got.x[k];
      }
      ASSERT_EQ(seen, expected) << j;  // whole counts: sums exact
    }
  }
  EXPECT_THROW(sclm::mapped_rows(view, std::vector<int>(d.n_rows - 1, 0), 1), std::invalid_argument);
  EXPECT_THROW(sclm::mapped_rows(view, std::vector<int>(d.n_rows, 1), 1), std::invalid_argument);
}

TEST(Normalize, Log2CpMatchesDefinition) {
  EXPECT_DOUBLE_EQ(sclm::log2_cp(5, 1000, 1e4), std::log2(1.0 + 50.0));
  EXPECT_DOUBLE_EQ(sclm::log2_cp(5, 0, 1e4), 0.0);
}

TEST(Normalize, FeatureStatsMatchDenseComputationOnRealCells) {
  const auto d = sclm_test::load_pbmc_subset();
  const auto view = d.view();
  ASSERT_NO_THROW(view.validate());
  const auto stats = sclm::feature_stats(view);
  // dense reference for a few genes
  for (int g : {0, 17, 299, d.n_rows - 1}) {
    std::vector<double> values(d.n_cols, 0.0);
    for (int j = 0; j < d.n_cols; ++j) {
      const double total = sclm::column_total(view, j);
      for (int k = d.p[j]; k < d.p[j + 1]; ++k)
        if (d.i[k] == g) values[j] = std::log1p(d.x[k] / total * 1e4);
    }
    double mean = 0;
    for (double v : values) mean += v / d.n_cols;
    double var = 0;
    for (double v : values) var += (v - mean) * (v - mean) / (d.n_cols - 1);
    EXPECT_NEAR(stats.mean[g], mean, 1e-9);
    EXPECT_NEAR(stats.variance[g], var, 1e-9);
  }
}

TEST(Normalize, StandardizedVarianceMatchesDenseComputationOnRealCells) {
  const auto d = sclm_test::load_pbmc_subset();
  const auto view = d.view();
  const auto raw = sclm::count_stats(view);
  std::vector<double> sd(d.n_rows);
  for (int g = 0; g < d.n_rows; ++g) sd[g] = std::sqrt(raw.variance[g]) * 0.5;  // any positive scale
  const auto score = sclm::standardized_variance(view, raw.mean, sd);
  const double clip = std::sqrt(static_cast<double>(d.n_cols));
  for (int g : {0, 5, 311}) {
    std::vector<double> x(d.n_cols, 0.0);
    for (int j = 0; j < d.n_cols; ++j)
      for (int k = d.p[j]; k < d.p[j + 1]; ++k)
        if (d.i[k] == g) x[j] = d.x[k];
    double mean = 0;
    for (double v : x) mean += v / d.n_cols;
    EXPECT_NEAR(raw.mean[g], mean, 1e-9);
    std::vector<double> z(d.n_cols);
    double zmean = 0;
    for (int j = 0; j < d.n_cols; ++j) {
      z[j] = std::min(clip, (x[j] - mean) / sd[g]);
      zmean += z[j] / d.n_cols;
    }
    double var = 0;
    for (double v : z) var += (v - zmean) * (v - zmean) / (d.n_cols - 1);
    EXPECT_NEAR(score[g], var, 1e-8 * std::max(1.0, var));
  }
}

TEST(Normalize, StatisticsOfBlocksFoldedInCellOrderEqualThoseOfAllCellsBitForBit) {
  const auto d = sclm_test::load_pbmc_subset();
  const auto all = d.view();
  // Blocks of 70 cells: views of the same arrays with shifted column pointers.
  std::vector<std::vector<int>> pointers;
  std::vector<CscView> blocks;
  for (int first = 0; first < d.n_cols; first += 70) {
    const int last = std::min(d.n_cols, first + 70);
    const int offset = d.p[first];
    std::vector<int> p(d.p.begin() + first, d.p.begin() + last + 1);
    for (auto& v : p) v -= offset;
    pointers.push_back(std::move(p));
    blocks.push_back({pointers.back().data(), d.i.data() + offset, d.x.data() + offset, d.n_rows, last - first});
  }
  ASSERT_GT(blocks.size(), 2u);
  sclm::FeatureStats folded;
  // log1p(CP10k): sums of non-integers, where the order of the additions shows in the last bits
  for (std::size_t b = 0; b < blocks.size(); ++b)
    folded = sclm::feature_stats(blocks[b], 1e4, b == 0 ? nullptr : &folded);
  const auto whole = sclm::feature_stats(all);
  EXPECT_EQ(folded.n, d.n_cols);
  EXPECT_EQ(folded.sum, whole.sum);
  EXPECT_EQ(folded.sum_sq, whole.sum_sq);
  EXPECT_EQ(folded.mean, whole.mean);
  EXPECT_EQ(folded.variance, whole.variance);
  EXPECT_EQ(folded.n_cells, whole.n_cells);

  std::vector<double> sd(d.n_rows);
  for (int g = 0; g < d.n_rows; ++g) sd[g] = std::sqrt(whole.variance[g]) * 0.5;
  const double clip = std::sqrt(static_cast<double>(d.n_cols));
  sclm::StandardizedSums sums;
  for (std::size_t b = 0; b < blocks.size(); ++b)
    sums = sclm::standardized_sums(blocks[b], whole.mean, sd, clip, b == 0 ? nullptr : &sums);
  EXPECT_EQ(sclm::standardized_variance_from_sums(sums, whole.mean, sd, clip, d.n_cols),
            sclm::standardized_variance(all, whole.mean, sd));
  sums.sum.pop_back();
  EXPECT_THROW(sclm::standardized_sums(blocks[0], whole.mean, sd, clip, &sums), std::invalid_argument);
}

