"""GPU kernels of scLM's training step next to plain PyTorch's, from the two Chrome traces that
sclm_bench_step profile=... and train_step_pytorch.py (SCLM_BENCH_PROFILE=...) write over 3 steps.
  kernel_profile.py <sclm.json> <pytorch.json> [rows]
Prints, per step, the GPU time of each kernel family in both and the difference (largest first),
then the totals: GPU busy time (kernels, copies and sets) and the span from first to last kernel."""
import collections
import json
import re
import sys

STEPS = 3


def family(name):
    # Template arguments and launch parameters differ between builds; the family is what matters.
    name = name.replace("(anonymous namespace)::", "")
    name = re.sub(r"<.*", "", name)
    name = re.sub(r"\(.*", "", name)
    return name[:90]


def kernels(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    times, counts = collections.Counter(), collections.Counter()
    busy, first, last = 0.0, None, None
    for e in events:
        if e.get("ph") != "X" or e.get("cat") not in ("kernel", "gpu_memcpy", "gpu_memset"):
            continue
        key = family(e["name"]) if e["cat"] == "kernel" else e["cat"]
        times[key] += e["dur"] / 1000 / STEPS
        counts[key] += 1 / STEPS
        busy += e["dur"] / 1000 / STEPS
        first = e["ts"] if first is None else min(first, e["ts"])
        last = e["ts"] + e["dur"] if last is None else max(last, e["ts"] + e["dur"])
    return times, counts, busy, (last - first) / 1000 / STEPS if first is not None else 0.0


def main():
    sclm, torch_, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 30
    (t_s, n_s, busy_s, span_s), (t_p, n_p, busy_p, span_p) = kernels(sclm), kernels(torch_)
    names = sorted(set(t_s) | set(t_p), key=lambda k: -abs(t_s[k] - t_p[k]))
    print(f"{'ms/step scLM':>12} {'PyTorch':>8} {'diff':>7} {'n scLM':>7} {'n PyT':>6}  kernel family")
    for k in names[:rows]:
        print(f"{t_s[k]:12.3f} {t_p[k]:8.3f} {t_s[k] - t_p[k]:7.3f} {n_s[k]:7.0f} {n_p[k]:6.0f}  {k}")
    print(f"GPU busy per step: scLM {busy_s:.2f} ms, PyTorch {busy_p:.2f} ms; "
          f"first to last kernel: scLM {span_s:.2f} ms, PyTorch {span_p:.2f} ms; "
          f"kernels per step: scLM {sum(n_s.values()):.0f}, PyTorch {sum(n_p.values()):.0f}")


if __name__ == "__main__":
    main()
