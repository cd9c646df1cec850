// Learning-rate schedule: linear warm-up, then cosine decay to min_factor * base.
#pragma once

#include <algorithm>
#include <cmath>

namespace sclm {

inline double scheduled_learning_rate(long step, long total_steps, long warmup_steps, double base,
                                      double min_factor = 0.05) {
  if (warmup_steps > 0 && step < warmup_steps) return base * static_cast<double>(step + 1) / warmup_steps;
  const long decay_steps = std::max(1L, total_steps - warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - warmup_steps) / decay_steps);
  const double pi = std::acos(-1.0);
  return base * (min_factor + (1 - min_factor) * 0.5 * (1 + std::cos(pi * progress)));
}

}  // namespace sclm
