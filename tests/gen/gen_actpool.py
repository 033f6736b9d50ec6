#!/usr/bin/python3
# Writes the PyTorch goldens for test_act, test_pool and test_misc: tests/data/mish_golden.bin,
# pool_*.bin and sa_spectral.bin. Run with Debian's /usr/bin/python3 (python3-torch); not needed
# at test time. Seeded, so reruns give the same files.
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def with_grad(fn, x, seed):
    """y = fn(x) and dx for a seeded random dy (the gradient of sum(dy * y))."""
    x = x.clone().requires_grad_(True)
    y = fn(x)
    g = torch.Generator().manual_seed(seed)
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)
    return y, dy, x.grad


def mish():
    torch.manual_seed(1)
    special = torch.tensor([0.0, 1e-3, -1e-3, 0.5, -0.5, 1, -1, 3, -3, 9, -9, 15, 19.9, 20.0,
                            20.1, 25, 40, 100, 1000, -15, -20, -25, -40, -60, -88, -100, -1000])
    x = torch.cat([special, torch.randn(229) * 4])
    y, dy, dx = with_grad(F.mish, x, 2)
    golden.write(os.path.join(OUT, "mish_golden.bin"), {"x": x, "y": y, "dy": dy, "dx": dx})


# (file tag, is_max, shape, kernel, stride, pad, ceil_mode)
POOLS = [
    ("max_stem", 1, (2, 3, 13, 13), 3, 2, 1, False),   # xresnet stem MaxPool(3, 2, 1)
    ("max_stem32", 1, (1, 2, 32, 32), 3, 2, 1, False),
    ("max_ceil", 1, (1, 2, 14, 14), 3, 2, 1, True),
    ("max_k2ceil", 1, (2, 3, 7, 7), 2, 2, 0, True),
    ("avg_id7", 0, (2, 3, 7, 7), 2, 2, 0, True),       # idpath AvgPool2d(2, ceil_mode=True)
    ("avg_id13", 0, (1, 2, 13, 13), 2, 2, 0, True),
    ("avg_padceil", 0, (1, 2, 6, 6), 3, 2, 1, True),   # divisor: pad counts, ceil overhang not
    ("avg_padceil9", 0, (2, 1, 9, 8), 3, 2, 1, True),
]


def pools():
    for i, (tag, is_max, shape, k, s, p, ceil) in enumerate(POOLS):
        torch.manual_seed(10 + i)
        x = torch.randn(shape)
        if is_max:
            fn = lambda t: F.max_pool2d(t, k, s, p, ceil_mode=ceil)  # noqa: E731
        else:
            fn = lambda t: F.avg_pool2d(t, k, s, p, ceil_mode=ceil, count_include_pad=True)  # noqa: E731
        y, dy, dx = with_grad(fn, x, 20 + i)
        params = torch.tensor([*shape, k, s, p, int(ceil), is_max], dtype=torch.float32)
        golden.write(os.path.join(OUT, "pool_%s.bin" % tag),
                     {"params": params, "x": x, "y": y, "dy": dy, "dx": dx})


def sa():
    """fastai SimpleSelfAttention(ks=1, sym=False) with spectral norm, one training forward."""
    torch.manual_seed(5)
    b, c, h, w = 2, 8, 3, 5
    conv = torch.nn.Conv1d(c, c, 1, bias=False)
    torch.nn.init.kaiming_normal_(conv.weight)
    conv = torch.nn.utils.spectral_norm(conv)
    gamma = torch.nn.Parameter(torch.tensor([0.3]))  # fastai starts at 0; non-zero tests grads
    u0 = conv.weight_u.clone()
    v0 = conv.weight_v.clone()
    w0 = conv.weight_orig.detach().clone()
    x = torch.randn(b, c, h, w).requires_grad_(True)
    conv.train()
    xf = x.view(b, c, -1)
    convx = conv(xf)
    xxt = torch.bmm(xf, xf.permute(0, 2, 1).contiguous())
    o = gamma * torch.bmm(xxt, convx) + xf
    out = o.view(b, c, h, w)
    dy = torch.randn(out.shape)
    out.backward(dy)
    w_sn = conv.weight.detach()
    sigma = (w0.flatten() @ w_sn.flatten()) / (w_sn.flatten() @ w_sn.flatten())
    golden.write(os.path.join(OUT, "sa_spectral.bin"), {
        "x": x, "w": w0.view(c, c), "u0": u0, "v0": v0, "gamma": gamma.detach(),
        "u": conv.weight_u, "v": conv.weight_v, "sigma": sigma.view(1), "w_sn": w_sn.view(c, c),
        "out": out, "dy": dy, "dx": x.grad, "dw": conv.weight_orig.grad.view(c, c),
        "dgamma": gamma.grad})


if __name__ == "__main__":
    mish()
    pools()
    sa()
