"""PyTorch CPU side of bench/attacks.ts: FGSM and PGD throughput (images x gradient steps / s)
on the same architectures, batches and attack steps as the TF.js run, in the same invocation.

bench/attacks.ts runs this with Debian's /usr/bin/python3 (python3-torch); it is never a
package dependency. Prints one JSON object on stdout; {"error": ...} when torch is missing.

    /usr/bin/python3 scripts/bench_attacks_torch.py --models cnn,zoo,resnet18 --seconds 3 \
        [--cnn-images FILE --cnn-labels FILE] [--threads 1] [--pgd-steps cnn=20,zoo=20,resnet18=20] \
        [--zoo-model supervised]

The bundled CNN and the zoo backbone (assets/zoo/<name>, the resnet-fm10 classifier) get their
shipped weights (read back from the TF.js LayersModels), so their attack success counts can be
compared with the TF.js run; both attack the bundled images given. ResNet-18 gets seeded random
weights (only its speed matters).
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as missing:  # the bench notes the skip and carries on
    print(json.dumps({"error": f"PyTorch not available: {missing}"}))
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
CNN_FOLDER = os.path.join(HERE, "..", "assets", "models", "fmnist-cnn")
ZOO_ROOT = os.path.join(HERE, "..", "assets", "zoo")


# ---------------------------------------------------------------- models

def read_layers_weights(folder):
    """The weights of a TF.js LayersModel folder by name, as float32 arrays (float16-quantized
    weights, as the zoo ships them, are widened), and its manifest."""
    with open(os.path.join(folder, "model.json")) as f:
        model = json.load(f)
    weights = {}
    for group in model["weightsManifest"]:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"]))
            stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
            assert stored in ("float32", "float16"), f"{spec['name']}: unexpected dtype {stored}"
            dtype = np.float16 if stored == "float16" else np.float32
            weights[spec["name"]] = np.frombuffer(blob, dtype, count, offset).astype(np.float32).reshape(spec["shape"])
            offset += dtype().itemsize * count
    return weights, model


def load_bundled_cnn():
    """ReferenceCNN (the architecture the bundled model was trained with) with the bundled
    weights, converted back from Keras layout (HWIO kernels, (in, out) dense)."""
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
    from train_reference_cnn import ReferenceCNN  # noqa: E402 (needs the path above)

    weights, _ = read_layers_weights(CNN_FOLDER)
    model = ReferenceCNN()
    state = {}
    for conv in ["conv1", "block1_pw", "conv2"]:
        state[f"{conv}.weight"] = weights[f"{conv}/kernel"].transpose(3, 2, 0, 1)
    state["block1_dw.weight"] = weights["block1_dw/depthwise_kernel"].transpose(2, 3, 0, 1)
    for bn in ["conv1_bn", "block1_dw_bn", "block1_pw_bn", "conv2_bn"]:
        state[f"{bn}.weight"] = weights[f"{bn}/gamma"]
        state[f"{bn}.bias"] = weights[f"{bn}/beta"]
        state[f"{bn}.running_mean"] = weights[f"{bn}/moving_mean"]
        state[f"{bn}.running_var"] = weights[f"{bn}/moving_variance"]
    state["logits.weight"] = weights["logits/kernel"].T
    state["logits.bias"] = weights["logits/bias"]
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=False)
    return model


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv-BN when the shape changes) shortcut."""

    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """The CIFAR-style ResNet-18 of bench/models/resnet18.ts: 3x3 stem, no max-pool,
    stages of 64/128/256/512 channels with two blocks each, global average pool, 10 logits."""

    def __init__(self, channels=3, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(64)
        blocks, in_ch = [], 64
        for out_ch, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [BasicBlock(in_ch, out_ch, stride), BasicBlock(out_ch, out_ch, 1)]
            in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))


def same_padding(size, kernel, stride):
    """TF's 'same' padding (before, after) along one axis: the extra row goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv(nn.Module):
    """A bias-free convolution with TF's 'same' padding: symmetric padding where TF's is (no copy),
    an explicit F.pad where TF pads one row more after (the stride-2 3x3 layers on even sizes)."""

    def __init__(self, size, in_ch, out_ch, kernel, stride):
        super().__init__()
        before, after = same_padding(size, kernel, stride)
        self.pad = None if before == after else (before, after, before, after)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride, before if before == after else 0, bias=False)

    def forward(self, x):
        return self.conv(x if self.pad is None else F.pad(x, self.pad))


class ZooBackbone(nn.Module):
    """The zoo's resnet-fm10 classifier (src/models/zoo/architecture.ts) with Keras layer names:
    3x3 stem at 16, one basic block per stage at 16/32/64/128 channels (strides 1/2/2/2; a 1x1
    conv-BN shortcut where the shape changes), global average pool, dense logits."""

    STAGES = [(16, 1), (32, 2), (64, 2), (128, 2)]

    def __init__(self, eps, classes=10):
        super().__init__()
        self.convs, self.bns, self.order = nn.ModuleDict(), nn.ModuleDict(), []
        size, width = 28, 16
        self._conv_bn("stem_conv", "stem_bn", size, 1, 16, 3, 1, eps)
        for i, (out_ch, stride) in enumerate(self.STAGES):
            p = f"block{i + 1}"
            out_size = -(-size // stride)
            self._conv_bn(f"{p}_conv1", f"{p}_bn1", size, width, out_ch, 3, stride, eps)
            self._conv_bn(f"{p}_conv2", f"{p}_bn2", out_size, out_ch, out_ch, 3, 1, eps)
            if stride != 1 or out_ch != width:
                self._conv_bn(f"{p}_shortcut_conv", f"{p}_shortcut_bn", size, width, out_ch, 1, stride, eps)
            size, width = out_size, out_ch
        self.classifier = nn.Linear(width, classes)

    def _conv_bn(self, conv, bn, size, in_ch, out_ch, kernel, stride, eps):
        self.convs[conv] = SameConv(size, in_ch, out_ch, kernel, stride)
        self.bns[bn] = nn.BatchNorm2d(out_ch, eps=eps)
        self.order.append((conv, bn))

    def _cbn(self, conv, bn, x):
        return self.bns[bn](self.convs[conv](x))

    def forward(self, x):
        x = F.relu(self._cbn("stem_conv", "stem_bn", x))
        for i in range(len(self.STAGES)):
            p = f"block{i + 1}"
            y = F.relu(self._cbn(f"{p}_conv1", f"{p}_bn1", x))
            y = self._cbn(f"{p}_conv2", f"{p}_bn2", y)
            shortcut = self._cbn(f"{p}_shortcut_conv", f"{p}_shortcut_bn", x) if f"{p}_shortcut_conv" in self.convs else x
            x = F.relu(y + shortcut)
        return self.classifier(x.mean(dim=(2, 3)))


def load_zoo(name):
    """The zoo backbone `name` with its shipped weights (Keras HWIO kernels, (in, out) dense)."""
    weights, model = read_layers_weights(os.path.join(ZOO_ROOT, name))
    layers = {layer["name"]: layer for layer in model["modelTopology"]["config"]["layers"]}
    eps = layers["stem_bn"]["config"]["epsilon"]
    net = ZooBackbone(eps)
    state = {}
    for conv, bn in net.order:
        state[f"convs.{conv}.conv.weight"] = weights[f"{conv}/kernel"].transpose(3, 2, 0, 1)
        state[f"bns.{bn}.weight"] = weights[f"{bn}/gamma"]
        state[f"bns.{bn}.bias"] = weights[f"{bn}/beta"]
        state[f"bns.{bn}.running_mean"] = weights[f"{bn}/moving_mean"]
        state[f"bns.{bn}.running_var"] = weights[f"{bn}/moving_variance"]
    state["classifier.weight"] = weights["classifier/kernel"].T
    state["classifier.bias"] = weights["classifier/bias"]
    result = net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)
    assert not result.unexpected_keys and all(k.endswith("num_batches_tracked") for k in result.missing_keys), result
    return net


# ---------------------------------------------------------------- attacks (as src/attacks)

def input_gradient(model, x, y):
    """Gradient of the summed cross-entropy with respect to the images, and the logits."""
    x = x.detach().requires_grad_(True)
    logits = model(x)
    grad, = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), x)
    return grad, logits.detach()


def fgsm(model, x, y, eps, generator):
    grad, _ = input_gradient(model, x, y)
    adv = torch.clamp(x + eps * grad.sign(), 0, 1)
    with torch.no_grad():
        return int((model(adv).argmax(1) != y).sum())


def pgd(model, x, y, eps, steps, generator):
    """Random start, steps of 2.5*eps/steps along the gradient sign, exact L-inf projection,
    each image's first success kept (the same passes as src/attacks/pgd.ts: one gradient per
    step and one final forward)."""
    step = 2.5 * eps / steps
    adv = torch.clamp(x + (2 * torch.rand(x.shape, generator=generator) - 1) * eps, 0, 1)
    broken = torch.zeros(len(y), dtype=torch.bool)
    for _ in range(steps):
        grad, logits = input_gradient(model, adv, y)
        broken |= logits.argmax(1) != y
        adv = torch.min(torch.max(adv + step * grad.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        broken |= model(adv).argmax(1) != y
    return int(broken.sum())


def throughput(run, batch, steps, seconds, warm_up):
    """Runs for about `seconds` (at least once), after one untimed run if `warm_up`:
    images x steps per second."""
    if warm_up:
        run()
    runs, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while True:
        successes = run()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            # CPU time of this process: robust to other jobs on a shared machine.
            cpu = time.process_time() - cpu_start
            return {"imageStepsPerSecond": runs * batch * steps / elapsed,
                    "imageStepsPerCpuSecond": runs * batch * steps / cpu, "runs": runs,
                    "secondsPerRun": elapsed / runs, "successes": successes}


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="cnn,zoo,resnet18")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--pgd-steps", default="cnn=20,zoo=20,resnet18=20", help="PGD steps per model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cnn-batch", type=int, default=64)
    parser.add_argument("--resnet-batch", type=int, default=32)
    parser.add_argument("--zoo-batch", type=int, default=64)
    parser.add_argument("--zoo-model", default="supervised", help="a folder name under assets/zoo")
    parser.add_argument("--cnn-images", help="float32 NHWC 28x28x1 images, raw little-endian (the CNN's and the zoo model's)")
    parser.add_argument("--cnn-labels", help="int32 labels, raw little-endian")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    pgd_steps = {k: int(v) for k, v in (item.split("=") for item in args.pgd_steps.split(","))}
    rows = []
    for name in args.models.split(","):
        if name == "cnn":
            model, batch, eps = load_bundled_cnn(), args.cnn_batch, 0.1
            if args.cnn_images:
                x = torch.from_numpy(np.fromfile(args.cnn_images, np.float32).reshape(-1, 28, 28, 1)[:batch]).permute(0, 3, 1, 2).contiguous()
                y = torch.from_numpy(np.fromfile(args.cnn_labels, np.int32)[:batch].astype(np.int64))
            else:
                x, y = torch.rand(batch, 1, 28, 28, generator=generator), torch.randint(0, 10, (batch,), generator=generator)
        elif name == "zoo":
            # The zoo backbone attacks the same bundled images as the CNN (both are 28x28x1).
            model, batch, eps = load_zoo(args.zoo_model), args.zoo_batch, 0.1
            if args.cnn_images:
                x = torch.from_numpy(np.fromfile(args.cnn_images, np.float32).reshape(-1, 28, 28, 1)[:batch]).permute(0, 3, 1, 2).contiguous()
                y = torch.from_numpy(np.fromfile(args.cnn_labels, np.int32)[:batch].astype(np.int64))
            else:
                x, y = torch.rand(batch, 1, 28, 28, generator=generator), torch.randint(0, 10, (batch,), generator=generator)
        elif name == "resnet18":
            model, batch, eps = ResNet18(), args.resnet_batch, 8 / 255
            x, y = torch.rand(batch, 3, 32, 32, generator=generator), torch.randint(0, 10, (batch,), generator=generator)
        else:
            raise SystemExit(f"unknown model {name}")
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)  # input gradients only, as the TF.js attacks take
        with torch.no_grad():
            clean = int((model(x).argmax(1) == y).sum())
        rows.append({"model": name, "attack": "fgsm", "batch": batch, "steps": 1, "clean": clean,
                     **throughput(lambda: fgsm(model, x, y, eps, generator), batch, 1, args.seconds, True)})
        steps = pgd_steps.get(name, 20)
        rows.append({"model": name, "attack": "pgd", "batch": batch, "steps": steps, "clean": clean,
                     **throughput(lambda: pgd(model, x, y, eps, steps, generator), batch, steps, args.seconds, False)})
        print(f"torch {name}: done", file=sys.stderr, flush=True)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
