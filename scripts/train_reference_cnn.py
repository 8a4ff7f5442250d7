"""Trains a small reference CNN on Fashion-MNIST in PyTorch and exports it as a
TensorFlow.js LayersModel (model.json + one float32 weight shard).

Why: it lets ssl-robust prove that a LayersModel trained and saved by another
framework evaluates, in our tool, to exactly the accuracy that framework reports.
So besides the model, reference.json records PyTorch's own accuracy, per-image
predictions on the bundled subset, and a few raw logits to compare against.

Run from the repository root with Debian's PyTorch (needs dataset-fashion-mnist):
    /usr/bin/python3 scripts/train_reference_cnn.py [OUT_DIR]
OUT_DIR defaults to assets/models/fmnist-cnn. Verify the export afterwards with
    node scripts/check_reference_export.mjs [OUT_DIR]

Model input is NHWC 28x28x1 float32 in [0, 1] (pixel / 255); there is no other
normalisation, so nothing has to be replicated outside the model.
"""
import argparse
import ctypes
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FULL_DATA = "/usr/share/datasets/fashion-mnist"
SUBSET_DATA = "assets/data/fashion-mnist-subset"
SEED = 20261130
EPOCHS = 6
BATCH = 128
MAX_LR = 5e-3
BN_EPS = 1e-5  # PyTorch's default; written into the Keras config so tfjs matches
BN_MOMENTUM = 0.1  # PyTorch convention (Keras stores 1 - this)
N_LOGITS_RECORDED = 8
SHARD = "group1-shard1of1.bin"


# ---------------------------------------------------------------- data

def read_idx(path):
    """Reads a gzipped IDX file (the MNIST layout) into a uint8 array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(folder, prefix):
    """Returns (images N x 1 x 28 x 28 float32 in [0,1], labels int64).

    Division by 255 in float32 is the same operation our tool performs, so the
    model sees bit-identical inputs in both frameworks."""
    images = read_idx(f"{folder}/{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{folder}/{prefix}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


# ---------------------------------------------------------------- model

def conv_bn(in_ch, out_ch, kernel, padding, groups=1):
    """Conv without bias (the BatchNorm after it has its own shift) + BatchNorm."""
    return (nn.Conv2d(in_ch, out_ch, kernel, padding=padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=BN_EPS, momentum=BN_MOMENTUM))


class ReferenceCNN(nn.Module):
    """Attribute names equal the Keras layer names they are exported to."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv1_bn = conv_bn(1, 32, 3, padding=0)              # 'valid': 28 -> 26
        # Depthwise-separable block. groups=C <-> tfjs DepthwiseConv2D, depth_multiplier 1.
        # padding=1 for a 3x3 stride-1 kernel is symmetric, exactly TF's 'same'.
        self.block1_dw, self.block1_dw_bn = conv_bn(32, 32, 3, padding=1, groups=32)
        self.block1_pw, self.block1_pw_bn = conv_bn(32, 64, 1, padding=0)
        self.conv2, self.conv2_bn = conv_bn(64, 64, 3, padding=1)             # 'same' at 13x13
        self.logits = nn.Linear(64, 10)

    def embed(self, x):
        # In-place ReLU is safe after BatchNorm (its backward needs its input, not its
        # output) and saves a full-resolution activation per layer on a slow CPU.
        x = F.relu(self.conv1_bn(self.conv1(x)), inplace=True)
        x = F.relu(self.block1_dw_bn(self.block1_dw(x)), inplace=True)
        x = F.relu(self.block1_pw_bn(self.block1_pw(x)), inplace=True)
        x = F.max_pool2d(x, 2)                                                # 26 -> 13
        x = F.relu(self.conv2_bn(self.conv2(x)), inplace=True)
        x = F.max_pool2d(x, 2)                                                # 13 -> 6 (floor, = 'valid')
        return x.mean(dim=(2, 3))                                             # global average pool = embedding

    def forward(self, x):
        return self.logits(self.embed(x))


# ---------------------------------------------------------------- training

def keep_freed_memory():
    """Stops glibc from returning the ~10-20 MB activation buffers to the OS after
    every step (they are mmap'ed by default, so each step page-faults them back in).
    Roughly halves CPU training time here; has no effect on the numbers."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)   # M_MMAP_THRESHOLD: its maximum on 64-bit
        libc.mallopt(-1, 512 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except OSError:
        pass  # not glibc: only slower


def train(model, x, y, epochs, generator):
    """Adam with a one-cycle schedule: reaches >90% in few epochs on 2 cores.
    The generator alone decides the batch order, so a run is repeatable."""
    opt = torch.optim.Adam(model.parameters(), lr=MAX_LR)
    steps = (len(x) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR, epochs=epochs, steps_per_epoch=steps)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total_loss, t0 = 0.0, time.time()
        for i in range(steps):
            idx = order[i * BATCH:(i + 1) * BATCH]
            # No augmentation: in a schedule this short, random horizontal flips
            # cost accuracy (3 epochs: 88.7% with vs 89.4% without).
            xb, yb = x[idx], y[idx]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(xb)
        print(f"epoch {epoch + 1}/{epochs}: loss {total_loss / len(x):.4f} ({time.time() - t0:.0f}s)", flush=True)


@torch.no_grad()
def predict_logits(model, x, batch=1000):
    """float32 logits with BatchNorm on running statistics (eval mode)."""
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def accuracy(pred, y):
    return int((pred == y).sum()) / len(y)


# ---------------------------------------------------------------- export

def keras_layer(class_name, name, inbound, **config):
    """One layer entry of a Keras functional-model topology (snake_case keys,
    as Keras writes them; tfjs-layers converts them to camelCase on load)."""
    return {"class_name": class_name, "name": name,
            "config": {"name": name, "trainable": True, **config},
            "inbound_nodes": [[[inbound, 0, 0, {}]]] if inbound else []}


def conv_config(kernel, padding, **extra):
    return dict(kernel_size=[kernel, kernel], strides=[1, 1], padding=padding,
                data_format="channels_last", dilation_rate=[1, 1],
                activation="linear", use_bias=False, **extra)


def bn_config():
    # Keras momentum is the weight of the old running value: 1 - PyTorch's momentum.
    return dict(axis=-1, momentum=1 - BN_MOMENTUM, epsilon=BN_EPS, center=True, scale=True)


def keras_topology():
    """The Keras functional graph mirroring ReferenceCNN, layer by layer."""
    layers = [keras_layer("InputLayer", "image", None,
                          batch_input_shape=[None, 28, 28, 1], dtype="float32", sparse=False)]

    def add(class_name, name, **config):
        layers.append(keras_layer(class_name, name, layers[-1]["name"], **config))

    def conv_bn_relu(class_name, name, kernel, padding, **extra):
        add(class_name, name, **conv_config(kernel, padding, **extra))
        add("BatchNormalization", f"{name}_bn", **bn_config())
        add("Activation", f"{name}_relu", activation="relu")

    conv_bn_relu("Conv2D", "conv1", 3, "valid", filters=32)
    conv_bn_relu("DepthwiseConv2D", "block1_dw", 3, "same", depth_multiplier=1)
    conv_bn_relu("Conv2D", "block1_pw", 1, "valid", filters=64)
    add("MaxPooling2D", "pool1", pool_size=[2, 2], strides=[2, 2], padding="valid", data_format="channels_last")
    conv_bn_relu("Conv2D", "conv2", 3, "same", filters=64)
    add("MaxPooling2D", "pool2", pool_size=[2, 2], strides=[2, 2], padding="valid", data_format="channels_last")
    add("GlobalAveragePooling2D", "embedding", data_format="channels_last")
    add("Dense", "logits", units=10, activation="linear", use_bias=True)
    return {"class_name": "Functional",
            "config": {"name": "fmnist_cnn", "layers": layers,
                       "input_layers": [["image", 0, 0]], "output_layers": [["logits", 0, 0]]},
            # No keras_version: Keras did not write this, and tfjs-layers ignores it.
            "backend": "tensorflow"}


def keras_weights(model):
    """(name, float32 array) pairs in Keras layout. tfjs matches weights by these
    names ('<layer>/<weight>'), so order does not matter, but we keep Keras' order."""
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    out = []

    def bn(name):
        out.extend([(f"{name}/gamma", sd[f"{name}.weight"]), (f"{name}/beta", sd[f"{name}.bias"]),
                    (f"{name}/moving_mean", sd[f"{name}.running_mean"]),
                    (f"{name}/moving_variance", sd[f"{name}.running_var"])])

    for conv in ["conv1", "block1_pw", "conv2"]:
        # PyTorch conv weights are OIHW, Keras kernels are HWIO.
        out.append((f"{conv}/kernel", sd[f"{conv}.weight"].transpose(2, 3, 1, 0)))
        bn(f"{conv}_bn")
    # Depthwise: PyTorch (C, 1, kh, kw) -> Keras (kh, kw, C, depth_multiplier=1).
    out.append(("block1_dw/depthwise_kernel", sd["block1_dw.weight"].transpose(2, 3, 0, 1)))
    bn("block1_dw_bn")
    # Linear is (out, in); Dense kernel is (in, out).
    out.append(("logits/kernel", sd["logits.weight"].T))
    out.append(("logits/bias", sd["logits.bias"]))
    return out


def write_layers_model(model, out_dir):
    weights = keras_weights(model)
    specs, blobs = [], []
    for name, arr in weights:
        specs.append({"name": name, "shape": list(arr.shape), "dtype": "float32"})
        blobs.append(np.ascontiguousarray(arr, dtype="<f4").tobytes())  # little-endian float32
    with open(os.path.join(out_dir, SHARD), "wb") as f:
        f.write(b"".join(blobs))
    model_json = {"format": "layers-model",
                  "generatedBy": f"PyTorch {torch.__version__} (scripts/train_reference_cnn.py)",
                  "convertedBy": None,
                  "modelTopology": keras_topology(),
                  "weightsManifest": [{"paths": [SHARD], "weights": specs}]}
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(model_json, f, indent=1)
    return sum(len(b) for b in blobs)


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="assets/models/fmnist-cnn")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    keep_freed_memory()
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    generator = torch.Generator().manual_seed(SEED)

    x_train, y_train = load_split(FULL_DATA, "train")
    x_test, y_test = load_split(FULL_DATA, "t10k")
    x_sub, y_sub = load_split(SUBSET_DATA, "t10k")

    model = ReferenceCNN()
    n_params = sum(p.numel() for p in model.parameters())
    n_buffers = sum(b.numel() for n, b in model.named_buffers() if "running" in n)
    print(f"parameters: {n_params} trainable + {n_buffers} BatchNorm running stats")

    t0 = time.time()
    train(model, x_train, y_train, args.epochs, generator)
    train_seconds = time.time() - t0

    test_acc = accuracy(predict_logits(model, x_test).argmax(1), y_test)
    sub_logits = predict_logits(model, x_sub)
    sub_pred = sub_logits.argmax(1)
    sub_acc = accuracy(sub_pred, y_sub)
    print(f"trained in {train_seconds:.0f}s; test accuracy {test_acc:.4f} (10000), subset {sub_acc:.4f} (2000)")

    shard_bytes = write_layers_model(model, args.out_dir)
    reference = {
        "framework": "pytorch", "frameworkVersion": torch.__version__,
        "seed": SEED, "epochs": args.epochs, "batchSize": BATCH, "optimizer": f"Adam, OneCycleLR max_lr={MAX_LR}",
        "augmentation": "none",
        "trainingSeconds": round(train_seconds, 1), "threads": torch.get_num_threads(),
        "parameters": n_params, "batchNormRunningStats": n_buffers, "shardBytes": shard_bytes,
        "input": "NHWC [N,28,28,1] float32, pixel/255",
        "embeddingLayer": "embedding", "logitsLayer": "logits",
        "testAccuracy": test_acc, "testCount": len(y_test),
        "subsetAccuracy": sub_acc, "subsetCount": len(y_sub), "subsetCorrect": int((sub_pred == y_sub).sum()),
        "subsetPredictions": sub_pred.tolist(),
        # float32 values printed exactly (repr of the float64 holding them)
        "subsetLogitsFirst8": sub_logits[:N_LOGITS_RECORDED].double().tolist(),
    }
    with open(os.path.join(args.out_dir, "reference.json"), "w") as f:
        json.dump(reference, f)
    print(f"wrote {args.out_dir}/model.json, {SHARD} ({shard_bytes} bytes), reference.json")


if __name__ == "__main__":
    main()
