// A training run's own random generator (util/run_generator.h).
#include <gtest/gtest.h>

#include <thread>

#include "util/run_generator.h"

using namespace sclm;

TEST(RunGenerator, DrawsWhatLibTorchsGeneratorDrawsFromTheSameSeed) {
  const auto x = torch::linspace(1, 2, 4000).view({40, 100});
  torch::manual_seed(7);
  const auto expected_dropout = torch::dropout(x, 0.3, true);
  const auto expected_uniform = torch::rand_like(x);
  const auto expected_normal = torch::randn({5, 6}, torch::kFloat64);
  RunGenerator run(torch::kCPU);
  torch::manual_seed(99);  // the global generator no longer feeds the run
  run.seed(7);
  EXPECT_TRUE(torch::equal(sclm::dropout(x, 0.3, true), expected_dropout));
  EXPECT_TRUE(torch::equal(uniform_like(x), expected_uniform));
  EXPECT_TRUE(torch::equal(normal({5, 6}, torch::kFloat64), expected_normal));
  EXPECT_TRUE(torch::equal(sclm::dropout(x, 0.3, false), x));
}

TEST(RunGenerator, RunsOnTwoThreadsEachDrawTheirOwn) {
  const auto x = torch::ones({64, 64});
  const auto draws = [&](std::uint64_t seed, int repeats) {
    RunGenerator run(torch::kCPU);
    run.seed(seed);
    std::vector<torch::Tensor> out;
    for (int r = 0; r < repeats; ++r) out.push_back(sclm::dropout(x, 0.5, true));
    return out;
  };
  const auto alone = draws(3, 200);
  std::vector<torch::Tensor> side, other;
  std::thread a([&] { side = draws(3, 200); });
  std::thread b([&] { other = draws(4, 200); });
  a.join();
  b.join();
  for (std::size_t r = 0; r < alone.size(); ++r) ASSERT_TRUE(torch::equal(side[r], alone[r]));
  EXPECT_FALSE(torch::equal(other[0], alone[0]));
}

TEST(RunGenerator, ScopesRestoreTheThreadsGenerator) {
  const auto x = torch::ones({32, 32});
  RunGenerator outer(torch::kCPU);
  outer.seed(5);
  const auto first = sclm::dropout(x, 0.5, true);
  outer.seed(5);
  {
    RunGenerator inner(torch::kCPU);
    inner.seed(6);
    (void)sclm::dropout(x, 0.5, true);
  }
  EXPECT_TRUE(torch::equal(sclm::dropout(x, 0.5, true), first));  // the outer run's draws, untouched
}
