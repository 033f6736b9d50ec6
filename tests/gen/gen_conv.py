#!/usr/bin/python3
# Writes tests/data/conv_*.bin: PyTorch conv2d goldens (grouped, depthwise, strided, with bias):
# params, input, weight, bias, out, dout, din, dw, dbias. Run with Debian's /usr/bin/python3.
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

# name: (n, c_in, h, w, c_out, kh, kw, stride, pad, groups)
CASES = {
    "conv_g2_s2_bias": (2, 4, 9, 9, 6, 3, 3, 2, 1, 2),
    "conv_dw_s2_bias": (2, 6, 7, 7, 6, 3, 3, 2, 1, 6),
    "conv_k1_s1_bias": (2, 5, 5, 6, 3, 1, 1, 1, 0, 1),
    "conv_k5_s3_p2_bias": (1, 3, 11, 10, 4, 5, 5, 3, 2, 1),
}


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    torch.manual_seed(1234)
    for name, (n, ci, h, w, co, kh, kw, s, p, g) in CASES.items():
        x = (torch.rand(n, ci, h, w) * 2 - 1).requires_grad_()
        wt = (torch.rand(co, ci // g, kh, kw) * 2 - 1).requires_grad_()
        b = (torch.rand(co) * 2 - 1).requires_grad_()
        y = torch.nn.functional.conv2d(x, wt, b, stride=s, padding=p, groups=g)
        dy = torch.rand_like(y) * 2 - 1
        y.backward(dy)
        golden.write(os.path.join(out_dir, name + ".bin"), {
            "params": torch.tensor([n, ci, h, w, co, kh, kw, s, p, g], dtype=torch.float32),
            "input": x, "weight": wt, "bias": b, "out": y, "dout": dy,
            "din": x.grad, "dw": wt.grad, "dbias": b.grad,
        })
        print("wrote", name, tuple(y.shape))


if __name__ == "__main__":
    main()
