"""The scLM classifier written in plain PyTorch, timed on the exact batches scLM's C++ benchmark
used (real pbmc3k cells). Run through bench/train_step.sh (CPU) or bench/gpu.sh (CUDA).
  train_step_pytorch.py <batches.txt> <threads> <n_features> <n_classes>
                        [device dim layers heads ff max_bin precision full_length optimizer]
optimizer 0 times forward + backward alone. SCLM_BENCH_SDP=cudnn|efficient|flash|math restricts
PyTorch 2.x's fused attention to one kernel (to see which one a run used). SCLM_BENCH_PROFILE=<file.json>
then records 3 more steps with torch.profiler (as sclm_bench_step profile=...) for bench/kernel_profile.py.
SCLM_BENCH_QKV=select, SCLM_BENCH_STREAM=bf16 and SCLM_BENCH_MASK=none: variants, see below."""
import contextlib
import os
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, GENE_OFFSET, BIN_OFFSET = 0, 3, 2
# SCLM_BENCH_QKV=select splits q, k, v with three selects (scLM before it switched to unbind).
SELECT_QKV = os.environ.get("SCLM_BENCH_QKV") == "select"
# SCLM_BENCH_STREAM=bf16 carries the residual stream and the block norms in bf16 under autocast, as
# scLM does (model/layers.h): scLM's recipe written in PyTorch, to tell recipe from implementation.
BF16_STREAM = os.environ.get("SCLM_BENCH_STREAM") == "bf16"
# SCLM_BENCH_MASK=none passes no attention mask (right only for batches without padding).
NO_MASK = os.environ.get("SCLM_BENCH_MASK") == "none"


def stream_norm(layer, x):
    if x.dtype != torch.bfloat16:
        return layer(x)
    with torch.autocast(x.device.type, enabled=False):
        return F.layer_norm(x, layer.normalized_shape, layer.weight.to(x.dtype), layer.bias.to(x.dtype), layer.eps)


class Block(nn.Module):
    def __init__(self, dim, heads, ff_dim, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm_attention, self.norm_ff = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.ff_in, self.ff_out = nn.Linear(dim, ff_dim), nn.Linear(ff_dim, dim)

    def attention(self, x, padding):
        B, L, D = x.shape
        qkv = self.qkv(x).view(B, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = (qkv[0], qkv[1], qkv[2]) if SELECT_QKV else qkv.unbind(0)
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2.x: fused kernels, as scLM uses there
            context = F.scaled_dot_product_attention(q, k, v, None if NO_MASK else ~padding.view(B, 1, 1, L))
            return self.out(context.transpose(1, 2).reshape(B, L, D))
        bias = torch.zeros(B, 1, 1, L).masked_fill_(padding.view(B, 1, 1, L), float("-inf"))
        probs = torch.softmax(q @ k.transpose(-2, -1) / (D // self.heads) ** 0.5 + bias, -1)
        return self.out((probs @ v).transpose(1, 2).reshape(B, L, D))

    def forward(self, x, padding):
        x = x + F.dropout(self.attention(stream_norm(self.norm_attention, x), padding), self.dropout, self.training)
        h = self.ff_out(F.dropout(F.gelu(self.ff_in(stream_norm(self.norm_ff, x))), self.dropout, self.training))
        return x + F.dropout(h, self.dropout, self.training)


class Classifier(nn.Module):
    def __init__(self, n_features, n_classes, dim=32, layers=2, heads=4, ff_dim=64, max_bin=30, dropout=0.1,
                 pool_expressed=False):
        super().__init__()
        self.dropout, self.pool_expressed = dropout, pool_expressed
        self.genes = nn.Embedding(n_features + GENE_OFFSET, dim, padding_idx=PAD)
        self.bins = nn.Embedding(max_bin + 1 + BIN_OFFSET, dim, padding_idx=PAD)
        self.blocks = nn.ModuleList(Block(dim, heads, ff_dim, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.hidden, self.output = nn.Linear(2 * dim, dim), nn.Linear(dim, n_classes)

    def forward(self, genes, bins, padding):
        x = self.genes(genes) + self.bins(bins)
        if BF16_STREAM and torch.is_autocast_enabled(x.device.type):
            x = x.to(torch.bfloat16)
        for block in self.blocks:
            x = block(x, padding)
        x = self.norm(x.float())
        mask = ~padding
        if self.pool_expressed:  # full length: the mean covers expressed genes only
            mask = mask & (bins != BIN_OFFSET)
        mask = mask.to(x.dtype)
        mask[:, 0] = 0
        mean = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
        h = F.gelu(self.hidden(torch.cat([x[:, 0], mean], 1)))
        return self.output(F.dropout(h, self.dropout, self.training))


def read_batches(path):
    batches = []
    with open(path) as f:
        while True:
            header = f.readline()
            if not header:
                break
            b, l = map(int, header.split())
            genes, bins, padding, y = (torch.tensor(list(map(int, f.readline().split()))) for _ in range(4))
            batches.append((genes.view(b, l), bins.view(b, l), padding.view(b, l).bool(), y))
    return batches


def main():
    path, threads, n_features, n_classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    device, dim, layers, heads, ff_dim, max_bin, precision, full_length, optimize = (
        sys.argv[5:] + ["cpu", "32", "2", "4", "64", "30", "fp32", "0", "1"][len(sys.argv[5:]):])
    device = torch.device(device)
    only = os.environ.get("SCLM_BENCH_SDP")
    if only:
        for name in ("cudnn", "flash", "mem_efficient", "math"):
            getattr(torch.backends.cuda, f"enable_{name}_sdp")(name in (only, "mem_" + only))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    batches = [tuple(t.to(device) for t in b) for b in read_batches(path)]
    model = Classifier(n_features, n_classes, int(dim), int(layers), int(heads), int(ff_dim), int(max_bin),
                       pool_expressed=full_length == "1").to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

    def autocast():
        if precision == "bf16":
            return torch.autocast(device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step(b):
        genes, bins, padding, y = b
        opt.zero_grad()
        with autocast():
            loss = F.cross_entropy(model(genes, bins, padding), y)
        loss.backward()
        if optimize == "0":
            return
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for b in batches[:3]:
        step(b)
    sync()
    t0 = time.perf_counter()
    for b in batches:
        step(b)
    sync()
    ms = 1000 * (time.perf_counter() - t0) / len(batches)
    profile = os.environ.get("SCLM_BENCH_PROFILE")
    if profile:
        activities = [torch.profiler.ProfilerActivity.CPU] + (
            [torch.profiler.ProfilerActivity.CUDA] if device.type == "cuda" else [])
        warnings.filterwarnings("ignore", message=".*Profiler clears events")
        with torch.profiler.profile(activities=activities) as prof:
            for b in batches[:3]:
                step(b)
            sync()
        prof.export_chrome_trace(profile)
    B, L = batches[0][0].shape
    print(f"plain PyTorch {torch.__version__}: {ms:.2f} ms/step (batch {B}, seq {L}, {len(batches)} steps, "
          f"{device.type}, {precision}, {threads} threads{'' if optimize != '0' else ', forward + backward only'})")


if __name__ == "__main__":
    main()
