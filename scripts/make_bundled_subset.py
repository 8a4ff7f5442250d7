"""Builds the bundled Fashion-MNIST subset: a stratified, seeded 2,000-image sample
(200 per class) of the official test split, written in IDX layout (gzipped).

Run once from the repository root (needs Debian's dataset-fashion-mnist):
    python3 scripts/make_bundled_subset.py
The chosen test-split indices go to indices.json so the subset can be traced back."""
import gzip, json, struct, sys
import numpy as np

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = "assets/data/fashion-mnist-subset"
PER_CLASS, SEED = 200, 20261129


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes reproducible
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.astype(np.uint8).tobytes())


images = read_idx(f"{SRC}/t10k-images-idx3-ubyte.gz")
labels = read_idx(f"{SRC}/t10k-labels-idx1-ubyte.gz")
rng = np.random.default_rng(SEED)
chosen = np.sort(np.concatenate([
    rng.choice(np.flatnonzero(labels == c), PER_CLASS, replace=False) for c in range(10)
]))
write_idx(f"{OUT}/t10k-images-idx3-ubyte.gz", images[chosen])
write_idx(f"{OUT}/t10k-labels-idx1-ubyte.gz", labels[chosen])
with open(f"{OUT}/indices.json", "w") as f:
    json.dump({"source": "Fashion-MNIST test split (t10k)", "seed": SEED, "perClass": PER_CLASS,
               "indices": chosen.tolist()}, f)
print(f"wrote {len(chosen)} images to {OUT}")
