// Helpers shared by the Rcpp glue: R objects <-> core structs, interrupts, warnings.
// Torch-free: the glue only sees the core's api.h.
#pragma once

#include <Rcpp.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "api.h"

namespace glue {

// A borrowed view of a dgCMatrix (no copy); the S4 object must outlive the view.
inline sclm::CscView csc_view(const Rcpp::S4& m) {
  if (!m.is("dgCMatrix")) Rcpp::stop("internal: expected a dgCMatrix");
  Rcpp::IntegerVector p = m.slot("p"), i = m.slot("i"), dim = m.slot("Dim");
  Rcpp::NumericVector x = m.slot("x");
  return {INTEGER(p), INTEGER(i), REAL(x), dim[0], dim[1]};
}

// Stores of training cells behind external pointers, tagged with their kind so that one kind is
// never read as the other: sclm_token_store() ("tokens"), sclm_level_store() ("levels").
template <typename Store>
SEXP new_cell_store(const char* kind) {
  return Rcpp::XPtr<Store>(new Store(), true, Rcpp::wrap(kind));
}
template <typename Store>
Store& cell_store(SEXP store, const char* kind) {
  if (TYPEOF(store) != EXTPTRSXP || TYPEOF(R_ExternalPtrTag(store)) != STRSXP ||
      Rcpp::as<std::string>(R_ExternalPtrTag(store)) != kind)
    Rcpp::stop(std::string("internal: expected a store of ") + kind);
  Rcpp::XPtr<Store> p(store);
  if (p.get() == nullptr) Rcpp::stop("the cell store is no longer valid (it does not survive saving the R session)");
  return *p;
}
inline sclm::TokenStore& token_store(SEXP store) { return cell_store<sclm::TokenStore>(store, "tokens"); }
inline sclm::LevelStore& level_store(SEXP store) { return cell_store<sclm::LevelStore>(store, "levels"); }

inline std::string bytes(const Rcpp::RawVector& v) {
  return std::string(reinterpret_cast<const char*>(RAW(v)), v.size());
}

inline Rcpp::RawVector raw(const std::string& s) {
  Rcpp::RawVector out(s.size());
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

inline std::vector<int> int_vector(const Rcpp::IntegerVector& v) { return {v.begin(), v.end()}; }

inline sclm::ModelConfig model_config(const Rcpp::List& l) {
  sclm::ModelConfig c;
  c.n_features = Rcpp::as<int>(l["n_features"]);
  c.n_classes = Rcpp::as<int>(l["n_classes"]);
  c.dim = Rcpp::as<int>(l["dim"]);
  c.n_layers = Rcpp::as<int>(l["n_layers"]);
  c.n_heads = Rcpp::as<int>(l["n_heads"]);
  c.ff_dim = Rcpp::as<int>(l["ff_dim"]);
  c.dropout = Rcpp::as<double>(l["dropout"]);
  const std::string attention = Rcpp::as<std::string>(l["attention"]);
  c.attention.kind = attention == "performer" ? sclm::AttentionKind::kPerformer
                     : attention == "linformer" ? sclm::AttentionKind::kLinformer
                                                : sclm::AttentionKind::kFull;
  c.attention.performer_features = Rcpp::as<int>(l["performer_features"]);
  c.attention.linformer_k = Rcpp::as<int>(l["linformer_k"]);
  c.share_projection = Rcpp::as<bool>(l["share_projection"]);
  c.redraw_interval = Rcpp::as<int>(l["redraw_interval"]);
  c.head = Rcpp::as<std::string>(l["head"]) == "cnn" ? sclm::HeadKind::kCnn : sclm::HeadKind::kMlp;
  if (l.containsElementNamed("subvectors") && !Rf_isNull(l["subvectors"])) {
    const Rcpp::List s(l["subvectors"]);
    auto& v = c.subvectors;
    v.scales = Rcpp::as<std::vector<int>>(s["scales"]);
    v.light_layers = Rcpp::as<int>(s["light_layers"]);
    v.sharpness = Rcpp::as<double>(s["sharpness"]);
    v.keep_share = Rcpp::as<double>(s["keep_share"]);
    v.contrastive_weight = Rcpp::as<double>(s["contrastive_weight"]);
    v.temperature = Rcpp::as<double>(s["temperature"]);
    v.mutual_weight = Rcpp::as<double>(s["mutual_weight"]);
    v.selection_weight = Rcpp::as<double>(s["selection_weight"]);
  }
  return c;
}

// Training settings shared by fine-tuning and pretraining.
inline sclm::TrainConfig train_config(const Rcpp::List& l) {
  sclm::TrainConfig t;
  t.epochs = Rcpp::as<int>(l["epochs"]);
  t.batch_size = Rcpp::as<int>(l["batch_size"]);
  t.learning_rate = Rcpp::as<double>(l["learning_rate"]);
  t.weight_decay = Rcpp::as<double>(l["weight_decay"]);
  t.warmup_fraction = Rcpp::as<double>(l["warmup_fraction"]);
  t.clip_norm = Rcpp::as<double>(l["clip_norm"]);
  t.validation_fraction = Rcpp::as<double>(l["validation_fraction"]);
  t.patience = Rcpp::as<int>(l["patience"]);
  t.seed = static_cast<std::uint64_t>(Rcpp::as<double>(l["seed"]));
  t.num_threads = Rcpp::as<int>(l["num_threads"]);
  t.device = Rcpp::as<std::string>(l["device"]);
  if (l.containsElementNamed("precision")) t.precision = Rcpp::as<std::string>(l["precision"]);
  if (l.containsElementNamed("label_smoothing")) t.label_smoothing = Rcpp::as<double>(l["label_smoothing"]);
  if (l.containsElementNamed("token_dropout")) t.token_dropout = Rcpp::as<double>(l["token_dropout"]);
  if (l.containsElementNamed("length_bucketing")) t.length_bucketing = Rcpp::as<bool>(l["length_bucketing"]);
  if (l.containsElementNamed("class_weights")) t.class_weights = Rcpp::as<std::vector<float>>(l["class_weights"]);
  if (l.containsElementNamed("trainable_blocks")) t.trainable_blocks = Rcpp::as<int>(l["trainable_blocks"]);
  if (l.containsElementNamed("init_encoder") && !Rf_isNull(l["init_encoder"]))
    t.init_encoder = bytes(Rcpp::RawVector(l["init_encoder"]));
  if (l.containsElementNamed("checkpoint") && !Rf_isNull(l["checkpoint"]))
    t.checkpoint = Rcpp::as<std::string>(l["checkpoint"]);
  if (l.containsElementNamed("resume")) t.resume = Rcpp::as<bool>(l["resume"]);
  if (l.containsElementNamed("distributed") && !Rf_isNull(l["distributed"])) {
    const Rcpp::List d(l["distributed"]);
    t.distributed.rank = Rcpp::as<int>(d["rank"]);
    t.distributed.world_size = Rcpp::as<int>(d["world_size"]);
    t.distributed.master_addr = Rcpp::as<std::string>(d["master_addr"]);
    t.distributed.master_port = Rcpp::as<int>(d["master_port"]);
    t.distributed.timeout_seconds = Rcpp::as<double>(d["timeout"]);
  }
  if (l.containsElementNamed("feature_vectors") && !Rf_isNull(l["feature_vectors"]))
    t.feature_vectors = Rcpp::as<std::vector<float>>(l["feature_vectors"]);
  if (l.containsElementNamed("freeze_features")) t.freeze_features = Rcpp::as<bool>(l["freeze_features"]);
  return t;
}

// Fields after bins_per_log2 are optional (the defaults of sclm::TokenizerConfig when absent).
inline sclm::TokenizerConfig tokenizer_config(const Rcpp::List& l) {
  sclm::TokenizerConfig c;
  c.max_tokens = Rcpp::as<int>(l["max_tokens"]);
  c.max_bin = Rcpp::as<int>(l["max_bin"]);
  c.scale_factor = Rcpp::as<double>(l["scale_factor"]);
  c.bins_per_log2 = Rcpp::as<double>(l["bins_per_log2"]);
  const auto has = [&l](const char* name) { return l.containsElementNamed(name) && !Rf_isNull(l[name]); };
  if (has("kind")) {
    const auto kind = Rcpp::as<std::string>(l["kind"]);
    if (kind == "bins") {
      c.kind = sclm::TokenizerKind::kBins;
    } else if (kind == "value_bins") {
      c.kind = sclm::TokenizerKind::kValueBins;
    } else if (kind == "rank") {
      c.kind = sclm::TokenizerKind::kRank;
    } else if (kind == "counts") {
      c.kind = sclm::TokenizerKind::kCounts;
    } else if (kind == "subvectors") {
      c.kind = sclm::TokenizerKind::kSubvectors;
    } else {
      Rcpp::stop("unknown tokenizer kind \"" + kind + "\"; expected \"bins\", \"value_bins\", \"rank\", \"counts\" or \"subvectors\"");
    }
  }
  if (has("full_length")) c.full_length = Rcpp::as<bool>(l["full_length"]);
  if (has("zero_share")) c.zero_share = Rcpp::as<double>(l["zero_share"]);
  if (has("seed")) {
    const double seed = Rcpp::as<double>(l["seed"]);
    if (!(seed >= 0) || seed > 9007199254740992.0 || seed != std::floor(seed))
      Rcpp::stop("tokenizer seed must be a whole number between 0 and 2^53");
    c.seed = static_cast<std::uint64_t>(seed);
  }
  if (has("gene_scale")) {
    const Rcpp::NumericVector s = l["gene_scale"];
    c.gene_scale.assign(s.begin(), s.end());
  }
  return c;
}

inline sclm::RunConfig run_config(const Rcpp::List& l) {
  sclm::RunConfig c;
  c.batch_size = Rcpp::as<int>(l["batch_size"]);
  c.num_threads = Rcpp::as<int>(l["num_threads"]);
  c.device = Rcpp::as<std::string>(l["device"]);
  if (l.containsElementNamed("precision")) c.precision = Rcpp::as<std::string>(l["precision"]);
  return c;
}

// True when the user pressed Ctrl-C; never long-jumps out of C++ frames (as uwot does).
inline void check_interrupt_fn(void*) { R_CheckUserInterrupt(); }
inline bool user_interrupted() { return R_ToplevelExec(check_interrupt_fn, nullptr) == FALSE; }

// Re-raises torch warnings collected by the core as R warnings.
inline void forward_torch_warnings() {
  for (const auto& msg : sclm::take_torch_warnings()) Rcpp::warning("LibTorch: " + msg);
}

// Runs an inference call of the core: a user interrupt becomes an R interrupt, and torch
// warnings raised by the call become R warnings.
template <typename Fn>
auto run_interruptible(Fn&& fn) -> decltype(fn()) {
  try {
    auto out = fn();
    forward_torch_warnings();
    return out;
  } catch (const sclm::Interrupted&) {
    throw Rcpp::internal::InterruptedException();
  }
}

// Row-major n x k floats -> R column-major matrix.
inline Rcpp::NumericMatrix row_major_matrix(const std::vector<float>& v, int n, int k) {
  Rcpp::NumericMatrix out(n, k);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < k; ++c) out(r, c) = v[static_cast<std::size_t>(r) * k + c];
  return out;
}

}  // namespace glue
