// Every setting of the engine, declared once: the settings structs and, for each, the list of its
// fields (name, bounds, choices) in visit_fields(). The R glue reads host lists through that list,
// the run fingerprint (train/fingerprint.h) hashes it and hosts query it as a schema
// (sclm_config_schema()), so a new setting is one line here. Torch-free and includes nothing from
// the rest of the core: everything sits above this header.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sclm {

enum class AttentionKind { kFull, kPerformer, kLinformer };
enum class HeadKind { kMlp, kCnn };
// kSubvectors: SCTrans reads every vocabulary gene's log1p(CP10k) (data/subvectors.h), no tokens.
enum class TokenizerKind { kBins, kValueBins, kRank, kCounts, kSubvectors };

// The names hosts use for the values of each settings enum, in enum order.
template <typename E>
struct Choices;
template <>
struct Choices<AttentionKind> {
  static constexpr std::array<const char*, 3> names{"full", "performer", "linformer"};
};
template <>
struct Choices<HeadKind> {
  static constexpr std::array<const char*, 2> names{"mlp", "cnn"};
};
template <>
struct Choices<TokenizerKind> {
  static constexpr std::array<const char*, 5> names{"bins", "value_bins", "rank", "counts", "subvectors"};
};

// One field of a settings struct: its host name, inclusive bounds (of a number, or of each entry
// of a vector), whether a std::string holds raw bytes rather than text, and whether it changes what
// a run computes (false: only how it runs, e.g. threads; such fields stay out of the fingerprint).
struct Field {
  const char* name;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool bytes = false;
  bool affects_result = true;

  explicit Field(const char* n) : name(n) {}
  Field& in(double lo, double hi) {
    min = lo;
    max = hi;
    return *this;
  }
  Field& at_least(double lo) { return in(lo, max); }
  Field& raw() {
    bytes = true;
    return *this;
  }
  Field& run_only() {
    affects_result = false;
    return *this;
  }
};

// Open bounds as the nearest inclusive ones: above(0) is the smallest positive double.
inline double above(double x) { return std::nextafter(x, std::numeric_limits<double>::infinity()); }
inline double below(double x) { return std::nextafter(x, -std::numeric_limits<double>::infinity()); }
constexpr double kIntMax = std::numeric_limits<int>::max();
constexpr double kWholeMax = 9007199254740992.0;  // 2^53: seeds pass through doubles exactly

struct AttentionConfig {
  AttentionKind kind = AttentionKind::kFull;
  int performer_features = 64;  // Performer: random features per head
  int linformer_k = 64;         // Linformer: projected length
  int max_length = 257;         // Linformer: longest sequence (CLS included); set by complete_config
};

// SCTrans (Lin et al. 2024): tokens are sub-vectors of a cell's expression at several scales
// (data/subvectors.h) instead of (gene, value) pairs; the tokenizer kind is kSubvectors.
// Fine-tuning adds a supervised contrastive term and the gene-selection module: scores S of the
// tokens (a query from the cell's mean state against the token keys, standardised per cell) give a
// soft mask M = sigmoid(sharpness * (S - theta)), theta learned, that weights the sub-vectors of a
// lightweight second encoder trained with the main one by mutual learning (KL both ways).
struct SubvectorConfig {
  static constexpr const char* kSettingsName = "subvectors";
  std::vector<int> scales;        // empty: a token model
  int light_layers = 1;           // blocks of the second encoder
  double sharpness = 10;          // T in M = sigmoid(T (S - theta))
  double keep_share = 0.25;       // target mean of M (a squared penalty keeps the selection sparse)
  double contrastive_weight = 0.1;
  double temperature = 0.1;       // of the supervised contrastive term
  double mutual_weight = 1.0;     // of the two KL terms
  double selection_weight = 1.0;  // of the sparsity penalty
  double light_weight = 0;        // share of the light classifier's logits in predictions
};

template <typename V>
void visit_fields(SubvectorConfig& c, V&& v) {
  v(Field("scales").in(1, kIntMax), c.scales);
  v(Field("light_layers").in(1, kIntMax), c.light_layers);
  v(Field("sharpness").at_least(above(0)), c.sharpness);
  v(Field("keep_share").in(above(0), below(1)), c.keep_share);
  v(Field("contrastive_weight").at_least(0), c.contrastive_weight);
  v(Field("temperature").at_least(above(0)), c.temperature);
  v(Field("mutual_weight").at_least(0), c.mutual_weight);
  v(Field("selection_weight").at_least(0), c.selection_weight);
  v(Field("light_weight").in(0, 1), c.light_weight);
}

struct ModelConfig {
  static constexpr const char* kSettingsName = "model";
  int n_features = 0;   // vocabulary size (genes)
  int n_classes = 0;    // labels; 0 for an encoder without a classifier head
  int dim = 64;
  int n_layers = 2;
  int n_heads = 4;
  int ff_dim = 128;
  double dropout = 0.1;
  AttentionConfig attention;     // max_length is set from the tokenizer (see complete_config)
  bool share_projection = false; // Linformer: one length projection for all layers
  int redraw_interval = 0;       // Performer: redraw random features every n training steps (0: never)
  // kMlp: MLP on the pooled embedding; kCnn: scBERT's 1 x dim convolution giving one score per
  // gene token, then fully connected layers over the n_features + 1 gene slots (CLS first).
  HeadKind head = HeadKind::kMlp;
  int n_values = 0;     // value vocabulary; set from the tokenizer (see complete_config)
  // The pooled mean covers expressed (value > 0) positions only; set for full-length tokenizers
  // (see complete_config), whose sequences are mostly zeros that would drown the cell's signal.
  bool pool_expressed = false;
  SubvectorConfig subvectors;  // hosts pass none (NULL) for a token model
};

// The fields a host sets (complete_config derives n_values, pool_expressed, attention.max_length).
template <typename V>
void visit_fields(ModelConfig& c, V&& v) {
  v(Field("n_features").in(0, kIntMax), c.n_features);
  v(Field("n_classes").in(0, kIntMax), c.n_classes);
  v(Field("dim").in(1, kIntMax), c.dim);
  v(Field("n_layers").in(1, kIntMax), c.n_layers);
  v(Field("n_heads").in(1, kIntMax), c.n_heads);
  v(Field("ff_dim").in(1, kIntMax), c.ff_dim);
  v(Field("dropout").in(0, below(1)), c.dropout);
  v(Field("attention"), c.attention.kind);
  v(Field("performer_features").in(1, kIntMax), c.attention.performer_features);
  v(Field("linformer_k").in(1, kIntMax), c.attention.linformer_k);
  v(Field("share_projection"), c.share_projection);
  v(Field("redraw_interval").in(0, kIntMax), c.redraw_interval);
  v(Field("head"), c.head);
  v(Field("subvectors"), c.subvectors);
}

inline bool is_subvector_model(const ModelConfig& model) { return !model.subvectors.scales.empty(); }

// Width of a model's cell embedding: 2 * dim (CLS state and mean of the gene states), or for
// SCTrans n_scales * dim (the mean state of each scale's tokens).
inline int embedding_width(const ModelConfig& model) {
  return is_subvector_model(model) ? static_cast<int>(model.subvectors.scales.size()) * model.dim : 2 * model.dim;
}

struct TokenizerConfig {
  static constexpr const char* kSettingsName = "tokenizer";
  int max_tokens = 256;   // genes kept per cell
  int max_bin = 30;       // kBins, kCounts: values 0..max_bin, higher values capped; kValueBins: quantile bins 1..max_bin
  double scale_factor = 1e4;
  double bins_per_log2 = 3.0;  // kBins bin width: 1 is scBERT's floor(log2(1 + CP10k)); 2 halves it
  TokenizerKind kind = TokenizerKind::kBins;
  bool full_length = false;
  double zero_share = 0.0;        // kValueBins: zero genes sampled per non-zero gene kept
  std::uint64_t seed = 1;         // kValueBins: zero sampling is a function of (seed, cell index)
  std::vector<float> gene_scale;  // kRank: per-vocabulary-gene divisor (median non-zero CP10k)
};

template <typename V>
void visit_fields(TokenizerConfig& c, V&& v) {
  v(Field("max_tokens").in(1, kIntMax), c.max_tokens);
  v(Field("max_bin").in(0, kIntMax), c.max_bin);
  v(Field("scale_factor").at_least(above(0)), c.scale_factor);
  v(Field("bins_per_log2").at_least(above(0)), c.bins_per_log2);
  v(Field("kind"), c.kind);
  v(Field("full_length"), c.full_length);
  v(Field("zero_share").at_least(0), c.zero_share);
  v(Field("seed").in(0, kWholeMax), c.seed);
  v(Field("gene_scale"), c.gene_scale);
}

// The model a tokenizer feeds: n_values = max_value + 1, attention.max_length = longest sequence
// (CLS included), pool_expressed = full length. Every core entry point applies it, so hosts never
// set these fields (model/encoder.cpp).
ModelConfig complete_config(ModelConfig model, const TokenizerConfig& tokenizer);

// Data-parallel training over processes (torchrun's convention): every process runs the same
// training; each takes its share of every batch and gradients are averaged with c10d (Gloo).
struct DistributedConfig {
  static constexpr const char* kSettingsName = "distributed";
  int rank = 0;
  int world_size = 1;  // 1: a single process, nothing is set up
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_seconds = 300;
};

template <typename V>
void visit_fields(DistributedConfig& c, V&& v) {
  v(Field("rank").in(0, kIntMax).run_only(), c.rank);
  v(Field("world_size").in(1, kIntMax), c.world_size);
  v(Field("master_addr").run_only(), c.master_addr);
  v(Field("master_port").in(1, 65535).run_only(), c.master_port);
  v(Field("timeout").at_least(above(0)).run_only(), c.timeout_seconds);
}

struct TrainConfig {
  static constexpr const char* kSettingsName = "train";
  int epochs = 30;
  int batch_size = 32;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;
  double warmup_fraction = 0.1;  // share of all steps with a linear warm-up, then cosine decay
  double clip_norm = 1.0;
  double validation_fraction = 0.1;
  int patience = 5;              // epochs without validation-loss improvement before stopping
  double label_smoothing = 0.0;
  double token_dropout = 0.0;    // share of a cell's gene tokens dropped at random per training step
  // SD of a per-gene log-scale factor drawn per training step and shared by its cells: each gene's
  // normalised expression is multiplied by exp(N(0, sd^2)), as another platform's capture
  // efficiency would (SCTrans models; 0: off).
  double gene_scale_noise = 0.0;
  // Binomial down-sampling of each training cell's counts per step, to a share drawn log-uniformly
  // between 1 - downsample and 1, as shallower sequencing would (SCTrans models; 0: off).
  double downsample = 0.0;
  // Mixup: each training step blends its cells' values with those of the same cells in a random
  // order, by a share drawn from Beta(mixup, mixup) (the larger share kept for the cell's own
  // label), and the loss blends the two labels alike (SCTrans models; 0: off).
  double mixup = 0.0;
  bool length_bucketing = false; // training batches of cells with similar token counts (less padding)
  std::vector<float> class_weights;  // empty: unweighted cross-entropy
  // Class-balanced sampling: each epoch draws as many training cells as there are, a class of n
  // cells n^(1 - class_sampling) / sum of the same over classes of the time (0: each cell once).
  double class_sampling = 0.0;
  std::uint64_t seed = 1;
  int num_threads = 0;           // 0: leave LibTorch's setting alone
  std::string device = "cpu";
  std::string precision = "fp32";  // "bf16": autocast forward passes (util/backend.h)
  std::string checkpoint;        // written (atomically) after every epoch when not empty
  bool resume = false;           // continue from `checkpoint` when it exists
  // Fine-tuning: encoder weights to start from (empty: random) and the blocks that train:
  // -1 all (embeddings included), 0 the head only, n the top n blocks and the head.
  std::string init_encoder;
  int trainable_blocks = -1;
  // Fixed feature vectors (annATAC's SVD position embedding of peak islands): n_features x dim,
  // row-major, copied into the feature (gene) embedding of a model trained from scratch; empty:
  // the embedding starts random. freeze_features keeps the feature embedding as it starts.
  std::vector<float> feature_vectors;
  bool freeze_features = false;
  DistributedConfig distributed;
};

template <typename V>
void visit_fields(TrainConfig& c, V&& v) {
  v(Field("epochs").in(1, kIntMax), c.epochs);
  v(Field("batch_size").in(1, kIntMax), c.batch_size);
  v(Field("learning_rate").at_least(above(0)), c.learning_rate);
  v(Field("weight_decay").at_least(0), c.weight_decay);
  v(Field("warmup_fraction").in(0, below(1)), c.warmup_fraction);
  v(Field("clip_norm").at_least(above(0)), c.clip_norm);
  v(Field("validation_fraction").in(0, below(1)), c.validation_fraction);
  v(Field("patience").in(1, kIntMax), c.patience);
  v(Field("label_smoothing").in(0, below(1)), c.label_smoothing);
  v(Field("token_dropout").in(0, below(1)), c.token_dropout);
  v(Field("gene_scale_noise").in(0, 10), c.gene_scale_noise);
  v(Field("downsample").in(0, below(1)), c.downsample);
  v(Field("mixup").in(0, 10), c.mixup);
  v(Field("length_bucketing"), c.length_bucketing);
  v(Field("class_weights").at_least(0), c.class_weights);
  v(Field("class_sampling").in(0, 1), c.class_sampling);
  v(Field("seed").in(0, kWholeMax), c.seed);
  v(Field("num_threads").in(0, kIntMax).run_only(), c.num_threads);
  v(Field("device").run_only(), c.device);
  v(Field("precision"), c.precision);
  v(Field("checkpoint").run_only(), c.checkpoint);
  v(Field("resume").run_only(), c.resume);
  v(Field("init_encoder").raw(), c.init_encoder);
  v(Field("trainable_blocks").in(-1, kIntMax), c.trainable_blocks);
  v(Field("feature_vectors"), c.feature_vectors);
  v(Field("freeze_features"), c.freeze_features);
  v(Field("distributed"), c.distributed);
}

struct PretrainConfig {
  static constexpr const char* kSettingsName = "pretrain";
  double mask_fraction = 0.15;  // share of non-zero positions masked per cell
  double mask_replace = 0.9;    // share of masked positions replaced by MASK (the rest keep their token)
  bool balanced_masking = false;  // equal masks per value class in a cell (annATAC)
  // Weight of a contrastive term (0: off): two views of each cell, each keeping a random half of
  // its tokens (SCTrans: of its genes), must have matching cell embeddings among the batch
  // (InfoNCE), so the embedding learns what makes cells alike rather than only expression levels.
  double contrastive_weight = 0.0;
  double temperature = 0.1;
};

template <typename V>
void visit_fields(PretrainConfig& c, V&& v) {
  v(Field("mask_fraction").in(above(0), below(1)), c.mask_fraction);
  v(Field("mask_replace").in(0, 1), c.mask_replace);
  v(Field("balanced_masking"), c.balanced_masking);
  v(Field("contrastive_weight").at_least(0), c.contrastive_weight);
  v(Field("temperature").at_least(above(0)), c.temperature);
}

struct RunConfig {  // inference
  static constexpr const char* kSettingsName = "run";
  int batch_size = 256;
  int num_threads = 0;
  std::string device = "cpu";
  std::string precision = "fp32";
  bool length_bucketing = true;  // batches of cells of similar token counts; false: input order
};

template <typename V>
void visit_fields(RunConfig& c, V&& v) {
  v(Field("batch_size").in(1, kIntMax), c.batch_size);
  v(Field("num_threads").in(0, kIntMax), c.num_threads);
  v(Field("device"), c.device);
  v(Field("precision"), c.precision);
  v(Field("length_bucketing"), c.length_bucketing);
}

// Whether T is one of the settings structs above (a field of that type is a nested struct).
template <typename T, typename = void>
struct is_settings : std::false_type {};
template <typename T>
struct is_settings<T, std::void_t<decltype(T::kSettingsName)>> : std::true_type {};

// The fields of a const struct, read only.
template <typename Config, typename V, std::enable_if_t<is_settings<Config>::value, int> = 0>
void visit_fields(const Config& c, V&& v) {
  visit_fields(const_cast<Config&>(c), [&v](const Field& f, auto& x) { v(f, std::as_const(x)); });
}

// Every settings struct a host can fill, for the schema.
template <typename V>
void visit_settings_types(V&& v) {
  v(ModelConfig{});
  v(SubvectorConfig{});
  v(TokenizerConfig{});
  v(TrainConfig{});
  v(DistributedConfig{});
  v(PretrainConfig{});
  v(RunConfig{});
}

}  // namespace sclm
