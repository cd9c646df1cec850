// Attention settings (torch-free, so api.h can hold them).
#pragma once

namespace sclm {

enum class AttentionKind { kFull, kPerformer, kLinformer };

struct AttentionConfig {
  AttentionKind kind = AttentionKind::kFull;
  int performer_features = 64;  // Performer: random features per head
  int linformer_k = 64;         // Linformer: projected length
  int max_length = 257;         // Linformer: longest sequence (CLS included) the projection covers
};

}  // namespace sclm
