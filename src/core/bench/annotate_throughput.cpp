// Annotation throughput (cells/s) of scLM's inference path (classify_cells: tokenize a batch on
// the host, copy it, run the classifier, copy the logits back) on real cells, replicated.
//   sclm_bench_annotate [model=demo|scbert] [device=cpu] [precision=fp32] [batch=256] [copies=1]
//                       [cells=0] [threads=2] [repeats=3] [data=<tests/data>] [stem=pbmc_subset]
//                       [genes=2000] [tokens=256] [bucketing=1]
// demo: scLMConfig() as make demo trains it (2,000 genes, 256 tokens, dim 32, 2 layers);
// scbert: scbert_config() at full gene length (every gene of the data, Performer, CNN head).
// genes and tokens change the demo model's vocabulary (the most detected genes) and max_tokens;
// bucketing=0 batches cells in input order instead of by token count.
// The weights are random: throughput depends on the shapes, not on the values. Prints the best
// of `repeats` passes.
#include <torch/version.h>

#include <chrono>
#include <cstdio>

#include "api.h"
#include "bench_options.h"
#include "model/classifier.h"
#include "util/backend.h"

int main(int argc, char** argv) {
  const sclm_bench::Options o(argc, argv, {{"model", "demo"}, {"device", "cpu"}, {"precision", "fp32"},
                                           {"batch", "256"}, {"copies", "1"}, {"cells", "0"}, {"threads", "2"},
                                           {"repeats", "3"}, {"data", SCLM_TEST_DATA}, {"stem", "pbmc_subset"},
                                           {"genes", "2000"}, {"tokens", "256"}, {"bucketing", "1"}});
  auto data = sclm_bench::replicate(sclm_test::load_cells(o.str("data"), o.str("stem")), o.integer("copies"));
  if (o.integer("cells") > 0 && o.integer("cells") < data.n_cols) data.n_cols = o.integer("cells");

  sclm::ModelConfig model;
  sclm::TokenizerConfig tokenizer;
  model.n_classes = data.n_classes;
  int n_genes = o.integer("genes");
  tokenizer.max_tokens = o.integer("tokens");
  if (o.str("model") == "scbert") {
    n_genes = data.n_rows;
    tokenizer.full_length = true;
    tokenizer.bins_per_log2 = 1;
    tokenizer.max_bin = 5;
    model.dim = 200;
    model.n_layers = 6;
    model.n_heads = 10;
    model.ff_dim = 800;
    model.attention.kind = sclm::AttentionKind::kPerformer;
    model.attention.performer_features = 256;
    model.head = sclm::HeadKind::kCnn;
  } else {
    model.ff_dim = 2 * model.dim;
  }
  n_genes = std::min(n_genes, data.n_rows);
  model.n_features = n_genes;
  const auto feature_map = sclm_bench::most_detected_genes(data, n_genes);

  sclm::RunConfig run;
  run.device = o.str("device");
  run.precision = o.str("precision");
  run.batch_size = o.integer("batch");
  run.num_threads = o.integer("threads");
  run.length_bucketing = o.integer("bucketing") != 0;
  torch::manual_seed(1);
  const auto config = sclm::complete_config(model, tokenizer);
  sclm::CellClassifier classifier(config);
  const std::string weights = sclm::serialize_module(*classifier);

  const torch::Device device = sclm::resolve_device(run.device);
  double best = 1e300;
  for (int r = 0; r < o.integer("repeats") + 1; ++r) {  // the first pass warms up
    sclm_bench::reset_cuda_peak(device);
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = sclm::classify_cells(weights, model, tokenizer, data.view(), feature_map, run, nullptr, false);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) best = std::min(best, s);
    if (out.logits.size() != static_cast<std::size_t>(data.n_cols) * data.n_classes) return 1;
  }
  std::printf("%-7s %-5s %-5s batch %5d  %7d cells  %8.2f s  %9.0f cells/s  peak %8.0f MiB  (LibTorch %s, seq %d%s)\n",
              o.str("model").c_str(), o.str("device").c_str(), o.str("precision").c_str(), run.batch_size, data.n_cols,
              best, data.n_cols / best, sclm_bench::cuda_peak_mib(device), TORCH_VERSION,
              tokenizer.full_length ? n_genes + 1 : tokenizer.max_tokens + 1,
              run.length_bucketing ? ", length bucketing" : ", input order");
  return 0;
}
