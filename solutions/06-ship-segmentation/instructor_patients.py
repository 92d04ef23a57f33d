"""Make Case 6's patients: five small U-Nets of the case's family, each trained by the instructor on tiles of its
own with one fault (or none), saved as ``patient_*.keras`` beside the notebook.

Run from this folder, ``python instructor_patients.py [patient_x ...] [--retrain]`` (about five minutes of CPU on
an idle machine): it trains the patients whose checkpoint is missing (every one named, with ``--retrain``) and
measures them. It prints what ``checks.py`` holds: each patient's fault and the value that proves it, measured on
the grader's own tiles (2,000 tiles from a seed that only this script holds) with a tolerance of 2.5 standard
deviations of that value over draws of 400 tiles (the size of the notebook's ``task_val``), never less than a
floor; and it checks that the notebook's own ``task_val`` gives a value within that tolerance. Like ``checks.py``
it is never released (``nbgrader_config.py`` ignores ``instructor_*``); the checkpoints are.

The faults: a BCE weighting ship pixels by 30 (its threshold moves to about 30/31), the recipe of the case (BCE +
per-image Dice, the output bias at the prior) on ship tiles only (false alarms on empty tiles), the reporter's
"biased" BCE on ship tiles (predicts nothing), the recipe trained on images scaled to 0-255 (it predicts nothing
on the course's 0-1 images: a fault the case does not show), and the recipe on every tile (healthy).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from dlclinic.backend import keras
from dlclinic.seeding import seed_everything
from dlclinic.ship_segmentation import losses
from dlclinic.ship_segmentation.data import Tiles, make_tiles
from dlclinic.ship_segmentation.experiment import batches, predict
from dlclinic.ship_segmentation.metrics import airbus_f2, f2_parts
from dlclinic.ship_segmentation.models import build_unet

SIZE, STEPS, BATCH = 32, 1200, 16
TRAINING_SEED = 6060  # the patients' own training tiles
GRADER_SEED = 60606  # the grader's tiles (and, from GRADER_SEED + 1 on, the 400-tile draws for the spreads)
DRAWS = 8
THRESHOLDS = tuple(1 / (1 + math.exp(-z)) for z in range(-8, 9))  # the notebook's grid, logit -8 ... 8
SCALE = 255.0  # the pixel scale the 0-255 patient was trained on
# The value that proves each fault, the scale of the images it is measured on, and the least tolerance the check
# allows for it.
PROOF = {
    "predicts nothing": ("positive_rate", 1.0, 0.002),
    "predicts everything": ("positive_rate", 1.0, 0.002),
    "threshold shifted": ("threshold_logit", 1.0, 1.25),
    "false alarms on empty tiles": ("empty_fpr", 1.0, 0.04),
    "expects 0-255 images": ("ship_tile_f2", SCALE, 0.06),
    "healthy": ("ship_tile_f2", 1.0, 0.06),
}


def recipes(train: Tiles) -> dict[str, tuple[str, object, Tiles, bool, int]]:
    """Each patient: its fault, its loss, its training tiles, whether the output bias starts at the prior, steps."""
    ships = train.subset(train.has_ship)
    bytes_ = Tiles(train.images * SCALE, train.masks, train.ships)  # images as 0-255 values
    return {
        "patient_a": ("threshold shifted", losses.weighted_bce(30.0), train, True, STEPS),
        "patient_b": ("false alarms on empty tiles", losses.bce_dice_loss, ships, True, STEPS),
        "patient_c": ("predicts nothing", losses.reporter_biased_loss, ships, False, 300),
        "patient_d": ("expects 0-255 images", losses.bce_dice_loss, bytes_, True, STEPS),
        "patient_e": ("healthy", losses.bce_dice_loss, train, True, STEPS),
    }


def make_patient(loss, tiles: Tiles, prior_bias: bool, steps: int, seed: int) -> keras.Model:
    """Train a U-Net from ``seed`` with Adam (1e-3) on ``tiles``; return it uncompiled (a small checkpoint)."""
    seed_everything(seed)
    prior = float(tiles.masks.mean())
    model = build_unet(SIZE, output_bias=math.log(prior / (1 - prior)) if prior_bias else None)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    for index in batches(tiles, steps, BATCH, False, np.random.default_rng(seed)):
        model.train_on_batch(tiles.images[index], tiles.masks[index])
    clean = build_unet(SIZE)
    clean.set_weights(model.get_weights())
    return clean


def own_threshold(masks: np.ndarray, probabilities: np.ndarray) -> float:
    """The threshold of THRESHOLDS with the best F2 (ties: the first, from the lowest threshold up)."""
    found = [airbus_f2(masks, (probabilities > t).astype("float32")) for t in THRESHOLDS]
    return THRESHOLDS[int(np.argmax(found))]


def measures(probabilities: np.ndarray, tiles: Tiles) -> dict[str, float]:
    """Every value a diagnosis reads, at the model's own threshold on ``tiles`` (and the positive rate at 0.5)."""
    threshold = own_threshold(tiles.masks, probabilities)
    predicted = (probabilities > threshold).astype("float32")
    parts = f2_parts(tiles.masks, predicted)
    ships = tiles.has_ship
    return {
        "positive_rate": float((probabilities > 0.5).mean()),
        "threshold_logit": math.log(threshold / (1 - threshold)),
        "empty_fpr": 1 - parts["empty_tile_f2"],
        "area_ratio": float(predicted[ships].sum() / tiles.masks[ships].sum()),
        "ship_tile_f2": parts["ship_tile_f2"],
        "f2": parts["f2"],
        "f2_at_half": airbus_f2(tiles.masks, (probabilities > 0.5).astype("float32")),
    }


def main(names: list[str], write: bool = False) -> None:
    train = make_tiles(800, SIZE, seed=TRAINING_SEED, ship_scale=1.0)
    task_val = make_tiles(400, SIZE, seed=11, ship_scale=1.0)  # the notebook's task_val
    grader = make_tiles(2000, SIZE, seed=GRADER_SEED, ship_scale=1.0)
    draws = [make_tiles(400, SIZE, seed=GRADER_SEED + 1 + i, ship_scale=1.0) for i in range(DRAWS)]
    for index, (name, (fault, loss, tiles, prior_bias, steps)) in enumerate(recipes(train).items()):
        if names and name not in names:
            continue
        if write or not Path(f"{name}.keras").exists():
            make_patient(loss, tiles, prior_bias, steps, seed=index + 1).save(f"{name}.keras")
        model = keras.models.load_model(f"{name}.keras", compile=False)
        key, scale, floor = PROOF[fault]
        reference = measures(predict(model, grader.images * scale), grader)
        spread = float(np.std([measures(predict(model, d.images * scale), d)[key] for d in draws], ddof=1))
        notebook = measures(predict(model, task_val.images * scale), task_val)
        tolerance = max(floor, 2.5 * spread)
        print(f"# {name}: grader {({k: round(v, 4) for k, v in reference.items()})}", file=sys.stderr)
        print(f"#   task_val {({k: round(v, 4) for k, v in notebook.items()})}; spread of {key}: {spread:.4f}",
              file=sys.stderr)
        assert abs(notebook[key] - reference[key]) <= tolerance, f"{name}: task_val's {key} is off the grader's"
        print(f"    {name!r}: ({fault!r}, {key!r}, {reference[key]!r}, {tolerance!r}),")


if __name__ == "__main__":
    main([arg for arg in sys.argv[1:] if arg.startswith("patient_")], write="--retrain" in sys.argv)
