"""Synthetic MNIST for Lightning 0.8.5's tests (tests/base/datasets.py), so nothing downloads.

Writes HARNESS_DIR/Datasets/MNIST/complete/{training,test}.pt as ``(uint8 N x 28 x 28, int64 N)``
tuples (the format MNIST loads with torch.load), each class a fixed stroke pattern plus noise,
then TrialMNIST's subsets, cut by TrialMNIST._prepare_subset itself.

usage: python make_mnist.py HARNESS_DIR
"""

import importlib.util
import os
import sys

import torch

N_TRAIN, N_TEST = 6000, 1000
TRIAL_SIZES = (10, 20, 30, 40, 50, 64, 100, 128, 200, 500)
TRIALS = [((0, 1, 2), n) for n in TRIAL_SIZES] + [((0, 1, 2, 5, 8), 15000)]


def templates(gen: torch.Generator) -> torch.Tensor:
    """One 28x28 pattern per class: a few random thick strokes (bars) in the middle 20x20."""
    out = torch.zeros(10, 28, 28)
    for c in range(10):
        for _ in range(4):
            r, col = torch.randint(4, 20, (2,), generator=gen).tolist()
            if torch.rand(1, generator=gen).item() < 0.5:
                out[c, r:r + 3, col:col + 8] = 1.0
            else:
                out[c, r:r + 8, col:col + 3] = 1.0
    return out


def make_split(n: int, tmpl: torch.Tensor, gen: torch.Generator):
    targets = torch.arange(n) % 10
    targets = targets[torch.randperm(n, generator=gen)]
    img = tmpl[targets] * (0.7 + 0.3 * torch.rand(n, 1, 1, generator=gen))
    img = img + 0.15 * torch.randn(n, 28, 28, generator=gen)
    img = img * (torch.rand(n, 28, 28, generator=gen) > 0.05)  # drop a few pixels
    data = (img.clamp(0, 1) * 255).round().to(torch.uint8)
    return data, targets.to(torch.int64)


def main(harness_dir: str) -> None:
    sys.path.insert(0, harness_dir)  # `from tests import PACKAGE_ROOT` in datasets.py
    spec = importlib.util.spec_from_file_location(
        "harness_datasets", os.path.join(harness_dir, "tests", "base", "datasets.py"))
    datasets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(datasets)
    root = datasets.PATH_DATASETS
    assert os.path.realpath(root) == os.path.realpath(os.path.join(harness_dir, "Datasets")), root

    gen = torch.Generator().manual_seed(85)
    tmpl = templates(gen)
    full_dir = os.path.join(root, "MNIST", datasets.MNIST.cache_folder_name)
    os.makedirs(full_dir, exist_ok=True)
    full = {}
    splits = ((datasets.MNIST.TRAIN_FILE_NAME, N_TRAIN), (datasets.MNIST.TEST_FILE_NAME, N_TEST))
    for fname, n in splits:
        full[fname] = make_split(n, tmpl, gen)
        torch.save(full[fname], os.path.join(full_dir, fname))

    for digits, num in TRIALS:
        folder = "digits-" + "-".join(str(d) for d in sorted(digits)) + f"_nb-{num}"
        sub_dir = os.path.join(root, "MNIST", folder)
        os.makedirs(sub_dir, exist_ok=True)
        for fname, (data, targets) in full.items():
            sub = datasets.TrialMNIST._prepare_subset(data, targets, num, digits)
            torch.save(sub, os.path.join(sub_dir, fname))

    # check: the classes load without a download attempt
    assert len(datasets.MNIST(root, train=True, download=False)) == N_TRAIN
    for digits, num in TRIALS:
        for train in (True, False):
            ds = datasets.TrialMNIST(root, train=train, download=False, num_samples=num,
                                     digits=digits)
            assert set(ds.targets.tolist()) == set(digits), (digits, num)
    print(f"synthetic MNIST in {root}: {N_TRAIN}/{N_TEST} samples, {len(TRIALS)} trial subsets")


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]))
