#!/usr/bin/env python3
"""Reference solutions for the linear probe's tests, computed independently in PyTorch.

A small linearly separable 3-class problem in 4 dimensions (float32 features), standardised
with its own population mean and standard deviation, and the minimiser of

    mean cross-entropy(softmax(x W + b), y) + weight_decay / 2 * ||W||^2   (b not decayed)

for two weight decays, found by PyTorch's L-BFGS (strong Wolfe line search) in float64 and
polished by Newton steps until the largest gradient component is below 1e-12. Writes
test/fixtures/probes/logistic-reference.json.

Run: /usr/bin/python3 scripts/make_probe_fixture.py
"""
import json
import os

import torch

SEED = 20261201
PER_CLASS = 20
DIM = 4
CLASSES = 3
WEIGHT_DECAYS = [0.1, 0.01]
OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'probes', 'logistic-reference.json'))


def make_data(generator):
    centres = torch.tensor([[3.0, 0.0, 0.0, 1.0], [0.0, 3.0, 0.0, -1.0], [0.0, 0.0, 3.0, 0.5]])
    scales = torch.tensor([1.0, 2.0, 0.5, 4.0])
    xs, ys = [], []
    for c in range(CLASSES):
        # Scaled and shifted per feature, so that standardisation has real work to do.
        points = (centres[c] + 0.6 * torch.randn(PER_CLASS, DIM, generator=generator)) * scales + torch.tensor([10.0, -5.0, 0.0, 2.0])
        xs.append(points)
        ys.append(torch.full((PER_CLASS,), c, dtype=torch.long))
    x = torch.cat(xs).to(torch.float32)
    y = torch.cat(ys)
    order = torch.randperm(len(y), generator=generator)
    return x[order], y[order]


def fit(xs, y, weight_decay):
    w = torch.zeros(DIM, CLASSES, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(CLASSES, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([w, b], lr=1, max_iter=5000, tolerance_grad=1e-13, tolerance_change=1e-16,
                                  history_size=20, line_search_fn='strong_wolfe')

    def objective():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(xs @ w + b, y) + weight_decay / 2 * (w ** 2).sum()
        loss.backward()
        return loss

    optimiser.step(objective)
    # Newton steps on the 15 parameters polish L-BFGS's answer to float64 precision.
    theta = torch.cat([w.detach().flatten(), b.detach()])

    def flat_objective(t):
        ww, bb = t[:DIM * CLASSES].reshape(DIM, CLASSES), t[DIM * CLASSES:]
        return torch.nn.functional.cross_entropy(xs @ ww + bb, y) + weight_decay / 2 * (ww ** 2).sum()

    for _ in range(20):
        gradient = torch.autograd.functional.jacobian(flat_objective, theta)
        if gradient.abs().max().item() < 1e-13:
            break
        hessian = torch.autograd.functional.hessian(flat_objective, theta)
        # The bias direction along all-ones is flat (softmax is shift-invariant): lstsq takes the minimum-norm step.
        theta = theta - torch.linalg.lstsq(hessian, gradient.unsqueeze(1)).solution.squeeze(1)
    gradient_max = torch.autograd.functional.jacobian(flat_objective, theta).abs().max().item()
    assert gradient_max < 1e-12, gradient_max
    loss = flat_objective(theta).item()
    w, b = theta[:DIM * CLASSES].reshape(DIM, CLASSES), theta[DIM * CLASSES:]
    return w, b, loss, gradient_max


def main():
    generator = torch.Generator().manual_seed(SEED)
    x, y = make_data(generator)
    x64 = x.to(torch.float64)
    mean = x64.mean(0)
    scale = x64.std(0, unbiased=False)
    xs = (x64 - mean) / scale
    test_x = (torch.randn(8, DIM, generator=generator) * 3 + mean.to(torch.float32)).to(torch.float32)
    test_xs = (test_x.to(torch.float64) - mean) / scale
    fits = []
    for weight_decay in WEIGHT_DECAYS:
        w, b, loss, gradient_max = fit(xs, y, weight_decay)
        train_predictions = (xs @ w + b).argmax(1)
        assert bool((train_predictions == y).all()), 'the problem should be separable and fitted exactly'
        fits.append({
            'weightDecay': weight_decay,
            'weights': w.flatten().tolist(),
            'bias': b.tolist(),
            'loss': loss,
            'gradientMax': gradient_max,
            'testLogits': (test_xs @ w + b).flatten().tolist(),
            'testPredictions': (test_xs @ w + b).argmax(1).tolist(),
        })
    fixture = {
        'madeBy': 'scripts/make_probe_fixture.py',
        'torch': torch.__version__,
        'seed': SEED,
        'dim': DIM,
        'numClasses': CLASSES,
        'features': x.flatten().tolist(),
        'labels': y.tolist(),
        'mean': mean.tolist(),
        'scale': scale.tolist(),
        'testFeatures': test_x.flatten().tolist(),
        'fits': fits,
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')
    print(f'wrote {OUT}: {len(y)} examples, losses {[round(f["loss"], 6) for f in fits]}')


if __name__ == '__main__':
    main()
