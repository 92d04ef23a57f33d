"""Measure Assignment 2's training bar: the solution over seeds 0-2 against every learning-free predictor.

Run from this folder (``python instructor_bar.py``); never released (``nbgrader_config.py`` ignores
``instructor_*``). The solution's ``train_pose_model`` is read from the notebook's solution cells, and the held-out
figures are the grader's own, drawn by ``checks.inputs`` from three seeds. The learning-free predictors are the
chapter's: the training set's mean pose (fixed), every joint at the image centre, and the mean pose moved onto each
figure's brightest pixels (``MeanPoseBaseline``), each fitted on the learner's ``task_train``. The bar in
``checks.py`` must sit above the strongest of them by at least a third of the gap to the solution's worst seed,
and below that seed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import numpy as np

from dlclinic.pose_heatmaps.baselines import MeanPoseBaseline, constant_pose, image_centre
from dlclinic.pose_heatmaps.data import make_poses
from dlclinic.pose_heatmaps.metrics import pck

HERE = Path(__file__).resolve().parent
SOLUTION_CELLS = ("setup", "gaussian_heatmaps", "decode_keypoints", "pck", "train_pose_model")


def solution_namespace() -> dict:
    """The notebook's setup and the solution's functions (the training cell's function, not its call)."""
    notebook = nbformat.read(HERE / "02-pose-heatmaps.ipynb", as_version=4)
    namespace: dict = {}
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in SOLUTION_CELLS:
            exec(cell.source.split("\n\n\nmodel, predict =")[0], namespace)  # noqa: S102 - the instructor's own notebook
    return namespace


def load_checks():
    spec = importlib.util.spec_from_file_location("checks", HERE / "checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    checks, solution = load_checks(), solution_namespace()
    train = make_poses(512, size=32, seed=20)
    draws = [checks.inputs(np.random.default_rng(seed)) for seed in (0, 1, 2)]
    scores: dict[str, list[float]] = {}

    def score(name: str, keypoints: np.ndarray, draw: dict) -> None:
        scores.setdefault(name, []).append(pck(keypoints, draw["_held_out_keypoints"], 0.2, draw["_held_out_torso"]))

    mean_pose = MeanPoseBaseline().fit(train.images, train.keypoints)
    for draw in draws:
        n, joints = draw["_held_out_keypoints"].shape[:2]
        score("the mean pose, fixed", constant_pose(train.keypoints, n), draw)
        score("the image centre", image_centre(n, joints, 32, 32), draw)
        score("the mean pose on each figure", mean_pose.predict(draw["held_out_images"]), draw)
    for seed in (0, 1, 2):
        _, predict = solution["train_pose_model"](train.images, train.keypoints, seed=seed)
        for draw in draws:
            score(f"the solution, seed {seed}", predict(draw["held_out_images"]), draw)
    for name, values in scores.items():
        print(f"{name}: held-out PCK@0.2 {', '.join(f'{v:.3f}' for v in values)}")
    strongest = max(max(v) for k, v in scores.items() if not k.startswith("the solution"))
    worst = min(min(v) for k, v in scores.items() if k.startswith("the solution"))
    print(f"strongest learning-free {strongest:.3f}; solution's worst {worst:.3f}; the bar must lie in "
          f"[{strongest + (worst - strongest) / 3:.3f}, {worst:.3f}]; checks.BAR = {checks.BAR}")


if __name__ == "__main__":
    main()
