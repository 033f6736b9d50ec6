# Writer for tests/data/*.bin golden files (read by tests/util.c t_golden_load).
# Format: b"CTGOLD1\n", u32 count, then per tensor: u32 name_len, name, u32 ndim, u32 dims, f32 data.
import struct

import numpy as np


def write(path, tensors):
    """tensors: dict name -> array-like (torch tensors are converted); stored as float32."""
    with open(path, "wb") as f:
        f.write(b"CTGOLD1\n")
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            if hasattr(t, "detach"):
                t = t.detach().cpu().numpy()
            a = np.ascontiguousarray(np.asarray(t, dtype=np.float32))
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dI" % a.ndim, *a.shape))
            f.write(a.astype("<f4").tobytes())
