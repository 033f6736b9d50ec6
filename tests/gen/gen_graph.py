# Writes tests/data/graph_<name>.bin: whole tiny fastai nets (layers 1,1,1,1, widen 0.25, stem
# 8,8,64, 32 px, batch 4) run by PyTorch on the module tree of tests/gen/xresnet_torch.py, with
# every state tensor and the input filled from closed-form formulas that tests/test_graph.c
# repeats (so no weights are stored): train-mode logits, the running stats and spectral-norm u
# after that step, gradients of sum(logits * r) (first 64 elements and the L2 norm of each param's
# gradient), and eval-mode logits. Run with Debian's /usr/bin/python3 from the repository root.
import math
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import golden  # noqa: E402
import xresnet_torch as xr  # noqa: E402

B, SIZE, C_IN, N_OUT = 4, 32, 3, 5


def tiny(block, expansion, act, sa, pool, widen=0.25, stem=(8, 8, 64)):
    """xresnet_torch.xresnet with fastai's widen and stem_szs constructor knobs, one block a stage."""
    layers = [1, 1, 1, 1]
    stem_szs = [C_IN, *stem]
    stem_l = [xr.ConvLayer(stem_szs[i], stem_szs[i + 1], 3, stride=2 if i == 0 else 1, act=act)
              for i in range(3)]
    block_szs = [64 // expansion] + [int(o * widen) for o in (64, 128, 256, 512)]
    stages = []
    for i, l in enumerate(layers):
        ni, nf = block_szs[i], block_szs[i + 1]
        stages.append(nn.Sequential(*[
            block(expansion, ni if j == 0 else nf, nf, stride=(1 if i == 0 else 2) if j == 0 else 1,
                  sa=sa and j == l - 1 and i == len(layers) - 4, act=act, pool=pool)
            for j in range(l)]))
    return nn.Sequential(*stem_l, nn.MaxPool2d(3, 2, 1), *stages, nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.0), nn.Linear(block_szs[-1] * expansion, N_OUT))


def formula_state(m):
    """The closed-form value of every state-dict entry k (see fill_formula in test_graph.c)."""
    sd = m.state_dict()
    new = {}
    for k, (name, t) in enumerate(sd.items()):
        n = t.numel()
        i = np.arange(n, dtype=np.float64)
        s = np.sin(0.7 * i + 1.1 * k + 0.3)
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            new[name] = torch.zeros_like(t)
            continue
        if t.dim() >= 2:
            v = s * math.sqrt(6.0 / (n // t.shape[0]))
        elif leaf == "gamma":
            v = np.full(n, 0.002)
        elif leaf in ("weight_u", "weight_v"):
            v = s / np.sqrt((s * s).sum())
        elif leaf == "weight":
            v = 1.0 + 0.4 * s
        elif leaf == "running_var":
            v = 1.0 + 0.3 * s
        else:  # bias, running_mean
            v = 0.1 * s
        new[name] = torch.from_numpy(v.astype(np.float32).reshape(t.shape))
    m.load_state_dict(new)


def min_maxpool_gap(m):
    """Hooks on every MaxPool2d recording the smallest relative gap between a window's top two
    values (positive maxima only): a near tie could route gradients differently in float."""
    gaps = []

    def hook(mod, inp, out):
        x = inp[0].detach()
        k, s, p = mod.kernel_size, mod.stride, mod.padding
        xp = torch.nn.functional.pad(x, (p, p, p, p), value=-float("inf"))
        n, c = x.shape[:2]
        win = torch.nn.functional.unfold(xp.reshape(n * c, 1, *xp.shape[2:]), k, stride=s)
        top2 = win.topk(2, dim=1).values
        pos = top2[:, 0] > 0
        rel = (top2[:, 0] - top2[:, 1]) / top2[:, 0].abs().clamp_min(1e-30)
        gaps.append(float(rel[pos].min()) if pos.any() else 1.0)

    for mod in m.modules():
        if isinstance(mod, nn.MaxPool2d):
            mod.register_forward_hook(hook)
    return gaps


def run(name, block, expansion, act, sa, pool):
    torch.manual_seed(0)
    m = tiny(block, expansion, act, sa, pool)
    formula_state(m)
    gaps = min_maxpool_gap(m)
    nx = B * C_IN * SIZE * SIZE
    x = torch.from_numpy((1.5 * np.sin(0.37 * np.arange(nx) + 0.5)).astype(np.float32))
    x = x.reshape(B, C_IN, SIZE, SIZE)
    r = torch.from_numpy(np.cos(0.91 * np.arange(B * N_OUT)).astype(np.float32)).reshape(B, N_OUT)
    m.train()
    logits = m(x)
    print(name, "maxpool min relative gaps", " ".join(f"{g:.1e}" for g in gaps))
    # float32 results of the two implementations agree to ~1e-7 after the stem and ~1e-6 deeper
    # (measured); a smaller gap could flip an argmax (the ReLU xresnext50 variant had 2.5e-7)
    for i, g in enumerate(gaps):
        if g < (1e-6 if i == 0 else 1e-5):
            sys.exit(f"{name}: maxpool {i} has a near tie (relative gap {g:.1e}); change the "
                     "config or the formulas")
    (logits * r).sum().backward()
    out = {"logits_train": logits}
    sd = m.state_dict()
    for key in ("0.1.running_mean", "0.1.running_var", "5.0.idpath.1.1.running_var",
                "7.0.convpath.1.1.running_mean"):
        out[key] = sd[key]
    for key in sd:
        if key.endswith("weight_u"):
            out[key] = sd[key]
    heads, norms = [], []
    for pname, p in m.named_parameters():
        g = p.grad.detach().reshape(-1)
        heads.append(g[:64])
        norms.append(g.norm().reshape(1))
    out["grad_heads"] = torch.cat(heads)
    out["grad_norms"] = torch.cat(norms)
    m.eval()
    with torch.no_grad():
        out["logits_eval"] = m(x)
    path = os.path.join(os.path.dirname(__file__), "..", "data", f"graph_{name}.bin")
    golden.write(path, out)
    print("wrote", path, "params", sum(p.numel() for p in m.parameters()))


se_block = lambda e, ni, nf, **k: xr.se_block(e, ni, nf, **k)  # noqa: E731
xnext = lambda e, ni, nf, **k: xr.se_resnext_block(e, ni, nf, reduction=0, **k)  # noqa: E731
plain = lambda e, ni, nf, **k: xr.ResBlock(e, ni, nf, **k)  # noqa: E731
run("xse_resnet18_sa_mish", se_block, 1, nn.Mish, True, "avg")
run("xresnext50_mish_maxpool", xnext, 4, nn.Mish, False, "max")
run("xresnet18_relu_maxpool", plain, 1, nn.ReLU, False, "max")
