#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "real_data.h"
#include "train/loop.h"
#include "train/schedule.h"
#include "train/split.h"

using namespace sclm;

TEST(Schedule, WarmsUpLinearlyThenDecays) {
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(0, 100, 10, 1.0), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(9, 100, 10, 1.0), 1.0);
  EXPECT_NEAR(scheduled_learning_rate(10, 100, 10, 1.0), 1.0, 1e-12);
  EXPECT_NEAR(scheduled_learning_rate(100, 100, 10, 1.0), 0.05, 1e-12);
  double previous = 2;
  for (long s = 10; s <= 100; ++s) {
    const double lr = scheduled_learning_rate(s, 100, 10, 1.0);
    EXPECT_LE(lr, previous);
    previous = lr;
  }
}

TEST(Split, StratifiedOnRealLabelsAndDeterministic) {
  const auto d = sclm_test::load_pbmc_subset();
  std::mt19937_64 rng1(7), rng2(7);
  const auto a = stratified_split(d.labels, d.n_classes, 0.2, rng1);
  const auto b = stratified_split(d.labels, d.n_classes, 0.2, rng2);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_EQ(a.train.size() + a.validation.size(), d.labels.size());
  std::map<int, int> total, held;
  for (int l : d.labels) total[l]++;
  for (int c : a.validation) held[d.labels[c]]++;
  for (auto [label, n] : total) {
    EXPECT_EQ(held[label], n < 10 ? 0L : std::max(1L, std::lround(0.2 * n))) << "class " << label;
  }
}

TEST(Split, SmallClassesKeepEveryCellForTraining) {
  std::vector<int> labels(9, 0);
  labels.resize(29, 1);  // 9 cells of class 0, 20 of class 1
  labels.resize(39, 2);  // 10 of class 2
  std::mt19937_64 rng(1);
  const auto s = stratified_split(labels, 3, 0.5, rng);
  int held[3] = {0, 0, 0};
  for (int c : s.validation) held[labels[c]]++;
  EXPECT_EQ(held[0], 0);
  EXPECT_EQ(held[1], 10);
  EXPECT_EQ(held[2], 5);
  EXPECT_EQ(s.train.size() + s.validation.size(), labels.size());
}

TEST(Split, ClassBalancedOrderOnRealLabelsMeetsEachClassQuotaAndCoversCellsEvenly) {
  const auto d = sclm_test::load_pbmc_subset();
  std::vector<int> cells;  // every other cell, as a training part would be
  for (int c = 0; c < static_cast<int>(d.labels.size()); c += 2) cells.push_back(c);
  std::map<int, int> n;
  for (int c : cells) n[d.labels[c]]++;
  ASSERT_GE(n.size(), 3u);
  for (const double power : {0.0, 0.5, 1.0}) {
    std::mt19937_64 rng1(5), rng2(5);
    const auto order = class_balanced_order(cells, d.labels, power, rng1);
    EXPECT_EQ(order, class_balanced_order(cells, d.labels, power, rng2));  // deterministic
    ASSERT_EQ(order.size(), cells.size());
    double total = 0;
    for (auto [label, k] : n) total += std::pow(k, 1 - power);
    std::map<int, int> drawn_class, drawn_cell;
    for (int c : order) {
      drawn_class[d.labels[c]]++;
      drawn_cell[c]++;
    }
    for (auto [label, k] : n) {  // the quota, to the cell; each cell of the class drawn q / k times, or one more
      const double quota = cells.size() * std::pow(k, 1 - power) / total;
      EXPECT_LE(std::abs(drawn_class[label] - quota), 1.0) << "power " << power << ", class " << label;
      int fewest = drawn_class[label], most = 0;
      for (int c : cells)
        if (d.labels[c] == label) fewest = std::min(fewest, drawn_cell[c]), most = std::max(most, drawn_cell[c]);
      EXPECT_LE(most - fewest, 1) << "power " << power << ", class " << label;
    }
    if (power == 0) {  // each cell once
      auto sorted = order;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, cells);
    }
  }
  std::mt19937_64 rng(1);
  EXPECT_THROW(class_balanced_order(cells, d.labels, 1.5, rng), std::invalid_argument);
}

// Padding of batches cut from `order`: each batch is padded to its longest cell.
long padded_slots(const std::vector<int>& order, const std::vector<int>& lengths, int batch_size) {
  long padding = 0;
  for (std::size_t start = 0; start < order.size(); start += batch_size) {
    const std::size_t end = std::min(order.size(), start + batch_size);
    int longest = 0;
    for (std::size_t k = start; k < end; ++k) longest = std::max(longest, lengths[order[k]]);
    for (std::size_t k = start; k < end; ++k) padding += longest - lengths[order[k]];
  }
  return padding;
}

TEST(Batching, LengthBucketingCutsPaddingOnRealCellsAndKeepsEveryCell) {
  const auto d = sclm_test::load_pbmc_subset();
  std::vector<int> lengths(d.n_cols);  // expressed genes per cell: a non-zero tokenizer's length
  for (int c = 0; c < d.n_cols; ++c) lengths[c] = d.p[c + 1] - d.p[c];
  std::vector<int> order(d.n_cols);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  const int batch_size = 32;
  std::mt19937_64 rng1(3), rng2(3);
  const auto bucketed = bucket_by_length(order, lengths, batch_size, rng1);
  EXPECT_EQ(bucketed, bucket_by_length(order, lengths, batch_size, rng2));  // deterministic
  auto a = order, b = bucketed;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  // the short last batch stays last, so every other batch is full
  ASSERT_NE(d.n_cols % batch_size, 0);
  const std::vector<int> tail(bucketed.end() - d.n_cols % batch_size, bucketed.end());
  for (std::size_t k = 1; k < tail.size(); ++k) EXPECT_LE(lengths[tail[k - 1]], lengths[tail[k]]);
  const long before = padded_slots(order, lengths, batch_size), after = padded_slots(bucketed, lengths, batch_size);
  EXPECT_LT(after, before / 3);
}
