#!/usr/bin/env python3
"""Exports the small ONNX test fixtures in test/fixtures/onnx from PyTorch, with seeded random weights.

Each is a scaled-down version of a backbone family users import (ResNet-18, ViT-S/16, MobileNetV2/V3,
EfficientNet-B0, ConvNeXt-T): the same layer types and export patterns, small widths, so the files stay
small. The tests compare the importer against onnxruntime-node on them; nothing here is a reference value.

Needs Debian's python3-torch and python3-torchvision (no network). Run from the repository root:
    /usr/bin/python3 scripts/make_onnx_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')


class BasicBlock(nn.Module):
    """torchvision's ResNet basic block."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.down is None else self.down(x)))


class TinyResNet18(nn.Module):
    """ResNet-18's layout (7x7/2 stem, 3x3/2 max pool, 2 basic blocks per stage, average pool, fc) at 1/16 width."""

    def __init__(self, widths=(4, 8, 16, 32), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers += [BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(self.layers(x)), 1))


class TinyViT(nn.Module):
    """A timm/DINO-style ViT: patch conv, class token, position embedding, pre-norm blocks, GELU MLP, head."""

    def __init__(self, image=32, patch=8, dim=32, depth=2, heads=2, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        tokens = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, dim * 4)
        self.fc2 = nn.Linear(dim * 4, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5).softmax(dim=-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class SqueezeExcite(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Conv2d(c, r, 1)
        self.fc2 = nn.Conv2d(r, c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


class TinyEfficientNet(nn.Module):
    """EfficientNet-B0's MBConv: 1x1 expand, depthwise, squeeze-excite, SiLU, 1x1 project, residual."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.SiLU())
        self.expand = nn.Sequential(nn.Conv2d(8, 32, 1, bias=False), nn.BatchNorm2d(32), nn.SiLU())
        self.dw = nn.Sequential(nn.Conv2d(32, 32, 5, 1, 2, groups=32, bias=False), nn.BatchNorm2d(32), nn.SiLU())
        self.se = SqueezeExcite(32, 4)
        self.project = nn.Sequential(nn.Conv2d(32, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Sequential(nn.Conv2d(8, 32, 1, bias=False), nn.BatchNorm2d(32), nn.SiLU())
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.project(self.se(self.dw(self.expand(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.head(x), 1), 1))


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.randn(dim) * 0.1)

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm(y))))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class TinyConvNeXt(nn.Module):
    """ConvNeXt-T's layout: 4x4 patchify stem, channels-last LayerNorm blocks, downsampling, pooled LayerNorm head."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, 4)
        self.stem_norm = nn.LayerNorm(16, eps=1e-6)
        self.block1 = ConvNeXtBlock(16)
        self.down_norm = nn.LayerNorm(16, eps=1e-6)
        self.down = nn.Conv2d(16, 32, 2, 2)
        self.block2 = ConvNeXtBlock(32)
        self.norm = nn.LayerNorm(32, eps=1e-6)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stem_norm(self.stem(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.block1(x)
        x = self.down(self.down_norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
        x = self.block2(x)
        return self.head(self.norm(x.mean((2, 3))))


def randomise_batch_norm(model, generator):
    """Non-trivial running statistics, so batch norm is really tested."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)


def scale_linear_layers(model, generator):
    """He-scaled linear layers: torchvision's 0.01-std classifier init would give near-zero logits, which
    would make comparing them meaningless."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight.data.copy_(torch.randn(m.weight.shape, generator=generator) * (2 / m.in_features) ** 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)


def export(model, name, size, opset, dynamic=True):
    model.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    x = torch.rand(2 if dynamic else 1, 3, size, size)
    axes = {'images': {0: 'batch'}, 'logits': {0: 'batch'}} if dynamic else None
    torch.onnx.export(model, x, path, input_names=['images'], output_names=['logits'], opset_version=opset,
                      dynamic_axes=axes, do_constant_folding=True)
    print(f'{path}: {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    resnet = TinyResNet18()
    randomise_batch_norm(resnet, generator)
    scale_linear_layers(resnet, generator)
    export(resnet, 'resnet18-tiny-opset13', 64, 13)
    export(resnet, 'resnet18-tiny-opset17-batch1', 64, 17, dynamic=False)
    with open(os.path.join(OUT, 'resnet18-tiny-opset13.onnx.json'), 'w') as f:
        json.dump({'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'name': 'resnet18-tiny'}, f, indent=2)
        f.write('\n')
    vit = TinyViT()
    export(vit, 'vit-tiny-opset17', 32, 17)
    export(vit, 'vit-tiny-opset13', 32, 13)
    mobilenet_v3 = torchvision.models.mobilenet_v3_small(width_mult=0.25, num_classes=10)
    randomise_batch_norm(mobilenet_v3, generator)
    scale_linear_layers(mobilenet_v3, generator)
    export(mobilenet_v3, 'mobilenet-v3-small-tiny-opset17', 64, 17)
    mobilenet_v2 = torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10)
    randomise_batch_norm(mobilenet_v2, generator)
    scale_linear_layers(mobilenet_v2, generator)
    export(mobilenet_v2, 'mobilenet-v2-tiny-opset13', 64, 13)
    efficientnet = TinyEfficientNet()
    randomise_batch_norm(efficientnet, generator)
    scale_linear_layers(efficientnet, generator)
    export(efficientnet, 'efficientnet-tiny-opset17', 64, 17)
    export(TinyConvNeXt(), 'convnext-tiny-opset17', 32, 17)


if __name__ == '__main__':
    sys.exit(main())
