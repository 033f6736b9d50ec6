#!/usr/bin/python3
# Side-by-side training throughput: PyTorch CPU (fastai's xresnet rebuilt to spec, Ranger-like
# RAdam + Lookahead, label-smoothing CE) and `cltrain bench train` on the same shapes, same run.
# Usage: /usr/bin/python3 bench/torch_side_by_side.py [--cltrain build/cltrain] [--steps N] [--only NAME]
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "gen"))
import torch  # noqa: E402
import xresnet_torch  # noqa: E402

CONFIGS = [  # name, arch, c_in, size, batch
    ("xresnet18-28px-bs128", "xresnet18", 1, 28, 128),
    ("xresnet18-64px-bs64", "xresnet18", 3, 64, 64),
    ("xresnet18-128px-bs32", "xresnet18", 3, 128, 32),
    ("xresnet50-128px-bs16", "xresnet50", 3, 128, 16),
]


class Lookahead:
    """fastai Lookahead(k=6, alpha=.5) around a torch optimizer."""

    def __init__(self, opt, k=6, alpha=0.5):
        self.opt, self.k, self.alpha, self.count = opt, k, alpha, 0
        self.slow = [p.detach().clone() for g in opt.param_groups for p in g["params"]]

    def step(self):
        self.opt.step()
        self.count += 1
        if self.count % self.k == 0:
            params = [p for g in self.opt.param_groups for p in g["params"]]
            for p, s in zip(params, self.slow):
                s.add_(p.detach() - s, alpha=self.alpha)
                p.data.copy_(s)

    def zero_grad(self):
        self.opt.zero_grad(set_to_none=False)


def torch_img_s(arch, c_in, size, bs, steps, warmup):
    torch.manual_seed(0)
    model = xresnet_torch.make(arch, c_in=c_in, n_out=10)
    model.train()
    opt = Lookahead(torch.optim.RAdam(model.parameters(), lr=1e-3, betas=(0.95, 0.99), eps=1e-6,
                                      weight_decay=0.0))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.randn(bs, c_in, size, size)
    y = torch.randint(0, 10, (bs,))
    for i in range(warmup + steps):
        if i == warmup:
            t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return bs * steps / (time.perf_counter() - t0), bs * steps / (time.process_time() - c0)


def cltrain_img_s(binary, arch, c_in, size, bs, steps):
    cmd = [binary, "bench", "train", "--arch", arch, "--c-in", str(c_in), "--size", str(size),
           "--bs", str(bs), "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stdout + out.stderr, file=sys.stderr)
        return None, None, out.stdout
    m = re.findall(r"([0-9.]+) img/s", out.stdout)
    cpu = re.findall(r"([0-9.]+) img per CPU-s", out.stdout)
    return (float(m[-1]) if m else None), (float(cpu[-1]) if cpu else None), out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cltrain", default=os.path.join(os.path.dirname(__file__), "..", "build", "cltrain"))
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--only", default=None, help="run only configs whose name contains this")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; cltrain {a.cltrain}")
    print("(img/CPU-s: images per second of process CPU time, all threads; a second view on a shared "
          "machine, where spinning worker threads count too)")
    print(f"{'config':24s} {'torch img/s':>12s} {'cltrain img/s':>14s} {'ratio':>7s} "
          f"{'torch img/CPU-s':>16s} {'cltrain img/CPU-s':>18s} {'cpu ratio':>9s}")
    nan = float("nan")
    for name, arch, c_in, size, bs in CONFIGS:
        if a.only and a.only not in name:
            continue
        t, tc = torch_img_s(arch, c_in, size, bs, a.steps, a.warmup)
        c, cc, _ = cltrain_img_s(a.cltrain, arch, c_in, size, bs, a.steps)
        ratio = f"{c / t:7.3f}" if c else "    n/a"
        cratio = f"{cc / tc:9.3f}" if cc else "      n/a"
        print(f"{name:24s} {t:12.1f} {c if c else nan:14.1f} {ratio} {tc:16.1f} "
              f"{cc if cc else nan:18.1f} {cratio}   ratio = cltrain_img_s / torch_img_s", flush=True)


if __name__ == "__main__":
    main()
