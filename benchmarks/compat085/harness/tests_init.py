"""tests/__init__.py for Lightning 0.8.5's test-suite (the wheel ships none): the names its
tests import from ``tests`` (develop_utils: TEMP_PATH, RANDOM_PORTS, RANDOM_SEEDS; datasets:
PACKAGE_ROOT, whose Datasets/ folder holds the synthetic MNIST)."""

import os

import numpy as np

TEST_ROOT = os.path.dirname(__file__)
PACKAGE_ROOT = os.path.dirname(TEST_ROOT)
TEMP_PATH = os.path.join(PACKAGE_ROOT, "test_temp")

# generate a list of random seeds for each test
RANDOM_PORTS = list(np.random.randint(12000, 19000, 1000))
ROOT_SEED = 1234
np.random.seed(ROOT_SEED)
RANDOM_SEEDS = list(np.random.randint(0, 10000, 1000))

os.makedirs(TEMP_PATH, exist_ok=True)
