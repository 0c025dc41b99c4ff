#!/usr/bin/python3
"""The PyTorch side of the benchmark comparison.

Reads the figures of `./unroll bench --compare --json FILE` and times the same workloads in PyTorch
(same shapes, dtypes, losses, optimizer steps and thread counts), then prints per workload the time
ratio Unroll / PyTorch and whether the project's target is met, and writes the table as JSON and as
Markdown. Both sides are timed the same way: medians over repetitions after a warm-up. Run it with
the system Python (/usr/bin/python3) that has Debian's python3-torch; with libopenblas0-openmp
installed PyTorch uses OpenBLAS. benchmarks/pytorch/compare.sh runs both sides in one go.
Multi-threaded workloads are timed under both OpenMP wait policies and keep PyTorch's faster one
(spinning OpenMP workers stall PyTorch badly on a shared machine; see the comment above main).
"""

import argparse
import datetime
import gzip
import json
import math
import os
import platform
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn

# ---------------------------------------------------------------------------------------- timing


def sample(fn, warmup_s, measure_s, min_samples=5):
    """Times fn() call by call: warm-up for warmup_s (at least two calls), then samples for
    measure_s (at least min_samples). Returns the sorted per-call times in milliseconds."""
    end = time.perf_counter() + warmup_s
    calls = 0
    while calls < 2 or time.perf_counter() < end:
        fn()
        calls += 1
    times = []
    end = time.perf_counter() + measure_s
    while len(times) < min_samples or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)


def single_shots(fn, warmups, runs):
    """Times whole runs one by one (JMH's single-shot mode): warmups untimed, then runs timed."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)


def quantile(sorted_times, q):
    """Linear interpolation between closest ranks (as JMH's percentiles)."""
    n = len(sorted_times)
    if n == 1:
        return sorted_times[0]
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return sorted_times[lo] + (pos - lo) * (sorted_times[hi] - sorted_times[lo])


# ---------------------------------------------------------------------------------------- workloads

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def mlp(widths, dtype):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).to(dtype)


class MlpWorkload:
    """As dev.unroll.benchmarks.MlpWorkload: a ReLU MLP, a batch of standard normal inputs, uniform
    labels under cross-entropy (several outputs) or normal targets under squared error (one)."""

    def __init__(self, spec, dtype, seed=42):
        w, b = spec.split("/")
        self.widths = [int(v) for v in w.split("-")]
        self.batch = int(b)
        g = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.model = mlp(self.widths, dtype)
        self.params = list(self.model.parameters())
        self.x = torch.randn(self.batch, self.widths[0], generator=g, dtype=dtype)
        out = self.widths[-1]
        if out == 1:
            self.y = torch.randn(self.batch, 1, generator=g, dtype=dtype)
            self.loss = nn.MSELoss()
            self.loss_sum = nn.MSELoss(reduction="sum")
        else:
            self.y = torch.randint(0, out, (self.batch,), generator=g)
            self.loss = nn.CrossEntropyLoss()
            self.loss_sum = nn.CrossEntropyLoss(reduction="sum")
        self.opt = torch.optim.SGD(self.params, lr=0.01)
        self.v = [torch.randn(p.shape, generator=g, dtype=dtype) for p in self.params]

    def sgd_step(self):
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def gradient(self):
        return torch.autograd.grad(self.loss(self.model(self.x), self.y), self.params)

    def hvp(self):
        loss = self.loss(self.model(self.x), self.y)
        g = torch.autograd.grad(loss, self.params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, self.v))
        return torch.autograd.grad(dot, self.params)

    def per_example_outer(self):
        """One forward and one backward of the summed loss; per-example weight gradients as the
        outer products g_i a_i^T of each layer's output gradient and input, biases as g_i."""
        acts, outs = [], []
        h = self.x
        for m in self.model:
            if isinstance(m, nn.Linear):
                acts.append(h)
                h = m(h)
                outs.append(h)
            else:
                h = m(h)
        gs = torch.autograd.grad(self.loss_sum(h, self.y), outs)
        grads = []
        for a, g in zip(acts, gs):
            grads.append(torch.bmm(g.unsqueeze(2), a.unsqueeze(1)))
            grads.append(g)
        return grads

    def per_example_loop(self):
        out = []
        for i in range(self.batch):
            loss = self.loss_sum(self.model(self.x[i:i + 1]), self.y[i:i + 1])
            out.extend(torch.autograd.grad(loss, self.params))
        return out


def data_root():
    """As DataSets.locate: $UNROLL_DATA, else ../shared/data or data from the working directory."""
    env = os.environ.get("UNROLL_DATA")
    if env:
        return env
    for rel in ("../shared/data", "data"):
        if os.path.isdir(rel):
            return rel
    return None


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    t = torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8)
    return t.reshape(shape)


class TrainingRun:
    """As dev.unroll.benchmarks.TrainingRun: method.md's Concrete and FashionMNIST-N runs, SGD with
    momentum 0.9, shuffled mini-batches (the last one short), batch gather inside the run."""

    def __init__(self, task, root_dir):
        g = torch.Generator().manual_seed(0)
        self.synthetic = False
        if task == "concrete":
            path = os.path.join(root_dir, "nn/src/main/resources/dev/unroll/nn/data/concrete.csv")
            rows = [list(map(float, line.split(","))) for line in open(path).read().splitlines()[1:] if line]
            perm = torch.randperm(len(rows), generator=g)
            data = torch.tensor(rows, dtype=torch.float64)
            train, queries = data[perm[:896]], data[perm[896:896 + 103]]
            mean, std = train.mean(0), train.std(0)
            train, queries = (train - mean) / std, (queries - mean) / std
            self.x, self.y = train[:, :8].float().contiguous(), train[:, 8:].float().contiguous()
            self.qx, self.qy = queries[:, :8].float().contiguous(), queries[:, 8:].float().contiguous()
            self.widths, self.lr, self.wd, self.batch, self.epochs = [8, 128, 128, 128, 1], 3e-2, 1e-5, 32, 20
            self.loss = nn.MSELoss()
        elif task == "fashion-mnist-n":
            d = data_root()
            try:
                images = read_idx(os.path.join(d, "fashion_mnist", "train-images-idx3-ubyte.gz"))
                labels = read_idx(os.path.join(d, "fashion_mnist", "train-labels-idx1-ubyte.gz")).long()
                qimages = read_idx(os.path.join(d, "fashion_mnist", "t10k-images-idx3-ubyte.gz"))
                qlabels = read_idx(os.path.join(d, "fashion_mnist", "t10k-labels-idx1-ubyte.gz")).long()
            except (TypeError, OSError) as e:
                print(f"TrainingRun: FashionMNIST not available ({e}); timing on random data of the same shapes", file=sys.stderr)
                images = torch.randint(0, 256, (6144, 28, 28), generator=g, dtype=torch.uint8)
                labels = torch.randint(0, 10, (6144,), generator=g)
                qimages = torch.randint(0, 256, (100, 28, 28), generator=g, dtype=torch.uint8)
                qlabels = torch.randint(0, 10, (100,), generator=g)
                self.synthetic = True
            q = torch.randperm(qimages.shape[0], generator=g)[:100]
            self.qx, self.qy = (qimages[q].float() / 255).reshape(100, 784).contiguous(), qlabels[q].clone()
            idx = torch.randperm(images.shape[0], generator=g)[:6144]
            self.x = (images[idx].float() / 255).reshape(6144, 784).contiguous()
            y = labels[idx].clone()
            noisy = torch.randperm(6144, generator=g)[:round(0.3 * 6144)]
            y[noisy] = (y[noisy] + torch.randint(1, 10, (len(noisy),), generator=g)) % 10
            self.y = y
            self.widths, self.lr, self.wd, self.batch, self.epochs = [784, 512, 256, 128, 10], 1e-2, 3e-5, 64, 3
            self.loss = nn.CrossEntropyLoss()
        else:
            raise ValueError(f"training run '{task}': expected concrete or fashion-mnist-n")

    def run(self, seed=1):
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        model = mlp(self.widths, torch.float32)
        opt = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9, weight_decay=self.wd)
        n = self.x.shape[0]
        last = float("nan")
        for _ in range(self.epochs):
            perm = torch.randperm(n, generator=g)
            for s in range(0, n, self.batch):
                rows = perm[s:s + self.batch]
                opt.zero_grad(set_to_none=True)
                loss = self.loss(model(self.x[rows]), self.y[rows])
                loss.backward()
                opt.step()
                last = loss.item()
        return model


class EkfacInfluence:
    """As dev.unroll.benchmarks.InfluenceBench: EK-FAC on a trained model of a task, float64
    curvature, one sampled label per example (squared error: w = -sqrt(2) z; cross-entropy:
    w = p - e_y, y ~ softmax), batches of 128, damping 0.1 x the block's mean eigenvalue. The rotated
    per-example gradients use the rank-one form (Q_S^T g)(Q_A^T a)^T, as the Java code does; scoring
    preconditions the query gradients once and streams per-example training gradients (outer
    products) through one GEMM per batch of 128."""

    def __init__(self, run):
        self.run = run
        self.model = run.run(1)
        self.linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self.mse = isinstance(run.loss, nn.MSELoss)
        self.fitted = None

    def _pass(self, x):
        """Forward keeping each layer's homogeneous input and its output node."""
        acts, outs, h = [], [], x
        for m in self.model:
            if isinstance(m, nn.Linear):
                acts.append(torch.cat([h.detach(), torch.ones(h.shape[0], 1, dtype=h.dtype)], 1))
                h = m(h)
                outs.append(h)
            else:
                h = m(h)
        return h, acts, outs

    def _sampled(self, f, g):
        if self.mse:
            return -math.sqrt(2) * torch.randn(f.shape, generator=g, dtype=f.dtype)
        p = torch.softmax(f.detach(), 1)
        y = torch.multinomial(p, 1, generator=g).squeeze(1)
        return p - nn.functional.one_hot(y, p.shape[1]).to(p.dtype)

    def fit(self):
        x, n = self.run.x, self.run.x.shape[0]
        A = [torch.zeros(m.in_features + 1, m.in_features + 1, dtype=torch.float64) for m in self.linears]
        S = [torch.zeros(m.out_features, m.out_features, dtype=torch.float64) for m in self.linears]
        g = torch.Generator().manual_seed(0)
        for s in range(0, n, 128):
            f, acts, outs = self._pass(x[s:s + 128])
            ds = torch.autograd.grad(f, outs, grad_outputs=self._sampled(f, g))
            for b, (a, d) in enumerate(zip(acts, ds)):
                a, d = a.double(), d.double()
                A[b] += a.T @ a
                S[b] += d.T @ d
        qa = [torch.linalg.eigh(a / n)[1] for a in A]
        qs = [torch.linalg.eigh(t / n)[1] for t in S]
        lam = [torch.zeros(m.out_features, m.in_features + 1, dtype=torch.float64) for m in self.linears]
        g = torch.Generator().manual_seed(0)
        for s in range(0, n, 128):
            f, acts, outs = self._pass(x[s:s + 128])
            ds = torch.autograd.grad(f, outs, grad_outputs=self._sampled(f, g))
            for b, (a, d) in enumerate(zip(acts, ds)):
                u, v = d.double() @ qs[b], a.double() @ qa[b]
                lam[b] += (u * u).T @ (v * v)
        lam = [l / n for l in lam]
        self.fitted = (qa, qs, lam)
        return self.fitted

    def _per_example(self, x, y):
        """Per-example gradients of the summed loss, [B, P] float32, block by block (W | b)."""
        f, acts, outs = self._pass(x)
        loss = self.run.loss.__class__(reduction="sum")(f, y)
        ds = torch.autograd.grad(loss, outs)
        return [torch.bmm(d.unsqueeze(2), a.unsqueeze(1)) for a, d in zip(acts, ds)]

    def scores(self):
        if self.fitted is None:
            self.fit()
        qa, qs, lam = self.fitted
        pre = []
        for b, gq in enumerate(self._per_example(self.run.qx, self.run.qy)):
            r = qs[b].T @ gq.double() @ qa[b]
            r = r / (lam[b] + 0.1 * lam[b].mean())
            pre.append((qs[b] @ r @ qa[b].T).reshape(gq.shape[0], -1))
        u = torch.cat(pre, 1).float()
        n = self.run.x.shape[0]
        out = torch.empty(u.shape[0], n, dtype=torch.float64)
        for s in range(0, n, 128):
            gs = self._per_example(self.run.x[s:s + 128], self.run.y[s:s + 128])
            flat = torch.cat([t.reshape(t.shape[0], -1) for t in gs], 1)
            out[:, s:s + flat.shape[0]] = (u @ flat.T).double()
        return out


def gemm_dims(params):
    """(m, k, n, transA, transB) of a GEMM figure: GemmBench's shape "MxKxN[:TN|:NT]" or "sqS", or m, n, k, or size."""
    if "shape" in params:
        parts = params["shape"].split(":")
        if parts[0].startswith("sq"):
            s = int(parts[0][2:])
            return s, s, s, False, False
        m, k, n = (int(v) for v in parts[0].split("x"))
        t = parts[1] if len(parts) > 1 else "NN"
        return m, k, n, t[0] == "T", t[1] == "T"
    if "size" in params:
        s = int(params["size"])
        return s, s, s, False, False
    return int(params["m"]), int(params["k"]), int(params["n"]), False, False


def gemm(params):
    """C = op(A)·op(B) into a preallocated C, operands stored as the figure's transpose flags say."""
    dtype = DTYPES[params.get("dtype", "float32")]
    m, k, n, ta, tb = gemm_dims(params)
    g = torch.Generator().manual_seed(42)
    a = torch.rand((k, m) if ta else (m, k), generator=g, dtype=dtype) - 0.5
    b = torch.rand((n, k) if tb else (k, n), generator=g, dtype=dtype) - 0.5
    a, b = (a.t() if ta else a), (b.t() if tb else b)
    c = torch.empty(m, n, dtype=dtype)
    return (lambda: torch.mm(a, b, out=c)), 2.0 * m * n * k


# ---------------------------------------------------------------------------------------- targets


def target(fig):
    """The project's target for a figure as (maximum ratio Unroll/PyTorch, description), or None."""
    b, p = fig["benchmark"], fig["params"]
    if b == "SgdStepBench.step" and p.get("mlp") == "8-128-128-1/32":
        return 0.25, "small-MLP SGD step ≤ 0.25"
    if b == "SgdStepBench.step" and p.get("mlp") == "784-256-256-10/128":
        return 1.0, "MNIST-size SGD step ≤ 1.0"
    if b == "DerivativesBench.hvp":
        return 1.0, "HVP ≤ 1.0"
    if b == "PerExampleBench.outerProduct":
        return 1.0, "per-example gradients ≤ 1.0"
    if "Gemm" in b and p.get("threads") == "1" and p.get("dtype", "float32") == "float32" and gemm_dims(p)[:3] == (1024, 1024, 1024):
        return 1.25, "GEMM 1024 float32, 1 thread ≥ 80% of OpenBLAS GFLOP/s"
    return None


# ---------------------------------------------------------------------------------------- main


# ---------------------------------------------------------------------------------------- OpenMP wait policy
#
# Why the wait policy matters (found when PyTorch's HVP of the 784-256-256-10 MLP took 450 ms at
# 2 threads while its gradient took 1.2 ms): Debian's PyTorch and OpenBLAS run their threads on
# libgomp, whose idle workers spin between parallel regions by default (OMP_WAIT_POLICY unset).
# A double backward is a long chain of small parallel ops (mm, mul, sum, threshold_backward); as
# soon as anything else wants the cores (on these 2-core machines: any other process, even one),
# the spinning worker of one region is descheduled, the next region waits for it at its barrier,
# and every op costs a scheduler time slice: 10-100 ms per mm or mul instead of microseconds.
# With OMP_WAIT_POLICY=PASSIVE the workers sleep instead (as the JVM side's workers park after
# a 50 µs spin) and the same HVP takes milliseconds. Denormals are not the cause: flushing them
# (torch.set_flush_denormal) changes no bit of the HVP's result, so this script does not flush
# them. The HVP itself is the textbook reverse-over-reverse product, as the Java side computes.
#
# On a quiet machine spinning is PyTorch's faster setting, under load sleeping is. libgomp reads
# the policy once, at start, so by default (--omp-wait-policy both) the workloads with more than
# one thread are timed twice, in this process (the inherited policy) and in a child process with
# OMP_WAIT_POLICY=PASSIVE, and each row keeps PyTorch's faster median, naming the policy. With
# one thread the policy is moot (no workers).

POLICY_ENV = "OMP_WAIT_POLICY"


def inherited_policy():
    return os.environ.get(POLICY_ENV, "default (spin, then sleep)")


def time_figure(fig, args, cache, warm, meas, shots):
    """PyTorch's sorted per-call times (ms) for one figure of the Java side, and its FLOP count,
    or None when this script has no counterpart for it."""
    b, p = fig["benchmark"], fig["params"]
    threads = int(p.get("threads", "1"))
    torch.set_num_threads(threads)
    flop = fig.get("flop")
    if b == "SgdStepBench.step":
        w = MlpWorkload(p["mlp"], torch.float32)
        times = sample(w.sgd_step, warm, meas)
    elif b in ("DerivativesBench.gradient", "DerivativesBench.hvp"):
        w = MlpWorkload(p["mlp"], DTYPES[p["dtype"]])
        times = sample(w.gradient if b.endswith("gradient") else w.hvp, warm, meas)
    elif b == "PerExampleBench.outerProduct":
        w = MlpWorkload(p["mlp"], torch.float32)
        times = sample(w.per_example_outer, warm, meas)
    elif b == "PerExampleBench.loop":
        w = MlpWorkload(p["mlp"], torch.float32)
        times = sample(w.per_example_loop, warm, meas, min_samples=3)
    elif b == "TrainingRunBench.run":
        key = p["task"]
        if key not in cache:
            cache[key] = TrainingRun(key, args.root)
        times = single_shots(cache[key].run, *shots)
    elif b in ("InfluenceBench.ekfacFit", "InfluenceBench.ekfacScores"):
        key = ("ekfac", p["task"])
        if key not in cache:
            if p["task"] not in cache:
                cache[p["task"]] = TrainingRun(p["task"], args.root)
            cache[key] = EkfacInfluence(cache[p["task"]])
        e = cache[key]
        e.fit()
        times = single_shots(e.fit if b.endswith("Fit") else e.scores, *shots)
    elif b == "GemmBench.simd" or ("Gemm" in b and ("size" in p or "m" in p)):
        fn, flop = gemm(p)
        times = sample(fn, warm, meas)
    else:
        return None
    return times, flop


def time_all(unroll, args, only_threaded, policy):
    """{key: {"times", "flop", "policy", "load"}} for the figures this script can time."""
    warm, meas = (1.5, 2.5) if args.quick else (5.0, 10.0)
    shots = (1, 3) if args.quick else (2, 5)
    cache, out = {}, {}
    for fig in unroll["figures"]:
        if only_threaded and int(fig["params"].get("threads", "1")) <= 1:
            continue
        load0 = os.getloadavg()[0]
        try:
            r = time_figure(fig, args, cache, warm, meas, shots)
        except Exception as e:  # a workload this script cannot run is reported, not fatal
            print(f"  {fig['key']}: PyTorch side failed ({policy}): {e}", file=sys.stderr)
            continue
        if r is not None:
            out[fig["key"]] = {"times": r[0], "flop": r[1], "policy": policy, "load": [load0, os.getloadavg()[0]]}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unroll", required=True, help="JSON written by ./unroll bench --compare --json FILE")
    ap.add_argument("--quick", action="store_true", help="shorter timing, as ./unroll bench --quick")
    ap.add_argument("--json", help="write the comparison here")
    ap.add_argument("--markdown", help="write the comparison table here (e.g. benchmarks/RESULTS.md)")
    ap.add_argument("--command", default="benchmarks/pytorch/compare.sh", help="the command to state in the Markdown")
    ap.add_argument("--root", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")), help="the repository root")
    ap.add_argument("--omp-wait-policy", choices=("both", "inherited"), default="both",
                    help="both: time multi-threaded workloads also with OMP_WAIT_POLICY=PASSIVE and keep the faster (see the comment above main)")
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    with open(args.unroll) as f:
        unroll = json.load(f)
    if args.child_out:
        # The PASSIVE pass: only the multi-threaded workloads, results to the parent.
        res = time_all(unroll, args, True, f"{POLICY_ENV}={os.environ.get(POLICY_ENV)}")
        write(args.child_out, json.dumps(res))
        return
    maps = open("/proc/self/maps").read().lower()
    blas = "OpenBLAS" if "openblas" in maps else "reference BLAS or other (install libopenblas0-openmp)"
    allocator = "jemalloc keeping freed memory" if "jemalloc" in maps else "glibc malloc"
    print(f"PyTorch {torch.__version__} ({'quick' if args.quick else 'full'} timing), BLAS: {blas}, allocator: {allocator}")
    timed = time_all(unroll, args, False, f"{POLICY_ENV}: {inherited_policy()}")
    if args.omp_wait_policy == "both" and os.environ.get(POLICY_ENV, "").upper() != "PASSIVE" \
            and any(int(f["params"].get("threads", "1")) > 1 for f in unroll["figures"]):
        print(f"Timing the multi-threaded workloads again with {POLICY_ENV}=PASSIVE (a child process)...", flush=True)
        child = args.json + ".passive.tmp" if args.json else os.path.join(os.getcwd(), "compare-passive.tmp.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--unroll", args.unroll, "--root", args.root, "--child-out", child]
        if args.quick:
            cmd.append("--quick")
        env = dict(os.environ, **{POLICY_ENV: "PASSIVE"})
        import subprocess
        if subprocess.run(cmd, env=env).returncode == 0 and os.path.exists(child):
            with open(child) as f:
                passive = json.load(f)
            os.remove(child)
            for key, r in passive.items():
                if key not in timed or quantile(r["times"], 0.5) < quantile(timed[key]["times"], 0.5):
                    if key in timed:
                        r["other_policy_median_ms"] = quantile(timed[key]["times"], 0.5)
                    timed[key] = r
                else:
                    timed[key]["other_policy_median_ms"] = quantile(r["times"], 0.5)
        else:
            print("  the PASSIVE pass failed; keeping the inherited policy's times", file=sys.stderr)

    rows = []
    for fig in unroll["figures"]:
        if fig["key"] not in timed:
            continue
        b, p = fig["benchmark"], fig["params"]
        tr = timed[fig["key"]]
        times, flop = tr["times"], tr["flop"]
        med = quantile(times, 0.5)
        row = {
            "key": fig["key"], "benchmark": b, "params": p,
            "unroll_median_ms": fig["median_ms"], "unroll_iqr": (fig["p75_ms"] - fig["p25_ms"]) / fig["median_ms"],
            "pytorch_median_ms": med, "pytorch_iqr": (quantile(times, 0.75) - quantile(times, 0.25)) / med,
            "pytorch_samples": len(times), "ratio": fig["median_ms"] / med,
            "pytorch_omp_wait_policy": tr["policy"], "pytorch_load_average": tr["load"],
        }
        if "other_policy_median_ms" in tr:
            row["pytorch_other_policy_median_ms"] = tr["other_policy_median_ms"]
        if "p10_ms" in fig:
            # The fastest decile on both sides: less sensitive to other load on a shared machine.
            row["unroll_p10_ms"] = fig["p10_ms"]
            row["pytorch_p10_ms"] = quantile(times, 0.1)
            row["ratio_p10"] = fig["p10_ms"] / row["pytorch_p10_ms"]
        if flop:
            row["unroll_gflops"] = flop / (fig["median_ms"] * 1e6)
            row["pytorch_gflops"] = flop / (med * 1e6)
        t = target(fig)
        if t:
            row["target"] = t[1]
            row["target_max_ratio"] = t[0]
            row["target_met"] = row["ratio"] <= t[0]
        rows.append(row)
        policy = " [PASSIVE]" if "PASSIVE" in tr["policy"] else ""
        print(f"  {fig['key']:<70} Unroll {fmt(fig['median_ms']):>10}  PyTorch {fmt(med):>10}{policy}  ratio {row['ratio']:6.2f}"
              + (f" (p10 {row['ratio_p10']:5.2f})" if "ratio_p10" in row else "")
              + (f"  [{t[1]}: {'met' if row['target_met'] else 'MISSED'}]" if t else "")
              + f"  load {tr['load'][0]:.1f}", flush=True)

    date = unroll.get("date") or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    result = {
        "date": date, "command": args.command, "unroll_command": unroll.get("command"),
        "machine": unroll.get("machine"), "peak": unroll.get("peak"),
        "pytorch": torch.__version__, "python": platform.python_version(), "blas": blas, "allocator": allocator,
        "threads_note": "torch.set_num_threads(threads) per workload; multi-threaded workloads timed with the inherited "
                        "OpenMP wait policy and with OMP_WAIT_POLICY=PASSIVE, the faster kept" if args.omp_wait_policy == "both"
                        else "torch.set_num_threads(threads) per workload; inherited OpenMP wait policy",
        "rows": rows,
    }
    if args.json:
        write(args.json, json.dumps(result, indent=2))
    if args.markdown:
        text = markdown(result, unroll)
        # Hand-written analysis below the marker survives a new table.
        if os.path.exists(args.markdown):
            old = open(args.markdown).read()
            if NOTES in old:
                text += "\n" + old[old.index(NOTES):]
        write(args.markdown, text)
        print(f"Wrote {args.markdown}")


NOTES = "<!-- notes: kept when the table is regenerated -->"


def fmt(ms):
    if ms >= 1000:
        return f"{ms / 1000:.3f} s"
    if ms >= 1:
        return f"{ms:.3f} ms"
    return f"{ms * 1000:.1f} us"


def markdown(result, unroll):
    m = result["machine"] or {}
    peak = result.get("peak") or {}
    lines = [
        "# Benchmarks: Unroll beside PyTorch on the same machine",
        "",
        f"Measured {result['date']} with `{result['command']}` (the Java side: `{result['unroll_command']}`).",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('vector_extensions', '?')}; {m.get('java', '?')}; "
        f"PyTorch {result['pytorch']} (Debian python3-torch; BLAS: {result['blas']}; allocator: {result['allocator']}), Python {result['python']}.",
    ]
    mp = [f"{k.split('_')[0]} {k.split('_')[1].replace('threads', '')} thread(s) {v:.0f}" for k, v in peak.items()
          if k.endswith("measured_gflops") and v == v]
    if mp:
        lines.append(f"Measured FMA peak in the same run (GFLOP/s): {', '.join(mp)}.")
    lines += [
        "",
        "Times are medians over repetitions after a warm-up (JMH on the Java side, `time.perf_counter` around each call",
        "on the Python side); IQR is the interquartile range over the median. Ratio = Unroll time / PyTorch time, so",
        "below 1 means Unroll is faster. The machine is shared and noisy: compare ratios within one run only. The",
        "ratio of first deciles (the fastest tenth of each side's samples) is less sensitive to other processes' load.",
        f"PyTorch threads: {result['threads_note']} (OpenMP workers that spin stall every small op of a multi-threaded",
        "workload once anything else runs; see compare.py). Rows timed with PASSIVE are marked [PASSIVE].",
        "",
        "| workload | Unroll | IQR | PyTorch | IQR | ratio | ratio of first deciles | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        t = ""
        if "target" in r:
            t = f"{r['target']}: {'met' if r['target_met'] else '**missed**'}"
        gf = ""
        if "unroll_gflops" in r:
            gf = f" ({r['unroll_gflops']:.0f} vs {r['pytorch_gflops']:.0f} GFLOP/s)"
        mark = " [PASSIVE]" if "PASSIVE" in r.get("pytorch_omp_wait_policy", "") else ""
        lines.append(f"| `{r['key']}` | {fmt(r['unroll_median_ms'])} | {100 * r['unroll_iqr']:.0f}% | {fmt(r['pytorch_median_ms'])}{mark} | "
                     f"{100 * r['pytorch_iqr']:.0f}% | {r['ratio']:.2f}{gf} | {r.get('ratio_p10', float('nan')):.2f} | {t} |")
    lines.append("")
    return "\n".join(lines)


def write(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
