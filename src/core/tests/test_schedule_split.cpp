#include <gtest/gtest.h>

#include <map>

#include "real_data.h"
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
    EXPECT_EQ(held[label], std::max(1L, std::lround(0.2 * n))) << "class " << label;
  }
}

TEST(Split, KeepsTrainingCellsForTinyClasses) {
  std::vector<int> labels{0, 0, 1, 1, 1, 1};
  std::mt19937_64 rng(1);
  const auto s = stratified_split(labels, 2, 0.5, rng);
  int class0_train = 0;
  for (int c : s.train) class0_train += labels[c] == 0;
  EXPECT_GE(class0_train, 1);
}
