// The k-th largest value per column agrees with a full sort; NaN entries are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "util/column_order_statistic.h"

TEST(ColumnOrderStatistic, MatchesAFullSortPerColumn) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-20, 20);  // small integers: many ties
  const int n_rows = 57, n_cols = 9;
  std::vector<double> x(n_rows * n_cols);
  for (auto& v : x) v = value(rng) / 4.0;
  for (int k : {1, 10, n_rows}) {
    const auto got = sclm::kth_largest_per_column(x.data(), n_rows, n_cols, k);
    for (int j = 0; j < n_cols; ++j) {
      std::vector<double> column(x.begin() + j * n_rows, x.begin() + (j + 1) * n_rows);
      std::sort(column.begin(), column.end(), std::greater<double>());
      EXPECT_EQ(got[j], column[k - 1]) << "column " << j << ", k = " << k;
    }
  }
}

TEST(ColumnOrderStatistic, SkipsNaNAndGivesNaNWhenTooFewValuesRemain) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> x = {0.2, nan, 0.9, 0.5, /**/ nan, nan, 1.0, nan};
  const auto got = sclm::kth_largest_per_column(x.data(), 4, 2, 2);
  EXPECT_EQ(got[0], 0.5);
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_THROW(sclm::kth_largest_per_column(x.data(), 4, 2, 0), std::invalid_argument);
}
