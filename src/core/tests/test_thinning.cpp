#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "data/thinning.h"
#include "real_data.h"

// The average level of a count equals the mean, over many draws of the training's own sampler
// (keep log-uniform in [1 - strength, 1], thinned_count()), of log1p(kept x per_count / keep):
// exact sums up to 32 counts, the expansion above, and the sampler's normal approximation above 16;
// counts asked for out of order (the cell's logarithms are filled as far as a count needs).
TEST(Thinning, AverageLevelIsTheMeanOfTheTrainingsThinnedLevels) {
  const double strength = 0.5, per_count = 1e4 / 1800.0;  // a pbmc3k cell's depth
  sclm::ThinnedAverage average(strength);
  average.set_cell(per_count);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (const int count : {3, 1, 2, 16, 7, 17, 32, 33, 120}) {
    const int draws = 200000;
    double sum = 0;
    for (int d = 0; d < draws; ++d) {
      const double keep = std::exp(std::log1p(-strength) * uniform(rng));
      const int kept = sclm::thinned_count(count, keep, uniform, rng);
      sum += kept > 0 ? std::log1p(kept * per_count / keep) : 0.0;
    }
    EXPECT_NEAR(average.level(count), sum / draws, 0.006) << count;
    EXPECT_LT(average.level(count), std::log1p(count * per_count)) << count;  // Jensen: below the plain level
  }
  EXPECT_EQ(average.level(0), 0.0);
  EXPECT_THROW(sclm::ThinnedAverage(0.0), std::invalid_argument);
  EXPECT_THROW(sclm::ThinnedAverage(1.0), std::invalid_argument);
}

// On real cells: each count becomes the count of its average level at the cell's depth, never
// more than it was, and the appended row holds what the cell lost, so its total stays; a cell of
// values that are not whole counts is copied as it is.
TEST(Thinning, CountsKeepEachCellsTotalOnRealCells) {
  auto d = sclm_test::load_pbmc_subset();
  d.x[d.p[3]] += 0.5;  // cell 3 now holds a value that is not a count
  const auto view = d.view();
  const double scale = 1e4;
  const auto out = sclm::thinned_average_counts(view, 0.5, scale);
  sclm::ThinnedAverage average(0.5);
  ASSERT_EQ(out.n_rows, d.n_rows + 1);
  ASSERT_EQ(out.n_cols, d.n_cols);
  const sclm::CscView got{out.p.data(), out.i.data(), out.x.data(), out.n_rows, out.n_cols};
  ASSERT_NO_THROW(got.validate());
  for (int j = 0; j < d.n_cols; ++j) {
    double total = 0, total_out = 0;
    for (int k = d.p[j]; k < d.p[j + 1]; ++k) total += d.x[k];
    for (int k = got.col_begin(j); k < got.col_end(j); ++k) total_out += got.x[k];
    EXPECT_NEAR(total_out, total, 1e-9 * total) << j;
    const int n = d.p[j + 1] - d.p[j];
    average.set_cell(scale / total);
    if (j == 3) {
      ASSERT_EQ(got.col_end(j) - got.col_begin(j), n);
      for (int k = 0; k < n; ++k) EXPECT_EQ(got.x[got.col_begin(j) + k], d.x[d.p[j] + k]);
      continue;
    }
    ASSERT_EQ(got.col_end(j) - got.col_begin(j), n + 1) << j;
    EXPECT_EQ(got.i[got.col_end(j) - 1], d.n_rows);
    for (int k = 0; k < n; ++k) {
      const double count = d.x[d.p[j] + k], value = got.x[got.col_begin(j) + k];
      ASSERT_EQ(got.i[got.col_begin(j) + k], d.i[d.p[j] + k]);
      EXPECT_LE(value, count);
      EXPECT_NEAR(std::log1p(value * scale / total), average.level(static_cast<int>(count)), 1e-12);
    }
  }
  EXPECT_THROW(sclm::thinned_average_counts(view, 0.5, 0.0), std::invalid_argument);
  EXPECT_THROW(sclm::thinned_average_counts(view, 1.5, scale), std::invalid_argument);
}
