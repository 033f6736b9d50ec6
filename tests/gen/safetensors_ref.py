#!/usr/bin/python3
# Writes tests/data/st_ref.safetensors: a tiny state dict laid out the way huggingface safetensors
# lays it out (sorted by dtype alignment then name, compact JSON, header padded with spaces to 8),
# so test_checkpoint can check cltrain's reader and its byte-exact writer against it.
# Run with Debian's /usr/bin/python3 (python3-torch); not needed at test time.
import json, os, struct, sys
import torch

def save(tensors, metadata, path):
    names = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    hdr, off, blobs = {"__metadata__": metadata}, 0, []
    for k in names:
        t = tensors[k].contiguous()
        b = t.numpy().tobytes()  # little-endian on x86
        dt = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8"}[t.dtype]
        hdr[k] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

torch.manual_seed(0)
sd = {
    "0.0.weight": torch.randn(4, 1, 3, 3),
    "0.1.weight": torch.ones(4),
    "0.1.bias": torch.zeros(4),
    "0.1.running_mean": torch.arange(4, dtype=torch.float32) * 0.25,
    "0.1.running_var": torch.full((4,), 2.5),
    "0.1.num_batches_tracked": torch.tensor(12345678901, dtype=torch.int64),
    "11.bias": torch.tensor([-1.5, 0.0, 3.25]),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "st_ref.safetensors")
save(sd, {"format": "pt", "arch": "tiny"}, sys.argv[1] if len(sys.argv) > 1 else out)
print("wrote", out)
