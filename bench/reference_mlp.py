#!/usr/bin/python3
"""The workloads of `hebb bench`, run with Debian's python3-torch, one JSON line per case.

Same flags and JSON keys as `hebb bench` (allocs_per_step is null: PyTorch does not count them).
Model: Linear layers with ReLU between them (none after the last), or the LeNet-5 of `--arch lenet5`
(hebb's lenet5 spec: rows of 784 pixels viewed as 1 x 28 x 28 images), PyTorch's default init,
CrossEntropyLoss (mean); data: x uniform in [0, 1) of shape (batch, in), labels uniform in
[0, classes). A training step is zero_grad, forward, loss (+ regularizer), backward, optimizer step;
SGD is lr 0.01 momentum 0.9, Adam lr 1e-4. The cases take turns round after round, as in hebb's,
and each case's figure is the median over rounds of that round's mean step time.

The first line printed ({"mode": "config", ...}) says what ran: torch version, thread settings,
the BLAS library actually loaded and its core, and the environment variables that matter here.
The best configuration of the process is set by whoever launches it (see bench/compare).

    /usr/bin/python3 bench/reference_mlp.py --arch 784-512-256-10 --optimizer sgd,adam \
        --batch-size 64 --threads 1 --steps 100 --rounds 5
"""
import argparse
import ctypes
import json
import os
import re
import resource
import sys
import time

import torch
import torch.nn.functional as F

ENV_KEYS = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY",
            "OMP_PROC_BIND", "GOMP_SPINCOUNT", "LD_LIBRARY_PATH", "LD_PRELOAD",
            "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OPENBLAS_L2_SIZE", "ATEN_CPU_CAPABILITY")


def parse_list(text):
    return [item for item in text.split(",") if item]


def loaded_blas():
    """The BLAS shared object really mapped into this process (after a product has run), and,
    for OpenBLAS, the kernel core it picked and its build configuration."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if any(key in name for key in ("blas", "blis", "mkl", "dnnl")):
                paths.add(os.path.realpath(path))
    info = {"libraries": sorted(paths)}
    for path in sorted(paths):
        if "openblas" in path:
            try:
                lib = ctypes.CDLL(path)  # already loaded: the same handle
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["openblas_core"] = lib.openblas_get_corename().decode()
                info["openblas_config"] = lib.openblas_get_config().decode().strip()
            except (OSError, AttributeError):
                pass
    return info


def config_line(args):
    torch.mm(torch.rand(64, 64), torch.rand(64, 64))  # make sure the BLAS is loaded and initialised
    show = torch.__config__.show()
    build = re.findall(r"\b(?:BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP)=\w+", show)
    return {"mode": "config", "impl": "pytorch", "torch": torch.__version__,
            "python": sys.version.split()[0], "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "cpu_capability": next((line.split(":", 1)[1].strip() for line in show.splitlines()
                                    if "CPU capability usage" in line), None),
            "build": build, "blas": loaded_blas(), "zero_grad_set_to_none": args.set_to_none,
            "optimizer_foreach": args.foreach,
            "affinity": sorted(os.sched_getaffinity(0)),
            "env": {key: os.environ.get(key) for key in ENV_KEYS}}


def layer_sizes(arch):
    sizes = [int(s) for s in arch.split("-")]
    if len(sizes) < 2 or min(sizes) < 1:
        raise SystemExit(f"error: --arch: '{arch}' is not a list of at least two positive widths like 784-512-10")
    return sizes


class MLP(torch.nn.Module):
    """Linear layers with ReLU between them; forward also returns each layer's input, which the
    BEAN terms need (the plain cases ignore it)."""

    def __init__(self, sizes):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        inputs = []
        for i, layer in enumerate(self.layers):
            inputs.append(x)
            x = layer(x)
            if i + 1 < len(self.layers):
                x = F.relu(x)
        return x, inputs


class LeNet5(torch.nn.Module):
    """The BEAN paper's LeNet-5 on (batch, 784) rows of 28 x 28 images, as hebb's `lenet5` spec."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
            torch.nn.Linear(84, 10))

    def forward(self, x):
        return self.net(x.view(-1, 1, 28, 28)), []


def bean(net, inputs, kind, alpha=1e-4, gamma=1.0):
    """BEAN on every layer whose input is a hidden layer, in closed form (shared/bean.md):
    BEAN-1 R = 2/(n^2 B) (<d, q> - ||H A||_F^2), d = A A^T 1 without forming A A^T;
    BEAN-2 R = 2/(n^2 B) (<d, q> - <C, H^T H>), C = (A A^T)∘(A A^T), d = C 1 (the n x n Gram form).
    H (B x n) is the layer's input, A = |tanh(gamma W)|^T (n x m), q = sum_b H^2."""
    total = 0.0
    for layer, h in list(zip(net.layers, inputs))[1:]:
        at = torch.tanh(gamma * layer.weight).abs()  # A^T (m x n)
        batch, n = h.shape
        q = (h * h).sum(0)  # (n)
        if kind == "bean1":
            d = at.t() @ at.sum(1)  # A (A^T 1): (n)
            r = d.dot(q) - (h @ at.t()).pow(2).sum()
        else:
            s = at.t() @ at  # A A^T (n x n)
            c = s * s
            r = c.sum(1).dot(q) - (c * (h.t() @ h)).sum()
        total = total + 2.0 / (n * n * batch) * r
    return alpha * total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="784-512-256-10", help="architectures, comma-separated: MLP widths or lenet5")
    parser.add_argument("--optimizer", default="sgd", help="sgd (lr 0.01, momentum 0.9) and/or adam (lr 1e-4)")
    parser.add_argument("--reg", default="none", help="none, bean1, bean2 (closed forms), comma-separated")
    parser.add_argument("--batch-size", default="64", help="batch sizes, comma-separated")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=50, help="steps per case and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per case before the first round")
    parser.add_argument("--inference", action="store_true", help="time the forward pass alone, without a graph")
    parser.add_argument("--matmul", type=int, default=0, metavar="N",
                        help="time the N x N float product instead and print its GFLOP/s")
    parser.add_argument("--zero-grad", choices=("none", "zero"), default="none",
                        help="zero_grad(set_to_none=True) (PyTorch 2's default, the faster) or set grads to zero")
    parser.add_argument("--foreach", action="store_true",
                        help="the optimizers' foreach (multi-tensor) implementation; 1.13's default is the per-tensor one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-config", action="store_true", help="do not print the configuration line")
    args = parser.parse_args()
    args.set_to_none = args.zero_grad == "none"
    for name in ("threads", "steps", "rounds"):
        if getattr(args, name) < 1:
            raise SystemExit(f"error: --{name.replace('_', '-')}: must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if not args.no_config:
        print(json.dumps(config_line(args)), flush=True)

    if args.matmul:
        n = args.matmul
        a, b = torch.rand(n, n), torch.rand(n, n)
        c = torch.empty(n, n)
        torch.mm(a, b, out=c)
        reps = max(1, int(2e9 * args.threads // (2 * n ** 3)))  # about 10-20 ms of work per timing
        times = []
        for _ in range(max(args.rounds, 3)):
            start = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            times.append((time.perf_counter() - start) / reps)
        times.sort()
        print(json.dumps({"mode": "matmul", "impl": "pytorch", "n": n, "threads": args.threads,
                          "gflops": 2 * n ** 3 / times[len(times) // 2] / 1e9,
                          "gflops_best": 2 * n ** 3 / times[0] / 1e9}), flush=True)
        return

    cases = []
    for arch in parse_list(args.arch):
        sizes = [784, 10] if arch == "lenet5" else layer_sizes(arch)
        for opt_name in parse_list(args.optimizer):
            for reg in parse_list(args.reg):
                if reg not in ("none", "bean1", "bean2"):
                    raise SystemExit(f"error: --reg: '{reg}' is not none, bean1 or bean2 (the others exist in hebb only)")
                for batch in (int(b) for b in parse_list(args.batch_size)):
                    if arch == "lenet5" and reg != "none":
                        raise SystemExit("error: --reg: the BEAN terms here are written for MLPs, not lenet5")
                    net = LeNet5() if arch == "lenet5" else MLP(sizes)
                    if opt_name == "sgd":
                        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, foreach=args.foreach)
                    elif opt_name == "adam":
                        opt = torch.optim.Adam(net.parameters(), lr=1e-4, foreach=args.foreach)
                    else:
                        raise SystemExit(f"error: --optimizer: '{opt_name}' is not sgd or adam")
                    x = torch.rand(batch, sizes[0], dtype=torch.float32)
                    y = torch.randint(0, sizes[-1], (batch,))
                    cases.append({"arch": arch, "optimizer": opt_name, "reg": reg, "batch": batch,
                                  "net": net, "opt": opt, "x": x, "y": y, "times": []})

    def step(c):
        if args.inference:
            with torch.inference_mode():
                c["net"](c["x"])
            return
        c["opt"].zero_grad(set_to_none=args.set_to_none)
        logits, inputs = c["net"](c["x"])
        loss = F.cross_entropy(logits, c["y"])
        if c["reg"] != "none":
            loss = loss + bean(c["net"], inputs, c["reg"])
        loss.backward()
        c["opt"].step()

    for c in cases:  # warm up: allocator, OpenMP pool, optimizer state
        for _ in range(args.warmup):
            step(c)
    for _ in range(args.rounds):
        for c in cases:
            start = time.perf_counter()
            for _ in range(args.steps):
                step(c)
            c["times"].append((time.perf_counter() - start) / args.steps)

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for c in cases:
        t = sorted(c["times"])
        med = t[len(t) // 2]
        print(json.dumps({"arch": c["arch"], "batch": c["batch"], "optimizer": c["optimizer"], "reg": c["reg"],
                          "threads": args.threads, "mode": "inference" if args.inference else "train",
                          "samples_per_s": c["batch"] / med, "step_ms_median": 1e3 * med,
                          "step_ms_min": 1e3 * t[0], "step_ms_max": 1e3 * t[-1],
                          "peak_rss_kb_process": peak_kb, "allocs_per_step": None, "impl": "pytorch"}),
              flush=True)


if __name__ == "__main__":
    main()
