#!/usr/bin/python3
# Developer check (needs Debian's python3-torch; not run in CI): load a cltrain model.safetensors
# into the PyTorch rebuild of fastai's xresnet (tests/gen/xresnet_torch.py) with strict=True, and
# print its top-5 softmax for one image preprocessed as cltrain does for small-image models
# (image already at the model's size; (x/255 - mean)/std from the checkpoint metadata), to compare
# with `cltrain predict --checkpoint F IMAGE`.   usage: check_checkpoint_torch.py MODEL IMAGE
import json, os, struct, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xresnet_torch

def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    hdr = json.loads(b[8:8 + n])
    meta = hdr.pop("__metadata__", {})
    data = b[8 + n:]
    sd = {}
    for k, v in hdr.items():
        s, e = v["data_offsets"]
        dt = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        sd[k] = torch.from_numpy(np.frombuffer(data[s:e], dtype=dt).copy().reshape(v["shape"]))
    return sd, meta

sd, meta = load(sys.argv[1])
cfg, info = json.loads(meta["cltrain.config"]), json.loads(meta["cltrain.data"])
m = xresnet_torch.make(cfg["arch"], c_in=info["channels"], n_out=info["n_classes"], act=cfg["act"],
                       sa=bool(cfg["sa"]), pool=cfg["pool"], p=cfg["dropout"])
m.load_state_dict(sd, strict=True)
m.eval()
print("strict load ok:", cfg["arch"], len(sd), "tensors")
from PIL import Image
img = Image.open(sys.argv[2]).convert("L" if info["channels"] == 1 else "RGB")
x = torch.tensor(np.asarray(img, dtype=np.float32) / 255.0)
x = x[None] if x.ndim == 2 else x.permute(2, 0, 1)
mean, std = torch.tensor(info["mean"])[:, None, None], torch.tensor(info["std"])[:, None, None]
x = ((x - mean) / std)[None]
with torch.no_grad():
    p = torch.softmax(m(x), -1)[0]
top = torch.topk(p, 5)
for r, (v, i) in enumerate(zip(top.values, top.indices)):
    print("  %d. %-24s %.4f" % (r + 1, info["classes"][i], v))
