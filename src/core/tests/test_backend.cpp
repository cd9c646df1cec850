// LibTorch errors become short, actionable exceptions; memory exhaustion names the fix.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "util/backend.h"

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
