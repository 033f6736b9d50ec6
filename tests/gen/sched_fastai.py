#!/usr/bin/python3
"""Writes tests/data/sched_fastai.txt: lr and mom of each schedule preset at many positions,
computed the way fastai does it (torch float32 boundaries and local position in combine_scheds).
Run with Debian's /usr/bin/python3 (python3-torch): /usr/bin/python3 tests/gen/sched_fastai.py
Lines: spec <TAB> lr_base <TAB> pos <TAB> lr <TAB> mom ('-' when mom is not scheduled)."""
import math
import os

import torch


def sched_cos(start, end):
    return lambda pos: start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def sched_cos_spike(start, end, amp=0.3, freq=50, offset=0.8):  # the seed's SchedCosSpike
    return lambda pos: (start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2) * (
        1 + amp * (math.sin(freq * math.pi * (1 - pos)) + offset))


def combine_scheds(pcts, scheds):  # fastai/callback/schedule.py semantics
    assert sum(pcts) == 1.0
    bounds = torch.cumsum(torch.tensor([0] + list(pcts)), 0)
    last = len(bounds) - 2

    def inner(pos):
        idx = min((pos >= bounds).nonzero().max(), last)
        local = (pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx])
        return scheds[idx](local.item())
    return inner


def combined_cos(pct, start, middle, end):
    return combine_scheds([pct, 1 - pct], [sched_cos(start, middle), sched_cos(middle, end)])


def cases(lr):
    return {
        'one_cycle': (combined_cos(.25, lr / 25, lr, lr / 1e5), combined_cos(.25, .95, .85, .95)),
        'one_cycle:div=10,pct_start=0.3,moms=0.9/0.8/0.9':
            (combined_cos(.3, lr / 10, lr, lr / 1e5), combined_cos(.3, .9, .8, .9)),
        'flat_cos': (combined_cos(.75, lr, lr, lr / 1e5), None),
        'flat_cos:pct=0.72': (combined_cos(.72, lr, lr, lr / 1e5), None),
        'godzi': (combine_scheds([.25, .75], [sched_cos(lr / 25, lr), sched_cos_spike(lr, lr / 1e5)]),
                  combined_cos(.25, .95, .35, .95)),
        'flat_cos_spike': (combine_scheds([.75, .25], [sched_cos(lr, lr), sched_cos_spike(lr, lr / 1e5)]),
                           None),
        'sgdr': (combine_scheds([1 / 7, 2 / 7, 4 / 7], [sched_cos(lr, 0)] * 3), None),
    }


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'sched_fastai.txt')
    lr = 3e-3
    positions = [i / 96 for i in range(96)] + [0.72, 1 / 7, 3 / 7, 0.999, 1.0]
    with open(out, 'w') as f:
        for spec, (f_lr, f_mom) in cases(lr).items():
            for pos in positions:
                mom = '-' if f_mom is None else '%.17g' % f_mom(pos)
                f.write('%s\t%.17g\t%.17g\t%.17g\t%s\n' % (spec, lr, pos, f_lr(pos), mom))


if __name__ == '__main__':
    main()
