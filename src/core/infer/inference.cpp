// Batched inference: tokenize cells, run the model one batch at a time, copy results out.
// Cells are tokenized a window of batches at a time; one batch at a time is on the device. On the
// CPU with two or more threads, ranges of cells of SCTrans models run side by side, one thread each.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "api.h"
#include "data/batch.h"
#include "data/levels.h"
#include "data/tokenizer.h"
#include "model/classifier.h"
#include "model/sctrans.h"
#include "util/backend.h"
#include "util/blas_kernel.h"

namespace sclm {
namespace {

// Cells tokenized ahead of the model, in batches: batches are formed within such a window of
// cells, sorted by length, so host memory stays bounded while padding stays small.
constexpr int kBucketWindowBatches = 16;

// The cells of a batch: row i is cell first + local[i] of the input (local: within a window).
struct BatchCells {
  int first = 0;
  std::vector<int> local;
  int cell(std::size_t i) const { return first + local[i]; }
};

// Checks the cells and the run settings of a pass before it starts.
void check_pass(const CscView& counts, const RunConfig& run) {
  counts.validate();
  if (run.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
}

// The cells of columns [first, last) of `counts`, as a view of their own (column pointers from 0,
// kept in `pointers`).
CscView column_range(const CscView& counts, int first, int last, std::vector<int>& pointers) {
  pointers.resize(static_cast<std::size_t>(last - first) + 1);
  for (int j = first; j <= last; ++j) pointers[j - first] = counts.p[j] - counts.p[first];
  CscView view = counts;
  view.p = pointers.data();
  view.i = counts.i + counts.p[first];
  view.x = counts.x + counts.p[first];
  view.n_cols = last - first;
  return view;
}

// Runs pass(cells, offset, run, interrupted) over the columns of `counts`, where `offset` is the
// index of the view's first cell in `counts`. A model's work on one batch is too small to keep
// two LibTorch threads busy (two threads annotated 1.2 times as fast as one), so on the CPU with
// two or more threads the cells are cut, at multiples of the batch size (so that every batch
// holds the cells it holds in one pass), into up to run.num_threads ranges that run side by side,
// each on its own thread with num_threads / ranges LibTorch threads. A cell's results are those
// of a pass with that many threads. The calling thread alone polls `interrupted`, which stops
// every range after its current batch; a range's error stops the others and is rethrown here;
// the ranges' torch warnings are collected as the calling thread's are.
template <typename Pass>
void side_by_side(const CscView& counts, const RunConfig& run, const std::function<bool()>& interrupted,
                  const Pass& pass) {
  check_pass(counts, run);
  configure_runtime(run.num_threads);  // the calling thread's count, as a pass of one range leaves it
  const int threads = torch::get_num_threads();
  const int64_t align = run.batch_size;
  const int chunks = static_cast<int>((counts.n_cols + align - 1) / align);
  const int workers = std::min(threads, chunks);
  if (workers < 2 || !resolve_device(run.device).is_cpu()) {
    pass(counts, 0, run, interrupted);
    return;
  }
  RunConfig each = run;
  each.num_threads = threads / workers;
  std::vector<std::vector<int>> pointers(workers);
  std::exception_ptr error;  // the first range's error: the others' follow from the stop it set
  std::atomic<bool> stop{false};
  int running = workers;
  std::mutex mutex;
  std::condition_variable changed;
  const BlasKernelScope blas;  // held here, so the ranges' own scopes leave the kernels alone
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    const int first = static_cast<int>(std::min<int64_t>(counts.n_cols, int64_t{chunks} * w / workers * align));
    const int last = static_cast<int>(std::min<int64_t>(counts.n_cols, int64_t{chunks} * (w + 1) / workers * align));
    const CscView view = column_range(counts, first, last, pointers[w]);
    pool.emplace_back([&, view, first] {
      const WarningCapture capture;  // torch warnings reach the host, as on the calling thread
      std::exception_ptr own;
      try {
        pass(view, first, each, std::function<bool()>([&] { return stop.load(); }));
      } catch (...) {
        own = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(mutex);
      if (own && !error) error = own;
      if (own) stop = true;
      --running;
      changed.notify_one();
    });
  }
  std::exception_ptr host_error;  // an interrupt, or an error of the host's callback
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (running > 0) {
      if (!stop && interrupted) {
        lock.unlock();  // the ranges go on while the host looks
        try {
          if (interrupted()) host_error = std::make_exception_ptr(Interrupted());
        } catch (...) {
          host_error = std::current_exception();
        }
        if (host_error) stop = true;
        lock.lock();
      }
      changed.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; });
    }
  }
  for (auto& t : pool) t.join();
  torch::set_num_threads(threads);  // the ranges set LibTorch's count for new threads to theirs
  if (host_error) std::rethrow_exception(host_error);
  if (error) std::rethrow_exception(error);
}

// Checks the run settings, loads `weights` into `model` and feeds it one batch at a time:
// `batches(device, send)` calls send(input, cells) for each batch, which runs consume(model, input, cells).
template <typename Module, typename MakeBatches, typename Consumer>
void for_each_batch(Module model, const std::string& weights, const RunConfig& run,
                    const std::function<bool()>& interrupted, const MakeBatches& batches, const Consumer& consume) {
  const auto precision = parse_precision(run.precision);
  const auto device = resolve_device(run.device);
  configure_runtime(run.num_threads);
  const BlasKernelScope blas;
  deserialize_module(*model, weights, device);
  model->to(device);
  model->eval();
  torch::NoGradGuard no_grad;
  torch::InferenceMode inference_mode;
  batches(device, [&](const auto& input, const BatchCells& cells) {
    if (interrupted && interrupted()) throw Interrupted();
    AutocastScope autocast(device, precision);
    consume(model, input, cells);
  });
}

// Token models (CellClassifier or TokenEncoder): consume(module, batch, store, cells), where
// cells.local are the batch's cells in `store`. One range of cells: their long sequences need
// buffers of tens of MB, which threads other than the first get from the system anew each time
// (likely: glibc's arenas other than the first do not keep blocks that large); ranges side by side
// annotated peak islands 3 times slower (bench/query_width.R, granja 600).
template <typename Module, typename Consumer>
void run_batches(const std::string& weights, const ModelConfig& model_config, const TokenizerConfig& tokenizer_config,
                 const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                 const std::function<bool()>& interrupted, const Consumer& consume) {
  check_pass(counts, run);
  const ModelConfig config = complete_config(model_config, tokenizer_config);
  const Tokenizer tokenizer(tokenizer_config, feature_map, config.n_features);
  TokenStore store;
  for_each_batch(
      Module(config), weights, run, interrupted,
      [&](const torch::Device& device, const auto& send) {
        // A window of one batch keeps the input order (sorting within a batch changes no padding).
        const int64_t window = static_cast<int64_t>(run.batch_size) * (run.length_bucketing ? kBucketWindowBatches : 1);
        for (int64_t first = 0; first < counts.n_cols; first += window) {
          store = TokenStore();
          tokenizer.tokenize_columns(counts, static_cast<int>(first),
                                     static_cast<int>(std::min<int64_t>(counts.n_cols, first + window)), store, first);
          for (auto& local : length_sorted_batches(store, run.batch_size)) {
            const auto batch = make_batch(store, local).to(device);
            send(batch, BatchCells{static_cast<int>(first), std::move(local)});
          }
        }
      },
      [&](Module& m, const TokenBatch& batch, const BatchCells& cells) { consume(m, batch, store, cells); });
}

// SCTrans models (`make()` builds the module): dense expression levels [B, G];
// consume(module, levels, cells), called from several threads (for different cells) when ranges
// of cells run side by side.
template <typename MakeModule, typename Consumer>
void run_level_batches(const MakeModule& make, const std::string& weights, const ModelConfig& config,
                       const TokenizerConfig& tokenizer, const CscView& counts, const std::vector<int>& feature_map,
                       const RunConfig& run, const std::function<bool()>& interrupted, const Consumer& consume) {
  side_by_side(counts, run, interrupted,
               [&](const CscView& cells_view, int offset, const RunConfig& range_run, const std::function<bool()>& stop) {
                 for_each_batch(
                     make(), weights, range_run, stop,
                     [&](const torch::Device& device, const auto& send) {
                       for (int64_t start = 0; start < cells_view.n_cols; start += range_run.batch_size) {
                         const auto end = std::min<int64_t>(cells_view.n_cols, start + range_run.batch_size);
                         LevelStore store;
                         append_levels(cells_view, feature_map, config.n_features, tokenizer.scale_factor,
                                       static_cast<int>(start), static_cast<int>(end), store);
                         BatchCells cells{offset + static_cast<int>(start), std::vector<int>(end - start)};
                         std::iota(cells.local.begin(), cells.local.end(), 0);
                         send(dense_levels(store, cells.local, config.n_features).to(device), cells);
                       }
                     },
                     consume);
               });
}

// A completed SCTrans configuration, checked.
ModelConfig subvector_config(const ModelConfig& model, const TokenizerConfig& tokenizer) {
  const ModelConfig config = complete_config(model, tokenizer);
  check_subvector_config(config, tokenizer);
  return config;
}

// Writes row i of a batch's rows [B, width] to row cells.cell(i) of the row-major `out`.
void copy_rows(const torch::Tensor& rows, std::vector<float>& out, const BatchCells& cells) {
  const auto cpu = rows.to(torch::kCPU, torch::kFloat32).contiguous();
  const auto width = static_cast<std::size_t>(cpu.size(1));
  for (std::size_t i = 0; i < cells.local.size(); ++i)
    std::memcpy(out.data() + static_cast<std::size_t>(cells.cell(i)) * width, cpu.data_ptr<float>() + i * width,
                sizeof(float) * width);
}

}  // namespace

Classification classify_cells(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                              const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                              const std::function<bool()>& interrupted, bool with_embeddings) {
  return with_torch_errors([&] {
    Classification out;
    const int n_classes = model.n_classes, width = embedding_width(model);
    out.logits.resize(static_cast<std::size_t>(counts.n_cols) * n_classes);
    if (with_embeddings) out.embeddings.resize(static_cast<std::size_t>(counts.n_cols) * width);
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      run_level_batches([&] { return SctransClassifier(config); }, weights, config, tokenizer, counts, feature_map, run, interrupted,
                        [&](SctransClassifier& m, const torch::Tensor& levels, const BatchCells& cells) {
                          torch::Tensor pooled;
                          copy_rows(m->predict(levels, with_embeddings ? &pooled : nullptr), out.logits, cells);
                          if (with_embeddings) copy_rows(pooled, out.embeddings, cells);
                        });
      return out;
    }
    run_batches<CellClassifier>(weights, model, tokenizer, counts, feature_map, run, interrupted,
                                [&](CellClassifier& m, const TokenBatch& batch, const TokenStore&, const BatchCells& cells) {
                                  torch::Tensor pooled;
                                  const auto logits = m->forward(batch, with_embeddings ? &pooled : nullptr);
                                  copy_rows(logits, out.logits, cells);
                                  if (with_embeddings) copy_rows(pooled, out.embeddings, cells);
                                });
    return out;
  });
}

std::vector<float> embed_cells(const std::string& encoder_weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    std::vector<float> out(static_cast<std::size_t>(counts.n_cols) * embedding_width(model));
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      run_level_batches([&] { return SubvectorEncoder(config, config.n_layers); }, encoder_weights, config, tokenizer, counts,
                        feature_map, run, interrupted, [&](SubvectorEncoder& m, const torch::Tensor& levels, const BatchCells& cells) {
                          copy_rows(m->pool(m(levels)), out, cells);
                        });
      return out;
    }
    run_batches<TokenEncoder>(encoder_weights, model, tokenizer, counts, feature_map, run, interrupted,
                              [&](TokenEncoder& m, const TokenBatch& batch, const TokenStore&, const BatchCells& cells) {
                                copy_rows(m->pool(m->forward(batch), batch), out, cells);
                              });
    return out;
  });
}

AttentionScores gene_attention(const std::string& encoder_weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    if (is_subvector_model(model))
      throw std::invalid_argument("SCTrans models score sub-vectors, not genes: use salient_subvectors");
    AttentionScores out;
    run_batches<TokenEncoder>(encoder_weights, model, tokenizer, counts, feature_map, run, interrupted,
                              [&](TokenEncoder& m, const TokenBatch& batch, const TokenStore& store, const BatchCells& cells) {
                                torch::Tensor weights;
                                m->forward(batch, &weights);
                                const auto cpu = weights.to(torch::kCPU, torch::kFloat32).contiguous();
                                auto a = cpu.accessor<float, 2>();
                                for (std::size_t i = 0; i < cells.local.size(); ++i) {
                                  const int c = cells.local[i];
                                  for (int t = 0; t < store.length(c); ++t) {  // position t + 1: after CLS
                                    out.cell.push_back(cells.cell(i));
                                    out.feature.push_back(store.genes[store.offsets[c] + t] - kGeneTokenOffset);
                                    out.score.push_back(a[i][t + 1]);
                                  }
                                }
                              });
    return out;
  });
}

Salience salient_subvectors(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                            const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                            const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    const auto config = subvector_config(model, tokenizer);
    Salience out;
    out.n_tokens = config.attention.max_length;
    out.scores.resize(static_cast<std::size_t>(counts.n_cols) * out.n_tokens);
    out.mask.resize(out.scores.size());
    out.logits.resize(static_cast<std::size_t>(counts.n_cols) * config.n_classes);
    run_level_batches([&] { return SctransClassifier(config); }, weights, config, tokenizer, counts, feature_map, run, interrupted,
                      [&](SctransClassifier& m, const torch::Tensor& levels, const BatchCells& cells) {
                        const auto o = m->forward_all(levels);
                        copy_rows(o.scores, out.scores, cells);
                        copy_rows(o.mask, out.mask, cells);
                        copy_rows(m->predicted(o), out.logits, cells);
                      });
    return out;
  });
}

void validate_weights(const std::string& weights, const std::string& encoder_weights, const ModelConfig& model,
                      const TokenizerConfig& tokenizer) {
  with_torch_errors([&] {
    const torch::Device cpu(torch::kCPU);
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      if (!weights.empty()) {
        SctransClassifier classifier(config);
        deserialize_module(*classifier, weights, cpu);
      }
      SubvectorEncoder encoder(config, config.n_layers);
      deserialize_module(*encoder, encoder_weights, cpu);
      return 0;
    }
    const ModelConfig config = complete_config(model, tokenizer);
    if (!weights.empty()) {
      CellClassifier classifier(config);
      deserialize_module(*classifier, weights, cpu);
    }
    TokenEncoder encoder(config);
    deserialize_module(*encoder, encoder_weights, cpu);
    return 0;
  });
}

}  // namespace sclm
