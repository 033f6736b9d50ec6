#!/usr/bin/python3
# Writes the PyTorch goldens for test_batchnorm and test_loss: tests/data/bn_train.bin,
# bn_eval.bin, loss_ls.bin. Run from the repository root with Debian's /usr/bin/python3
# (python3-torch); not needed at test time. Seeded, so reruns give the same files.
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def bn_train(path):
    """One nn.BatchNorm2d training step (momentum 0.1, eps 1e-5) from non-default stats."""
    torch.manual_seed(3)
    n, c, h, w = 3, 5, 7, 7
    bn = torch.nn.BatchNorm2d(c)  # PyTorch defaults
    with torch.no_grad():
        bn.weight.copy_(torch.rand(c) + 0.5)
        bn.bias.copy_(torch.randn(c) * 0.5)
        bn.running_mean.copy_(torch.randn(c))
        bn.running_var.copy_(torch.rand(c) + 0.5)
    rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
    x = (torch.randn(n, c, h, w) * 2 + 3).requires_grad_(True)
    bn.train()
    y = bn(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    golden.write(path, {"input": x, "gamma": bn.weight, "beta": bn.bias, "running_mean0": rm0,
                        "running_var0": rv0, "output": y, "running_mean": bn.running_mean,
                        "running_var": bn.running_var, "dout": dy, "din": x.grad,
                        "dgamma": bn.weight.grad, "dbeta": bn.bias.grad})


def bn_eval(path):
    torch.manual_seed(4)
    n, c, h, w = 2, 3, 13, 13
    bn = torch.nn.BatchNorm2d(c)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(c) + 0.5)
        bn.bias.copy_(torch.randn(c) * 0.5)
        bn.running_mean.copy_(torch.randn(c))
        bn.running_var.copy_(torch.rand(c) + 0.5)
    bn.eval()
    x = torch.randn(n, c, h, w) * 2 + 1
    golden.write(path, {"input": x, "gamma": bn.weight, "beta": bn.bias,
                        "running_mean": bn.running_mean, "running_var": bn.running_var,
                        "output": bn(x)})


def fastai_ls_xent(logits, y, eps):
    """fastai LabelSmoothingCrossEntropy, reduction 'mean', written out explicitly."""
    c = logits.shape[-1]
    lp = F.log_softmax(logits, dim=-1)
    return (eps / c) * (-lp.sum(dim=-1)).mean() + (1 - eps) * F.nll_loss(lp, y)


def loss_case(t, tag, n, c, eps, scale):
    # float32 values computed on in double, so the stored float32 logits are exactly the inputs
    logits = (torch.randn(n, c) * scale).double().requires_grad_(True)
    y = torch.randint(0, c, (n,))
    loss = fastai_ls_xent(logits, y, eps)
    loss.backward()
    # cross-check the explicit formula against torch's own smoothed cross-entropy
    ref = F.cross_entropy(logits.detach(), y, label_smoothing=eps)
    assert abs(ref.item() - loss.item()) < 1e-12, (ref.item(), loss.item())
    lp = F.log_softmax(logits.detach(), dim=-1)
    each = (eps / c) * (-lp.sum(dim=-1)) - (1 - eps) * lp.gather(1, y[:, None])[:, 0]
    top = torch.topk(logits.detach(), min(5, c), dim=-1).indices
    t["logits" + tag] = logits
    t["labels" + tag] = y.double()
    t["loss" + tag] = loss.reshape(1)
    t["loss_each" + tag] = each
    t["dlogits" + tag] = logits.grad
    t["top1" + tag] = (top[:, 0] == y).double()
    t["top5" + tag] = (top == y[:, None]).any(dim=1).double()


def loss_ls(path):
    torch.manual_seed(5)
    t = {}
    loss_case(t, "", 7, 13, 0.1, 3.0)
    loss_case(t, "_c3", 4, 3, 0.1, 2.0)
    golden.write(path, t)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    bn_train(os.path.join(OUT, "bn_train.bin"))
    bn_eval(os.path.join(OUT, "bn_eval.bin"))
    loss_ls(os.path.join(OUT, "loss_ls.bin"))
