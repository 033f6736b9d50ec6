# PIL goldens for the data transforms (tests/test_data.c): BILINEAR resize down/up, crop+resize
# (RandomResizedCrop's path) and fastai's valid squish + centre crop. Run with Debian's python3:
#   /usr/bin/python3 tests/gen/gen_data.py tests/data
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import golden  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
rng = np.random.default_rng(7)
# a smooth pattern plus noise, so both the filter shape and edges matter
yy, xx = np.mgrid[0:23, 0:37]
base = np.stack([xx * 6.5, yy * 10.0, (xx + yy) * 4.0], -1) + rng.integers(0, 60, (23, 37, 3))
src = np.clip(base, 0, 255).astype(np.uint8)
img = Image.fromarray(src, "RGB")
B = Image.BILINEAR
t = {"src": src}
t["down16"] = np.asarray(img.resize((16, 16), B))
t["up50x41"] = np.asarray(img.resize((50, 41), B))
t["crop_resize13"] = np.asarray(img.crop((5, 3, 25, 18)).resize((13, 13), B))
size = 16
xtra = int(np.ceil(size * 0.14 / 8) * 8)  # fastai val_xtra
p = size + xtra
off = (p - size) // 2
t["valid16"] = np.asarray(img.resize((p, p), B).crop((off, off, off + size, off + size)))
golden.write(os.path.join(out, "data_resize.bin"), t)
print("wrote", os.path.join(out, "data_resize.bin"), {k: v.shape for k, v in t.items()})
