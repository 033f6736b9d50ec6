#!/usr/bin/python3
# Writes tests/data/lr_suggest.bin: synthetic lr_find curves and fastai's suggestions for them,
# computed the way fastai/callback/schedule.py does (torch float32 tensors, numpy gradient), plus
# the debiased smoothed loss (Recorder/AvgSmoothLoss, beta .98). Read by tests/test_lr_find.c.
import math, os, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden

def valley(lrs, losses, num_it):
    n = len(losses); max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])

def slide(lrs, losses, num_it, lr_diff=15, thresh=.005, adjust_value=1.):
    losses = losses.numpy()
    loss_grad = np.gradient(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = lrs[l_idx]
    while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
        local_min_lr = lrs[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr) * adjust_value

def minimum(lrs, losses, num_it):
    return lrs[losses.argmin()].item() / 10

def steep(lrs, losses, num_it):
    grads = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return lrs[grads.argmin()].item()

def smooth(raw, beta=0.98):
    val, out = 0.0, []
    for t, l in enumerate(raw, 1):
        val = beta * val + (1 - beta) * l
        out.append(val / (1 - beta ** t))
    return out

rng = np.random.default_rng(3)
out = {}
for c, (num_it, n, nan_at) in enumerate([(100, 100, None), (100, 73, None), (60, 60, 40), (200, 200, None)]):
    lr = 1e-7 * (10 / 1e-7) ** (np.arange(n) / num_it)
    x = np.log10(lr)
    raw = 2.3 - 0.9 * np.exp(-((x + 2.0) ** 2) / 1.5) + 0.02 * rng.standard_normal(n) + np.exp(2.5 * (x - 0.3))
    sm = np.array(smooth(raw.tolist()))
    if nan_at is not None:
        sm[nan_at:] = np.nan
    lrs_f = torch.tensor(lr, dtype=torch.float32)
    los_f = torch.tensor(sm, dtype=torch.float32)
    lrs_s, los_s = lrs_f[num_it // 10:-5], los_f[num_it // 10:-5]
    nan_idx = torch.nonzero(torch.isnan(los_s.view(-1)))
    if len(nan_idx) > 0:
        d = int(nan_idx.min()); lrs_s, los_s = lrs_s[:d], los_s[:d]
    sug = [valley(lrs_s, los_s, num_it), slide(lrs_s, los_s, num_it), minimum(lrs_s, los_s, num_it),
           steep(lrs_s, los_s, num_it)]
    out[f"c{c}.meta"] = [num_it, n]
    out[f"c{c}.lrs"] = lrs_f.numpy()
    out[f"c{c}.raw"] = raw
    out[f"c{c}.smooth"] = los_f.numpy()
    out[f"c{c}.sug"] = sug
    print(c, num_it, n, ["%.4e" % s for s in sug])
golden.write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "lr_suggest.bin"), out)
