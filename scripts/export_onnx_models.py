#!/usr/bin/env python3
"""Exports full-size backbones with seeded random weights for the ONNX import check (too big to commit):

- resnet18.onnx: torchvision's ResNet-18 (11.7 M parameters, 224x224), opset 17, dynamic batch.
- vit-s16.onnx: a timm/DINO-style ViT-S/16 (22 M parameters: 12 blocks, 6 heads, width 384), opset 17.

Each gets a <name>.onnx.json sidecar with ImageNet's normalisation. Then
    SSL_ROBUST_ONNX_MODELS=<folder> npx vitest run test/onnx/large-models.test.ts
compares the importer with onnxruntime-node on them and runs PGD.

Needs Debian's python3-torch and python3-torchvision; no network. Usage:
    /usr/bin/python3 scripts/export_onnx_models.py [folder]   (default ~/.cache/ssl-robust/onnx-models)
"""
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import TinyViT  # noqa: E402  the same timm-style ViT, at ViT-S/16 size

IMAGENET = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}


def export(model, folder, name, opset=17):
    model.eval()
    path = os.path.join(folder, f'{name}.onnx')
    start = time.time()
    torch.onnx.export(model, torch.rand(1, 3, 224, 224), path, input_names=['images'], output_names=['logits'],
                      opset_version=opset, dynamic_axes={'images': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)
    with open(f'{path}.json', 'w') as f:
        json.dump({**IMAGENET, 'name': name}, f, indent=2)
        f.write('\n')
    print(f'{path}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - start:.1f} s')


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser('~/.cache/ssl-robust/onnx-models')
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    export(torchvision.models.resnet18(num_classes=1000), folder, 'resnet18')
    export(TinyViT(image=224, patch=16, dim=384, depth=12, heads=6, classes=1000), folder, 'vit-s16')


if __name__ == '__main__':
    sys.exit(main())
