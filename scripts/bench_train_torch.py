#!/usr/bin/python3
"""Training-step speed of the zoo's backbone (resnet-fm10) in PyTorch on the CPU, for bench/train.ts.

The same architecture, heads, losses and batch sizes as src/models/zoo; random images in [0, 1]
(speed only; no augmentation, which the TypeScript figures include). Prints one JSON line per
method: {"method", "batch", "ms_per_step", "images_per_s", "epoch_s"}.

Run: /usr/bin/python3 scripts/bench_train_torch.py [--steps 20] [--batch 128] [--threads 2] [--methods supervised,simclr]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class Backbone(nn.Module):
    """Stem 3x3x16, then one basic block per stage: 16 (28 px), 32 (14), 64 (7), 128 (4); global average pool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        stages, cin = [], 16
        for width, stride in [(16, 1), (32, 2), (64, 2), (128, 2)]:
            stages.append(Block(cin, width, stride))
            cin = width
        self.stages = nn.Sequential(*stages)

    def forward(self, x):
        return self.stages(self.stem(x)).mean(dim=(2, 3))


def mlp(cin, hidden, cout):
    return nn.Sequential(nn.Linear(cin, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, cout))


def rotations(x):
    return torch.cat([torch.rot90(x, k, (2, 3)) for k in range(4)]), torch.arange(4).repeat_interleave(x.shape[0])


def nt_xent(a, b, t):
    z = F.normalize(torch.cat([a, b]), dim=1)
    n = a.shape[0]
    sim = z @ z.t() / t - torch.eye(2 * n) * 1e9
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def byol_loss(p, z):
    return (2 - 2 * F.cosine_similarity(p, z.detach(), dim=1)).mean()


def make(method):
    backbone = Backbone()
    heads = {}
    if method in ('supervised', 'supervised-rotation'):
        heads['classifier'] = nn.Linear(128, 10)
    if method == 'supervised-rotation':
        heads['rotation'] = nn.Linear(128, 4)
    if method == 'rotnet':
        heads['rotation'] = mlp(128, 256, 4)
    if method in ('simclr', 'byol'):
        heads['projector'] = mlp(128, 512, 128)
    if method == 'byol':
        heads['predictor'] = mlp(128, 512, 128)
        heads['target_backbone'] = Backbone()
        heads['target_projector'] = mlp(128, 512, 128)
    return backbone, nn.ModuleDict(heads)


def step_fn(method, backbone, heads, x, y):
    if method == 'supervised':
        return F.cross_entropy(heads['classifier'](backbone(x)), y)
    if method == 'supervised-rotation':
        xr, r = rotations(x)
        e = backbone(xr)
        return F.cross_entropy(heads['classifier'](e[: x.shape[0]]), y) + 0.5 * F.cross_entropy(heads['rotation'](e), r)
    if method == 'rotnet':
        xr, r = rotations(x)
        return F.cross_entropy(heads['rotation'](backbone(xr)), r)
    n = x.shape[0]
    views = torch.cat([x, x.flip(3)])
    if method == 'simclr':
        z = heads['projector'](backbone(views))
        return nt_xent(z[:n], z[n:], 0.5)
    with torch.no_grad():
        t = heads['target_projector'](heads['target_backbone'](views))
    p = heads['predictor'](heads['projector'](backbone(views)))
    return byol_loss(p[:n], t[n:]) + byol_loss(p[n:], t[:n])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--methods', default='supervised,supervised-rotation,simclr,byol,rotnet')
    parser.add_argument('--images', type=int, default=60000)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for method in args.methods.split(','):
        backbone, heads = make(method)
        params = [p for name, m in [('backbone', backbone), *heads.items()] if not name.startswith('target') for p in m.parameters()]
        optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
        x = torch.rand(args.batch, 1, 28, 28)
        y = torch.randint(0, 10, (args.batch,))
        times = []
        for i in range(args.steps + 2):
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = step_fn(method, backbone, heads, x, y)
            loss.backward()
            optimizer.step()
            if method == 'byol':
                with torch.no_grad():
                    for online, target in [(backbone, heads['target_backbone']), (heads['projector'], heads['target_projector'])]:
                        for po, pt in zip(online.parameters(), target.parameters()):
                            pt.mul_(0.99).add_(po, alpha=0.01)
            if i >= 2:
                times.append(time.perf_counter() - start)
        ms = 1000 * sorted(times)[len(times) // 2]
        steps_per_epoch = args.images // args.batch
        print(json.dumps({'method': method, 'batch': args.batch, 'threads': args.threads, 'ms_per_step': ms,
                          'images_per_s': args.batch / ms * 1000, 'epoch_s': steps_per_epoch * ms / 1000,
                          'backbone_parameters': sum(p.numel() for p in backbone.parameters())}), flush=True)


if __name__ == '__main__':
    main()
