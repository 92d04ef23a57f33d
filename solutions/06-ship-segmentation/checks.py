"""Case 6's checks: references, comparisons and bars, run by the grader outside the sandbox.

Never released and never in a sandbox (``nbgrader_config.py`` ignores ``checks.py``); each hidden test cell of
``06-ship-segmentation.ipynb`` hands its answers out and the function named by its grade id scores them
(``dlclinic.grading.outside``; ``solutions/README.md``). The points are the cells' nbgrader points. The grader's
tiles come from ``inputs(rng)``, drawn at grading time; their masks stay here (keys that start with ``_``).
"""

from __future__ import annotations

import math

import numpy as np

from dlclinic.grading.outside import Wrong, as_array, close, own_function, python_float
from dlclinic.ship_segmentation.data import make_tiles
from dlclinic.ship_segmentation.metrics import airbus_f2, f2_parts

# The learner writes these; the sandbox's dlclinic raises "write this yourself" for each (and for the package's
# functions that call them).
GRADED = [
    "dlclinic.ship_segmentation.losses.soft_dice_loss",
    "dlclinic.ship_segmentation.metrics.airbus_f2",
    "dlclinic.ship_segmentation.metrics.image_scores",  # airbus_f2 per image: the answer under another name
    "dlclinic.ship_segmentation.metrics.image_f2",
    "dlclinic.ship_segmentation.diagnosis.positive_gradient_share",
    "dlclinic.ship_segmentation.diagnosis.pixel_gradients",  # the tape half of positive_gradient_share
    "dlclinic.ship_segmentation.experiment.best_threshold",  # pick_threshold under another name
]

SIZE = 32
THRESHOLDS = tuple(1 / (1 + math.exp(-z)) for z in range(-8, 9))  # the notebook's grid
# Each patient: its fault, the value that proves it, that value on the grader's own tiles and the tolerance
# (instructor_patients.py prints these lines).
PATIENTS = {
    "patient_a": ("threshold shifted", "threshold_logit", 4.000000000000001, 1.6021748611541553),
    "patient_b": ("false alarms on empty tiles", "empty_fpr", 0.19962097283638658, 0.064799425425663),
    "patient_c": ("predicts nothing", "positive_rate", 0.0, 0.002),
    "patient_d": ("expects 0-255 images", "ship_tile_f2", 0.693552220377231, 0.11820717306463753),
    "patient_e": ("healthy", "ship_tile_f2", 0.4803446619993383, 0.0819449581220425),
}
TREATED = "patient_a"  # the patient whose threshold moved
# Held-out F2 of the treated patient (means over 4 draws of 600 of the grader's tiles): predicting nothing 0.78,
# patient_a at 0.5 0.584, at its own threshold (0.982, logit 4, picked on task_val) 0.830 (draws 0.828-0.834).
BAR_TREATED = 0.80
# Held-out F2 of the training task (means over 4 draws of 600 of the grader's tiles): predicting nothing 0.78; the
# case's threshold detector tuned on task_train + task_val over a grid whose picks are interior, 0.831 (draws
# 0.818-0.842); the solution (seeds 0, 1, 2) 0.862, 0.858, 0.875 (draws 0.852-0.879). The bar sits above the
# detector by more than a third of the gap to the solution (0.842).
BAR = 0.845


# --- the grader's inputs ------------------------------------------------------------------------------------------


def _tiles(rng: np.random.Generator, empty: int, ships: int) -> tuple[np.ndarray, np.ndarray]:
    """``empty`` tiles without a ship and ``ships`` tiles with one or more, in a random order, from a fresh seed."""
    with_ships = make_tiles(ships + 5, SIZE, empty_share=0.0, seed=int(rng.integers(2**31)), ship_scale=1.0)
    without = make_tiles(empty + 5, SIZE, empty_share=0.999, seed=int(rng.integers(2**31)), ship_scale=1.0)
    images = np.concatenate([with_ships.images[with_ships.has_ship][:ships], without.images[~without.has_ship][:empty]])
    masks = np.concatenate([with_ships.masks[with_ships.has_ship][:ships], without.masks[~without.has_ship][:empty]])
    order = rng.permutation(len(images))
    return images[order], masks[order]


def _dice_cases(rng: np.random.Generator) -> dict:
    shapes = [(5, 7, 9, 1), (2, 12, 10, 1), (4, 6, 6, 1)]
    y = [(rng.random(shape) < 0.1).astype("float32") for shape in shapes]
    y[2][1:] = 0  # three empty tiles among them
    return {"y": y, "p": [rng.random(shape).astype("float32") for shape in shapes],
            "eps": [float(e) for e in rng.uniform(0.2, 2.0, len(shapes))], "empty": np.zeros((3, 5, 5, 1), "float32")}


def _f2_cases(rng: np.random.Generator) -> dict:
    """Stacks of masks with boxes found, shifted, missed and false alarms; one object found at IoU 2/3."""
    trues, preds = [], []
    for _ in range(3):
        true = np.zeros((6, 20, 24), "float32")
        pred = np.zeros_like(true)
        for k in range(6):
            for _ in range(int(rng.integers(0, 3))):
                r, c = rng.integers(0, 15, 2)
                true[k, r:r + 4, c:c + 6] = 1
                dr, dc = rng.integers(-1, 2, 2)
                if rng.random() < 0.8:
                    pred[k, max(r + dr, 0):r + dr + 4, max(c + dc, 0):c + dc + 6] = 1
            if rng.random() < 0.3:
                pred[k, 18:20, 0:3] = 1
        trues.append(true)
        preds.append(pred)
    one, found = np.zeros((1, 8, 8), "float32"), np.zeros((1, 8, 8), "float32")
    one[0, 1:3, 1:6] = 1  # a 10-pixel object ...
    found[0, 1:4, 1:6] = 1  # ... found as 15 pixels: IoU 2/3, above 0.65 but not 0.7
    return {"true": [*trues, one], "pred": [*preds, found]}


def _share_cases(rng: np.random.Generator) -> list[dict]:
    y = (rng.random((3, 7, 11, 1)) < 0.15).astype("float32")
    p = rng.uniform(0.05, 0.95, y.shape).astype("float32")
    flat_y = (rng.random((2, 9, 6)) < 0.2).astype("float32")  # no channel axis
    flat_p = rng.uniform(0.1, 0.9, flat_y.shape).astype("float32")
    cases = [{"loss": loss, "y": y, "p": p, "wrt": wrt} for loss in ("biased", "signed", "keras_bce")
             for wrt in ("probability", "logit")]
    return cases + [{"loss": "squared", "y": flat_y, "p": flat_p, "wrt": wrt} for wrt in ("probability", "logit")]


def _pick_case(rng: np.random.Generator) -> dict:
    """Probabilities where the tiles without a ship decide the pick: each of those holds a false blob at 0.97, each
    ship is found at 0.82 only, and empty tiles outnumber ship tiles four to one or more. Every threshold below 0.82
    finds the ships and the blobs alike; the best over all the tiles is one above 0.97 (empty tiles right, ships
    missed); scored on the ship tiles alone, the pick would be one below 0.82."""
    empty, ships = int(rng.integers(16, 25)), int(rng.integers(2, 5))
    probabilities = np.full((empty + ships, SIZE, SIZE, 1), 1e-5, "float32")
    masks = np.zeros_like(probabilities)
    for tile in range(empty + ships):
        r, c = rng.integers(0, SIZE - 6, 2)
        if tile < ships:
            masks[tile, r : r + 3, c : c + 6] = 1.0
            probabilities[tile, r : r + 3, c : c + 6] = 1 / (1 + math.exp(-1.5))
        else:
            probabilities[tile, r : r + 4, c : c + 4] = 1 / (1 + math.exp(-3.5))
    order = rng.permutation(empty + ships)
    return {"probabilities": probabilities[order], "masks": masks[order]}


def inputs(rng: np.random.Generator) -> dict:
    """The grader's inputs; the masks of its tiles (``_...``) stay outside the kernel."""
    held_images, held_masks = _tiles(rng, 936, 264)  # 78 % empty, as in the competition
    empty_heavy, ship_heavy = _tiles(rng, 285, 15), _tiles(rng, 0, 100)
    return {
        "dice_cases": _dice_cases(rng),
        "f2_cases": _f2_cases(rng),
        "share_cases": _share_cases(rng),
        "threshold_sets": [{"images": images, "masks": masks} for images, masks in (empty_heavy, ship_heavy)],
        "pick_cases": [_pick_case(rng)],
        "held_out_images": held_images,
        "_held_out_masks": held_masks,
    }


# --- references ---------------------------------------------------------------------------------------------------


def _soft_dice(y: np.ndarray, p: np.ndarray, eps: float = 1.0) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    overlap, total = (y * p).sum(axis=(1, 2, 3)), y.sum(axis=(1, 2, 3)) + p.sum(axis=(1, 2, 3))
    return float(np.mean(1 - (2 * overlap + eps) / (total + eps)))


def _gradient(loss: str, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """d loss / d p of the hidden cell's losses, pixel by pixel (p in [0.05, 0.95]: Keras' clipping never acts)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    bce = -y / p + (1 - y) / (1 - p)
    return {"biased": np.where(y == 0, 1000 * bce, bce), "signed": -y + 2 * (1 - y) * p, "keras_bce": bce,
            "squared": 2 * (p - y)}[loss]


def _share(loss: str, y: np.ndarray, p: np.ndarray, wrt: str) -> float:
    size = np.abs(_gradient(loss, y, p))
    if wrt == "logit":
        size = size * np.asarray(p, float) * (1 - np.asarray(p, float))
    return float(size[np.asarray(y) == 1].sum() / size.sum())


def _floats(answers, name: str, what: str) -> list[float]:
    values = answers[name]
    if not isinstance(values, list) or not all(type(value) is float for value in values):
        raise Wrong(f"{what} should return a Python float")
    return values


def _masks_of(what: str, got: object, n: int) -> np.ndarray:
    """0/1 masks (n, 32, 32[, 1]) as (n, 32, 32, 1)."""
    array = as_array(what, got)
    if array.shape not in ((n, SIZE, SIZE, 1), (n, SIZE, SIZE)):
        raise Wrong(f"{what}: expected masks of shape {(n, SIZE, SIZE, 1)}, got {array.shape}")
    if not np.isin(array, (0.0, 1.0)).all():
        raise Wrong(f"{what}: expected 0/1 masks (threshold the probabilities)")
    return array.reshape(n, SIZE, SIZE, 1)


def _held_out_f2(inputs: dict, answers, what: str) -> tuple[float, dict]:
    """F2 of the handed-out masks on the grader's held-out tiles, after checking they come from the model."""
    truth = inputs["_held_out_masks"]
    masks = _masks_of(f"{what} on the grader's held-out tiles", answers["masks"], len(truth))
    perturbed = _masks_of(f"{what} with noisy weights", answers["perturbed"], len(truth))
    if np.array_equal(masks, perturbed):
        raise Wrong(f"{what} does not use the model: noise on its weights changed no pixel")
    parts = f2_parts(truth, masks)
    return parts["f2"], parts


# --- checks, one per test cell ------------------------------------------------------------------------------------


def test_soft_dice_loss(inputs, answers):
    expected = np.mean([1 - 7 / 10, 1 - 1 / 1, 1 - 1 / 3.25])
    close("soft_dice_loss(dice_y, dice_p)", as_array("soft_dice_loss", answers["loss"], ()), expected, rtol=1e-5)


def test_soft_dice_loss_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["dice_cases"]
    losses = answers["losses"]
    if not isinstance(losses, list) or len(losses) != len(cases["y"]):
        raise Wrong("soft_dice_loss did not give one loss per batch")
    for y, p, eps, got in zip(cases["y"], cases["p"], cases["eps"], losses, strict=True):
        close(f"soft_dice_loss on a batch of shape {y.shape}, eps={eps:.3g}", as_array("soft_dice_loss", got, ()),
              _soft_dice(y, p, eps), rtol=1e-5)
    close("soft_dice_loss of empty tiles predicted empty", as_array("soft_dice_loss", answers["empty"], ()), 0.0,
          atol=1e-7)


def test_airbus_f2(inputs, answers):
    close("airbus_f2(f2_true, f2_pred)", python_float(answers, "score"), (0.2 + 1.0 + 5 / 11 + 0.0) / 4, rtol=1e-9)


def test_airbus_f2_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["f2_cases"]
    scores = _floats(answers, "scores", "airbus_f2")
    expected = [airbus_f2(true, pred) for true, pred in zip(cases["true"], cases["pred"], strict=True)]
    close("airbus_f2 on the grader's masks", scores, expected, rtol=1e-9)


def test_diagnose_positive_gradient_share(inputs, answers):
    y = np.zeros((2, 3, 5, 1))
    y[0, 0, :2] = 1
    y[1, 2, 4] = 1
    p = np.asarray((0.1 + 0.8 * np.arange(30).reshape(2, 3, 5, 1) / 29).astype("float32"), float)
    close("positive_gradient_share(squared, share_y, share_p)", python_float(answers, "on_probability"),
          _share("squared", y, p, "probability"), rtol=1e-5)
    close("positive_gradient_share(squared, share_y, share_p, wrt='logit')", python_float(answers, "on_logit"),
          _share("squared", y, p, "logit"), rtol=1e-5)


def test_diagnose_positive_gradient_share_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["share_cases"]
    shares = _floats(answers, "shares", "positive_gradient_share")
    for case, got in zip(cases, shares, strict=True):
        close(f"positive_gradient_share with the grader's {case['loss']} loss, wrt={case['wrt']!r}", got,
              _share(case["loss"], case["y"], case["p"], case["wrt"]), rtol=1e-4)
    if answers["zero"] != "nan":  # the repr of the answer: a Python float NaN (NaN does not travel as JSON)
        raise Wrong("a loss whose gradient is zero everywhere should give nan")


def test_patient_diagnosis(inputs, answers):
    diagnoses = answers["diagnoses"]
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    right, wrong = 0, []
    for name, (fault, key, value, tolerance) in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == fault and type(given[1]) is float
        if ok and key == "threshold_logit":  # a threshold, compared on the logit scale of the grid
            ok = 0 < given[1] < 1 and abs(math.log(given[1] / (1 - given[1])) - value) <= tolerance
        elif ok:
            ok = abs(given[1] - value) <= tolerance  # a name with a value that does not prove it earns nothing
        right += ok
        wrong += [] if ok else [name]
    message = f"wrong: {', '.join(wrong)} (the fault, or the value measured that proves it)" if wrong else ""
    return 2 * right, message


def test_patient_treatment_threshold(inputs, answers):
    own_function(answers, "function")
    if answers["treated"] != TREATED:
        raise Wrong("that is not the patient whose fault a threshold treats")
    picks = _floats(answers, "picks", "pick_threshold") + _floats(answers, "case_picks", "pick_threshold")
    probabilities = answers["probabilities"] + [case["probabilities"] for case in inputs["pick_cases"]]
    masks = [tiles["masks"] for tiles in inputs["threshold_sets"] + inputs["pick_cases"]]
    for index, (m, pick, p) in enumerate(zip(masks, picks, probabilities, strict=True)):
        p = as_array("the treated patient's probabilities", p, m.shape)
        best = max(airbus_f2(m, (p > t).astype("float32")) for t in THRESHOLDS)
        if airbus_f2(m, (p > pick).astype("float32")) < best - 1e-9:
            raise Wrong(f"pick_threshold on the grader's tiles (set {index + 1}): another threshold of THRESHOLDS "
                        "gives a higher F2 on the tiles it was given")


def test_patient_treatment_held_out(inputs, answers):
    if answers["treated"] != TREATED:
        raise Wrong("that is not the patient whose fault a threshold treats")
    f2, parts = _held_out_f2(inputs, answers, "treated_masks")
    if not isinstance(answers["alone"], list) or len(answers["alone"]) != 20:
        raise Wrong("treated_masks did not give a mask for each tile given alone")
    alone = np.concatenate([_masks_of("treated_masks of one tile", mask, 1) for mask in answers["alone"]])
    moved = alone != _masks_of("treated_masks", answers["masks"], len(inputs["_held_out_masks"]))[:20]
    if moved.mean() > 1e-3:  # a pixel on the threshold may flip with the batch's size; a cut made on the batch moves
        raise Wrong("treated_masks gives a tile another mask when the other tiles of the batch change: a treatment "
                    "is a threshold of the patient's own, fixed before the tiles it is judged on")
    if f2 < BAR_TREATED:
        raise Wrong(f"the treated patient's held-out F2 is {f2:.3f}, below {BAR_TREATED}")
    return None, f"the treated patient's held-out F2 {f2:.3f} (needed {BAR_TREATED})"


def test_train_ship_model(inputs, answers):
    f2, parts = _held_out_f2(inputs, answers, "predict_masks")
    said = (f"held-out F2 {f2:.3f}: empty tiles {parts['empty_tile_f2']:.3f}, ship tiles {parts['ship_tile_f2']:.3f} "
            f"(needed {BAR})")
    if f2 < BAR:
        raise Wrong(said)
    return None, said
