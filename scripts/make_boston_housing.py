"""Build notebooks/data/BostonHousing/boston_housing.pickle, the file the classic Part 10 reads.

The pickle holds ``((X, y), (X_test, y_test))``: numpy float64 arrays of shape 404x13 / 404 and
102x13 / 102, the split of ``keras.datasets.boston_housing.load_data()`` (shuffle the 506 rows with
``numpy.random.RandomState(113)``, the first 80% train, the rest test). The rows come from
``boston_house_prices.csv`` beside the pickle, a copy of the file scikit-learn 1.1.3 shipped (the
original StatLib data, in its original order). See that folder's README.md for the source, the
licence and the dataset's known ethical problem.

Run it from anywhere: ``python scripts/make_boston_housing.py`` (only numpy is needed). It rewrites
the pickle and prints a few values to compare with Keras's published split; the course's tests
check that the committed pickle equals what this script builds.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "BostonHousing"
SOURCE = FOLDER / "boston_house_prices.csv"
TARGET = FOLDER / "boston_housing.pickle"
# sha256 of boston_house_prices.csv as scikit-learn 1.1.3 ships it (sklearn/datasets/data/).
SOURCE_SHA256 = "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6"

# keras.datasets.boston_housing.load_data's defaults.
SEED = 113
TEST_SPLIT = 0.2
N_ROWS, N_FEATURES = 506, 13

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def read_rows(source: Path = SOURCE) -> np.ndarray:
    """The 506 rows x 14 columns (13 features, then the target MEDV), checked against the known copy."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise ValueError(
            f"{source} is not the scikit-learn 1.1.3 copy (sha256 {digest}, expected {SOURCE_SHA256})"
        )
    # Line 1 is "506,13,,...", line 2 the column names.
    rows = np.loadtxt(source, delimiter=",", skiprows=2, dtype=np.float64)
    if rows.shape != (N_ROWS, N_FEATURES + 1):
        raise ValueError(f"{source} has shape {rows.shape}, expected {(N_ROWS, N_FEATURES + 1)}")
    return rows


def split(rows: np.ndarray, seed: int = SEED, test_split: float = TEST_SPLIT) -> Split:
    """Keras's split: shuffle the row order with RandomState(seed), then cut at (1 - test_split)."""
    x, y = rows[:, :N_FEATURES], rows[:, N_FEATURES]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def build() -> Split:
    return split(read_rows())


def main() -> None:
    data = build()
    (x, y), (x_test, y_test) = data
    with TARGET.open("wb") as f:
        # Protocol 4 loads on every Python 3 the course supports.
        pickle.dump(data, f, protocol=4)
    print(f"wrote {TARGET}: X {x.shape}, y {y.shape}, X_test {x_test.shape}, y_test {y_test.shape}")
    # Keras's split begins with these (as printed in F. Chollet, "Deep Learning with Python", ch. 3).
    print("X[0] =", x[0].tolist())
    print("y[:10] =", y[:10].tolist())
    print("y_test[:5] =", y_test[:5].tolist())


if __name__ == "__main__":
    main()
