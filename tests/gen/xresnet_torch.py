# fastai's XResNet family rebuilt in plain PyTorch from the spec in fastai-semantics.md §6, with
# the same module tree (so state-dict names match) — for goldens, checkpoint checks and benchmarks.
import math

import torch
from torch import nn


class ConvLayer(nn.Sequential):
    """conv (bias only without BN) -> BatchNorm (weight 1, or 0 for BatchZero) -> activation."""

    def __init__(self, ni, nf, ks=3, stride=1, groups=1, bn=True, zero_bn=False, act=None, bias=None):
        if bias is None:
            bias = not bn
        layers = [nn.Conv2d(ni, nf, ks, stride=stride, padding=(ks - 1) // 2, groups=groups, bias=bias)]
        if bn:
            b = nn.BatchNorm2d(nf)
            nn.init.constant_(b.weight, 0.0 if zero_bn else 1.0)
            layers.append(b)
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class SequentialEx(nn.Module):
    """fastai's SequentialEx: layers in a ModuleList (names `layers.i`), ProdLayer multiplies."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        res = x
        for l in self.layers:
            res = x * res if isinstance(l, ProdLayer) else l(res)
        return res


class ProdLayer(nn.Module):
    def forward(self, x):
        return x


def se_module(ch, reduction, act):
    nf = math.ceil(ch // reduction / 8) * 8
    return SequentialEx(nn.AdaptiveAvgPool2d(1), ConvLayer(ch, nf, 1, bn=False, act=act),
                        ConvLayer(nf, ch, 1, bn=False, act=nn.Sigmoid), ProdLayer())


class SimpleSelfAttention(nn.Module):
    def __init__(self, n_in, ks=1, sym=False):
        super().__init__()
        conv = nn.Conv1d(n_in, n_in, ks, padding=ks // 2, bias=False)
        nn.init.kaiming_normal_(conv.weight)
        self.conv = nn.utils.spectral_norm(conv)
        self.gamma = nn.Parameter(torch.tensor([0.0]))
        self.sym = sym

    def forward(self, x):
        size = x.size()
        x = x.view(*size[:2], -1)
        convx = self.conv(x)
        xxT = torch.bmm(x, x.permute(0, 2, 1).contiguous())
        o = torch.bmm(xxT, convx)
        return (self.gamma * o + x).view(*size).contiguous()


class ResBlock(nn.Module):
    def __init__(self, expansion, ni, nf, stride=1, groups=1, reduction=None, nh1=None, nh2=None,
                 sa=False, act=nn.ReLU, pool="avg"):
        super().__init__()
        nh2 = nf if nh2 is None else nh2
        nh1 = nh2 if nh1 is None else nh1
        nf, ni = nf * expansion, ni * expansion
        if expansion == 1:
            layers = [ConvLayer(ni, nh2, 3, stride=stride, groups=groups, act=act),
                      ConvLayer(nh2, nf, 3, zero_bn=True)]
        else:
            layers = [ConvLayer(ni, nh1, 1, act=act),
                      ConvLayer(nh1, nh2, 3, stride=stride, groups=groups, act=act),
                      ConvLayer(nh2, nf, 1, zero_bn=True)]
        if reduction:
            layers.append(se_module(nf, reduction, act))
        if sa:
            layers.append(SimpleSelfAttention(nf, ks=1))
        self.convpath = nn.Sequential(*layers)
        idpath = []
        if ni != nf:
            idpath.append(ConvLayer(ni, nf, 1))
        if stride != 1:
            p = nn.AvgPool2d(stride, ceil_mode=True) if pool == "avg" else nn.MaxPool2d(stride)
            idpath.insert(0, p)
        self.idpath = nn.Sequential(*idpath)
        self.act = act(inplace=True) if act is nn.ReLU else act()

    def forward(self, x):
        return self.act(self.convpath(x) + self.idpath(x))


def se_resnext_block(expansion, ni, nf, groups=32, reduction=16, base_width=4, **kw):
    w = (nf * base_width) // 64 * groups
    return ResBlock(expansion, ni, nf, groups=groups, reduction=reduction, nh1=w, nh2=w, **kw)


def se_block(expansion, ni, nf, groups=1, reduction=16, **kw):
    return ResBlock(expansion, ni, nf, groups=groups, reduction=reduction, nh1=nf * 2,
                    nh2=nf * expansion, **kw)


def xresnet(block, expansion, layers, c_in=3, n_out=1000, p=0.0, sa=False, act=nn.ReLU, pool="avg",
            **kw):
    stem_szs = [c_in, 32, 32, 64]
    stem = [ConvLayer(stem_szs[i], stem_szs[i + 1], 3, stride=2 if i == 0 else 1, act=act) for i in range(3)]
    block_szs = [64 // expansion, 64, 128, 256, 512] + [256] * (len(layers) - 4)
    stages = []
    for i, l in enumerate(layers):
        ni, nf = block_szs[i], block_szs[i + 1]
        stride = 1 if i == 0 else 2
        blocks = [block(expansion, ni if j == 0 else nf, nf, stride=stride if j == 0 else 1,
                        sa=sa and j == l - 1 and i == len(layers) - 4, act=act, pool=pool, **kw)
                  for j in range(l)]
        stages.append(nn.Sequential(*blocks))
    m = nn.Sequential(*stem, nn.MaxPool2d(3, 2, 1), *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Dropout(p), nn.Linear(block_szs[-1] * expansion, n_out))
    for mod in m.modules():  # init_cnn
        if getattr(mod, "bias", None) is not None:
            nn.init.constant_(mod.bias, 0)
        if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Linear)) and not hasattr(mod, "weight_orig"):
            nn.init.kaiming_normal_(mod.weight)
    return m



ARCHS = {
    "xresnet18": (lambda e, ni, nf, **k: ResBlock(e, ni, nf, **k), 1, [2, 2, 2, 2], {}),
    "xresnet34": (lambda e, ni, nf, **k: ResBlock(e, ni, nf, **k), 1, [3, 4, 6, 3], {}),
    "xresnet50": (lambda e, ni, nf, **k: ResBlock(e, ni, nf, **k), 4, [3, 4, 6, 3], {}),
    "xresnet101": (lambda e, ni, nf, **k: ResBlock(e, ni, nf, **k), 4, [3, 4, 23, 3], {}),
    "xresnet152": (lambda e, ni, nf, **k: ResBlock(e, ni, nf, **k), 4, [3, 8, 36, 3], {}),
    "xresnext50": (lambda e, ni, nf, **k: se_resnext_block(e, ni, nf, reduction=0, **k), 4, [3, 4, 6, 3], {}),
    "xse_resnext18": (se_resnext_block, 1, [2, 2, 2, 2], {}),
    "xse_resnext34": (se_resnext_block, 1, [3, 4, 6, 3], {}),
    "xse_resnext50": (se_resnext_block, 4, [3, 4, 6, 3], {}),
    "xse_resnext101": (se_resnext_block, 4, [3, 4, 23, 3], {}),
}


def make(arch, c_in=3, n_out=10, act="relu", sa=False, pool="avg", p=0.0):
    block, expansion, layers, kw = ARCHS[arch]
    a = nn.ReLU if act == "relu" else nn.Mish
    return xresnet(block, expansion, layers, c_in=c_in, n_out=n_out, p=p, sa=sa, act=a, pool=pool, **kw)


if __name__ == "__main__":
    for name in ARCHS:
        m = make(name)
        print(f"{name:16s} {sum(p.numel() for p in m.parameters()):>12,d}")
    print(f"{'xresnet18 sa':16s} {sum(p.numel() for p in make('xresnet18', sa=True).parameters()):>12,d}")
