// Data parallelism: two processes (here two threads, each its own rank) on Gloo over loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include "train/data_parallel.h"
#include "train/loop.h"

namespace {

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs fn(rank's DataParallel) on two ranks at once.
void on_two_ranks(const std::function<void(sclm::DataParallel&)>& fn) {
  sclm::DistributedConfig config;
  config.world_size = 2;
  config.master_port = free_port();
  config.timeout_seconds = 30;
  auto run = [&](int rank) {
    auto c = config;
    c.rank = rank;
    sclm::DataParallel parallel(c);
    fn(parallel);
  };
  std::thread other(run, 1);
  run(0);
  other.join();
}

}  // namespace

TEST(DataParallel, OneProcessChangesNothing) {
  sclm::DataParallel parallel(sclm::DistributedConfig{});
  EXPECT_FALSE(parallel.active());
  EXPECT_EQ(parallel.shard({4, 5, 6}), (std::vector<int>{4, 5, 6}));
  auto p = torch::ones({2}, torch::requires_grad());
  (p * 3).sum().backward();
  parallel.average_gradients({p}, 7);
  EXPECT_TRUE(torch::equal(p.grad(), torch::full({2}, 3.0)));
  EXPECT_TRUE(parallel.any(true));
}

TEST(DataParallel, SettingsAreChecked) {
  sclm::DistributedConfig c;
  c.world_size = 2;
  c.rank = 2;
  EXPECT_THROW(sclm::DataParallel{c}, std::invalid_argument);
  c.rank = 0;
  c.master_port = 70000;
  EXPECT_THROW(sclm::DataParallel{c}, std::invalid_argument);
}

#ifdef SCLM_WITH_GLOO
TEST(DataParallel, ShardsSplitEveryBatch) {
  on_two_ranks([](sclm::DataParallel& parallel) {
    const auto mine = parallel.shard({10, 11, 12, 13, 14});
    EXPECT_EQ(mine, parallel.rank() == 0 ? (std::vector<int>{10, 12, 14}) : (std::vector<int>{11, 13}));
  });
}

TEST(DataParallel, GradientsAreTheMeanOverAllItems) {
  on_two_ranks([](sclm::DataParallel& parallel) {
    // Rank 0: mean gradient 1 over 3 items; rank 1: 4 over 1 item and no gradient for q.
    auto p = torch::zeros({2}, torch::requires_grad());
    auto q = torch::zeros({1}, torch::requires_grad());
    const bool first = parallel.rank() == 0;
    ((first ? 1.0 : 4.0) * p.sum() + (first ? 2.0 : 0.0) * q.sum()).backward();
    if (!first) q.mutable_grad() = torch::Tensor();
    parallel.average_gradients({p, q}, first ? 3 : 1);
    EXPECT_NEAR(p.grad()[0].item<double>(), (3 * 1.0 + 1 * 4.0) / 4, 1e-6);
    EXPECT_NEAR(q.grad()[0].item<double>(), (3 * 2.0) / 4, 1e-6);
    std::vector<double> v{1.0 + parallel.rank(), 10};
    parallel.sum(v);
    EXPECT_EQ(v, (std::vector<double>{3, 20}));
    EXPECT_TRUE(parallel.any(parallel.rank() == 1));
    EXPECT_FALSE(parallel.any(false));
  });
}

TEST(DataParallel, WeightsStartFromRankZero) {
  on_two_ranks([](sclm::DataParallel& parallel) {
    auto w = torch::full({3}, static_cast<double>(parallel.rank() + 5));
    parallel.broadcast({w});
    EXPECT_TRUE(torch::equal(w, torch::full({3}, 5.0)));
  });
}
#endif

TEST(DataParallel, BackendFollowsTheDevice) {
#ifdef SCLM_WITH_GLOO
  EXPECT_EQ(sclm::data_parallel_backend(torch::kCPU), "gloo");
#endif
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
#ifdef SCLM_WITH_NCCL
  EXPECT_EQ(sclm::data_parallel_backend(torch::Device(torch::kCUDA, 0)), "nccl");
#elif defined(SCLM_WITH_GLOO)
  EXPECT_EQ(sclm::data_parallel_backend(torch::Device(torch::kCUDA, 0)), "gloo");
#endif
}

TEST(DataParallel, EachProcessTakesItsOwnGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const int n_gpus = static_cast<int>(torch::cuda::device_count());
  sclm::TrainConfig train;
  train.device = "cuda";
  EXPECT_FALSE(sclm::start_run(train).has_index());  // one process: the current GPU
  train.distributed.world_size = 4;
  train.distributed.rank = 3;
  unsetenv("LOCAL_RANK");
  EXPECT_EQ(sclm::start_run(train), torch::Device(torch::kCUDA, 3 % n_gpus));  // by rank
  setenv("LOCAL_RANK", "0", 1);  // torchrun's local rank wins (several nodes)
  EXPECT_EQ(sclm::start_run(train), torch::Device(torch::kCUDA, 0));
  unsetenv("LOCAL_RANK");
  train.device = "cuda:0";  // an explicit GPU is kept
  EXPECT_EQ(sclm::start_run(train), torch::Device(torch::kCUDA, 0));
}
