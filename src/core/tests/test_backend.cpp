// LibTorch errors become short, actionable exceptions; memory exhaustion names the fix. OpenBLAS
// uses the CPU's own kernels only while a BlasKernelScope is alive.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "util/backend.h"
#include "util/blas_kernel.h"

TEST(Backend, OutOfMemorySuggestsASmallerBatch) {
  try {
    sclm::with_torch_errors([] { return torch::empty({std::int64_t{1} << 46}, torch::kFloat32); });
    FAIL() << "a 256 TB tensor was allocated";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("smaller batch_size"), std::string::npos) << e.what();
  }
}

TEST(Backend, TorchErrorsLoseTheirBacktrace) {
  try {
    sclm::with_torch_errors([] { return torch::ones({2, 3}).matmul(torch::ones({4, 5})); });
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("Exception raised from"), std::string::npos) << e.what();
  }
}

TEST(BlasKernel, ScopesSwitchOnlyWhileAlive) {
  const auto outside = sclm::blas_kernel();
  const auto runs = sclm::blas_kernel_for_runs();
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
#if defined(__linux__) && defined(__x86_64__)
  if (outside == "Prescott" && __builtin_cpu_supports("avx2") && (chosen == nullptr || *chosen == '\0'))
    EXPECT_NE(runs, outside) << "OpenBLAS's SSE3 fallback on an AVX2 CPU";
#else
  (void)chosen;
#endif
  const auto a = torch::randn({67, 45});
  const auto b = torch::randn({45, 33});
  const auto product = torch::matmul(a, b);
  {
    const sclm::BlasKernelScope scope;
    EXPECT_EQ(sclm::blas_kernel(), runs);
    {
      const sclm::BlasKernelScope nested;
      EXPECT_EQ(sclm::blas_kernel(), runs);
    }
    EXPECT_EQ(sclm::blas_kernel(), runs);
    EXPECT_TRUE(torch::allclose(torch::matmul(a, b), product, 1e-4, 1e-5));
  }
  EXPECT_EQ(sclm::blas_kernel(), outside);
  EXPECT_TRUE(torch::allclose(torch::matmul(a, b), product, 0, 0));
}
