#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "data/value_scan.h"
#include "real_data.h"

TEST(ValueScan, CountsMissingInfiniteNegativeAndFractionalValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> x{3, 0.5, nan, -2, inf, -inf, 7, -0.25, 1e300};
  const auto s = sclm::scan_values(x.data(), static_cast<std::int64_t>(x.size()));
  EXPECT_EQ(s.missing, 1);
  EXPECT_EQ(s.infinite, 2);
  EXPECT_EQ(s.negative, 2);    // -2 and -0.25
  EXPECT_EQ(s.fractional, 2);  // 0.5 and -0.25
  const auto none = sclm::scan_values(nullptr, 0);
  EXPECT_EQ(none.missing + none.infinite + none.negative + none.fractional, 0);
}

TEST(ValueScan, ColumnsWithMappedRowsMatchAPlainLoopOnRealCells) {
  auto d = sclm_test::load_pbmc_subset();
  for (int k = d.p[3]; k < d.p[4]; ++k) d.x[k] = 0;  // stored zeros do not count
  std::vector<int> mapped(d.n_rows, 0);
  for (int g = 0; g < d.n_rows; g += 37) mapped[g] = 1;
  const auto got = sclm::columns_with_rows(d.view(), mapped);
  ASSERT_EQ(static_cast<int>(got.size()), d.n_cols);
  int with = 0;
  for (int j = 0; j < d.n_cols; ++j) {
    bool expected = false;
    for (int k = d.p[j]; k < d.p[j + 1]; ++k) expected = expected || (mapped[d.i[k]] && d.x[k] != 0);
    EXPECT_EQ(got[j], expected ? 1 : 0) << "cell " << j;
    with += got[j];
  }
  EXPECT_EQ(got[3], 0);
  EXPECT_GT(with, 0);
}
