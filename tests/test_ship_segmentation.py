"""Unit tests for Case 6's package: tiles, the reporter's losses and the treatments, metrics, baseline, models,
diagnosis and training."""

import numpy as np
import pytest
from full_record_keys import assert_keys_within_full_record, committed_full_record

from dlclinic.backend import keras, tf
from dlclinic.ship_segmentation import losses
from dlclinic.ship_segmentation.baselines import ThresholdDetector, size_filter
from dlclinic.ship_segmentation.data import make_tiles
from dlclinic.ship_segmentation.diagnosis import (
    fit_outcome,
    pixel_gradients,
    positive_gradient_share,
    predicted_positive_rate,
)
from dlclinic.ship_segmentation.metrics import THRESHOLDS, airbus_f2, dice_per_image, empty_fpr, image_f2, pixel_pr_auc
from dlclinic.ship_segmentation.models import build_unet

SLUG = "06-ship-segmentation"


def square(h: int, w: int, boxes) -> np.ndarray:
    """An (h, w) 0/1 mask with the given (row0, row1, col0, col1) boxes set."""
    mask = np.zeros((h, w), dtype="float32")
    for r0, r1, c0, c1 in boxes:
        mask[r0:r1, c0:c1] = 1
    return mask


class TestTiles:
    def test_seeded_shapes_and_empty_share(self):
        tiles = make_tiles(200, 32, seed=4)
        again = make_tiles(200, 32, seed=4)
        assert tiles.images.shape == (200, 32, 32, 3) and tiles.masks.shape == (200, 32, 32, 1)
        np.testing.assert_array_equal(tiles.images, again.images)
        assert 0 <= tiles.images.min() and tiles.images.max() <= 1
        assert set(np.unique(tiles.masks)) <= {0.0, 1.0}
        assert 0.68 < 1 - tiles.has_ship.mean() < 0.88  # about 78% of tiles without a ship
        assert tiles.masks.mean() < 0.02  # ship pixels are rare
        assert (tiles.ships[tiles.has_ship] >= 1).all() and len(tiles.subset(tiles.has_ship)) == tiles.has_ship.sum()

    @pytest.mark.parametrize(("kwargs", "message"), [({"n": 0}, "n must be a positive int"),
                                                     ({"n": 3, "size": 8}, "size must be at least"),
                                                     ({"n": 3, "empty_share": 1.0}, "empty_share"),
                                                     ({"n": 3, "size": 32, "ship_scale": 2.0}, "ship_scale")])
    def test_bad_input(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            make_tiles(**kwargs)


    def test_ship_scale_keeps_ship_sizes_on_a_smaller_tile(self):
        scaled, kept = make_tiles(60, 32, seed=5), make_tiles(60, 32, seed=5, ship_scale=1.0)
        big = make_tiles(60, 48, seed=5)
        pixels_per_ship = [t.masks.sum() / t.ships.sum() for t in (scaled, kept, big)]
        assert pixels_per_ship[0] < 0.7 * pixels_per_ship[1] and 0.7 < pixels_per_ship[1] / pixels_per_ship[2] < 1.4


class TestReporterLosses:
    def setup_method(self):
        self.y = square(6, 10, [(1, 3, 2, 7)])[None, ..., None]
        self.p = np.full_like(self.y, 0.3)

    def test_biased_bce_weights_the_background(self):
        assert positive_gradient_share(losses.reporter_biased_loss, self.y, self.p) < 0.01
        assert positive_gradient_share(losses.weighted_bce(1000.0), self.y, self.p) > 0.99

    def test_iou_loss_is_per_pixel_and_gives_background_no_gradient(self):
        loss = np.asarray(losses.reporter_iou_loss(tf.constant(self.y), tf.constant(self.p)))
        assert loss.shape == (1, 6, 10)  # one value per pixel: the sum ran over the channel only
        grad = pixel_gradients(losses.reporter_iou_loss, self.y, self.p)
        assert np.all(grad[self.y == 0] == 0) and np.all(grad[self.y == 1] < 0)
        assert positive_gradient_share(losses.reporter_iou_loss, self.y, self.p) == 1.0

    def test_focal8_flattens_the_gradient(self):
        bce = np.abs(pixel_gradients(losses.bce_loss, self.y, self.p)).sum()
        focal = np.abs(pixel_gradients(losses.reporter_focal8_loss, self.y, self.p)).sum()
        assert focal < 0.15 * bce  # at p = 0.3 every pixel keeps under a tenth of its BCE gradient


class TestTreatments:
    def test_soft_dice_per_image_vs_batch(self):
        y = np.stack([square(4, 5, [(0, 2, 0, 2)]), np.zeros((4, 5), "float32")])[..., None]
        p = np.stack([y[0, ..., 0], np.full((4, 5), 0.1, "float32")])[..., None]
        per_image = float(losses.soft_dice_loss(tf.constant(y), tf.constant(p)))
        first = 1 - (2 * 4 + 1) / (4 + 4 + 1)
        second = 1 - 1 / (0 + 2.0 + 1)
        assert per_image == pytest.approx((first + second) / 2, rel=1e-5)
        batch = float(losses.batch_dice_loss(tf.constant(y), tf.constant(p)))
        assert batch == pytest.approx(1 - (2 * 4 + 1) / (4 + 6.0 + 1), rel=1e-5)

    @pytest.mark.parametrize("loss", [losses.bce_dice_loss, losses.focal_loss(), losses.tversky_loss(),
                                      losses.hard_negative_bce(), losses.bce_batch_dice_loss])
    def test_treatments_put_more_gradient_on_ships_than_plain_bce(self, loss):
        y = square(8, 12, [(2, 4, 3, 9)])[None, ..., None]
        p = (0.15 + 0.1 * np.random.default_rng(0).random(y.shape)).astype("float32")  # no ties among negatives
        assert positive_gradient_share(loss, y, p) > positive_gradient_share(losses.bce_loss, y, p)

    def test_hard_negative_mining_keeps_the_hardest_background(self):
        y = square(4, 6, [(0, 1, 0, 1)])[None, ..., None]
        p = np.full_like(y, 0.1)
        p[0, 3, 5, 0], p[0, 2, 4, 0], p[0, 1, 3, 0], p[0, 0, 2, 0] = 0.9, 0.8, 0.7, 0.6
        grad = pixel_gradients(losses.hard_negative_bce(ratio=3.0, min_negatives=1), y, p)
        kept = np.flatnonzero(grad[0, ..., 0].ravel())
        assert set(kept) == {0, 3 * 6 + 5, 2 * 6 + 4, 1 * 6 + 3}  # the ship pixel and the 3 hardest negatives

    @pytest.mark.parametrize("factory", [lambda: losses.weighted_bce(0.0), lambda: losses.focal_loss(alpha=1.5),
                                         lambda: losses.tversky_loss(0, 0), lambda: losses.hard_negative_bce(0)])
    def test_bad_parameters(self, factory):
        with pytest.raises(ValueError):
            factory()


class TestMetrics:
    def test_thresholds_are_exact(self):
        assert list(THRESHOLDS) == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]

    def test_image_f2_cases(self):
        empty = np.zeros((6, 9))
        ship = square(6, 9, [(1, 3, 1, 5)])
        assert image_f2(empty, empty) == 1.0
        assert image_f2(ship, empty) == 0.0 and image_f2(empty, ship) == 0.0
        assert image_f2(ship, ship) == 1.0
        half = square(6, 9, [(1, 3, 1, 3)])  # IoU 0.5: not a match at any threshold (strictly greater)
        assert image_f2(ship, half) == 0.0
        three_quarters = square(6, 9, [(1, 3, 1, 4)])  # IoU 0.75: matches for t = 0.5 .. 0.70
        f2 = (5 * 1.0 + 0 * 5) / 10  # 5 thresholds with F2 = 1, five with F2 = 0
        assert image_f2(ship, three_quarters) == pytest.approx(f2)
        extra = square(6, 9, [(1, 3, 1, 5), (5, 6, 7, 9)])  # one TP and one FP: F2 = 5 / 6
        assert image_f2(ship, extra) == pytest.approx(5 / 6)

    def test_airbus_f2_averages_images(self):
        a = square(5, 7, [(0, 2, 0, 3)])
        true = np.stack([a, np.zeros((5, 7)), a])
        pred = np.stack([a, np.zeros((5, 7)), np.zeros((5, 7))])
        assert airbus_f2(true, pred) == pytest.approx(2 / 3)
        assert type(airbus_f2(true, pred)) is float
        assert airbus_f2(true[..., None], pred[..., None]) == pytest.approx(2 / 3)

    def test_other_metrics(self):
        a = square(5, 7, [(0, 2, 0, 3)])
        b = square(5, 7, [(0, 2, 0, 2)])
        true = np.stack([a, np.zeros((5, 7)), np.zeros((5, 7))])
        pred = np.stack([b, np.zeros((5, 7)), b])
        assert dice_per_image(true, pred) == pytest.approx((2 * 4 / 10 + 1 + 0) / 3)
        assert empty_fpr(true, pred) == 0.5
        prob = true * 0.9 + 0.05
        assert pixel_pr_auc(true, prob) == pytest.approx(1.0)

    def test_bad_masks(self):
        with pytest.raises(ValueError, match="only 0 and 1"):
            airbus_f2(np.zeros((2, 3, 3)), np.full((2, 3, 3), 0.5))
        with pytest.raises(ValueError, match="same shape"):
            airbus_f2(np.zeros((2, 3, 3)), np.zeros((2, 3, 4)))
        with pytest.raises(ValueError, match="empty image"):
            empty_fpr(np.ones((2, 3, 3)), np.ones((2, 3, 3)))


class TestDiagnosis:
    def test_share_is_nan_without_gradient(self):
        y = np.zeros((1, 3, 4, 1), "float32")
        assert np.isnan(positive_gradient_share(lambda t, p: tf.reduce_sum(t), y, y + 0.5))

    def test_predicted_positive_rate(self):
        assert predicted_positive_rate(np.array([[0.2, 0.6], [0.7, 0.1]])) == 0.5
        with pytest.raises(ValueError, match="threshold"):
            predicted_positive_rate(np.zeros(3), 1.0)

    def test_class_weight_refuses_masks(self):
        model = build_unet(8, 3, filters=2, depth=1)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
        y = np.zeros((2, 8, 8, 1), "float32")
        assert fit_outcome(model, x, y, class_weight={0: 1.0, 1: 50.0}) != "accepted"
        assert fit_outcome(model, x, y, sample_weight=1 + 49 * y[..., 0]) == "accepted"


class TestBaselineAndModel:
    def test_size_filter(self):
        mask = square(8, 8, [(0, 1, 0, 1), (3, 6, 3, 6)]).astype(bool)
        assert size_filter(mask, 2, 20).sum() == 9

    def test_detector_fits_and_predicts(self):
        tiles = make_tiles(30, 32, seed=2, empty_share=0.5)
        detector = ThresholdDetector(thresholds=[0.1, 0.2], min_sizes=(4,), max_sizes=(60,)).fit(tiles.images,
                                                                                                  tiles.masks)
        assert detector.predict(tiles.images).shape == tiles.masks.shape
        with pytest.raises(ValueError, match="not fitted"):
            ThresholdDetector().predict(tiles.images)

    def test_unet_shape_and_prior_bias(self):
        model = build_unet(16, 3, filters=2, depth=2, output_bias=-4.0)
        out = np.asarray(model(np.zeros((1, 16, 16, 3), "float32")))
        assert out.shape == (1, 16, 16, 1)
        assert out.mean() == pytest.approx(1 / (1 + np.exp(4.0)), rel=1e-3)
        with pytest.raises(ValueError, match="divisible"):
            build_unet(18, depth=2)


def test_the_fast_f2_is_the_per_image_definition_and_splits_into_its_parts():
    from dlclinic.ship_segmentation.metrics import f2_parts, image_scores

    tiles = make_tiles(120, 32, seed=7)
    rng = np.random.default_rng(0)
    for noise in (0.3, 0.8):
        probabilities = np.clip(tiles.masks * 0.7 + rng.random(tiles.masks.shape) * noise, 0, 1)
        for threshold in (0.5, 0.8, 0.95):
            predicted = (probabilities > threshold).astype("float32")
            expected = [image_f2(t[..., 0] > 0, q[..., 0] > 0) for t, q in zip(tiles.masks, predicted, strict=True)]
            np.testing.assert_allclose(image_scores(tiles.masks, predicted), expected, rtol=1e-12)
            parts = f2_parts(tiles.masks, predicted)
            assert parts["f2"] == pytest.approx(parts["empty_share"] * parts["empty_tile_f2"]
                                                + (1 - parts["empty_share"]) * parts["ship_tile_f2"])
            assert 1 - parts["empty_tile_f2"] == pytest.approx(empty_fpr(tiles.masks, predicted))


def test_a_setup_trains_to_a_fit_the_runner_can_judge():
    from dlclinic.differential import Fit
    from dlclinic.ship_segmentation.experiment import THRESHOLDS as GRID
    from dlclinic.ship_segmentation.experiment import Setup, train_setup
    from dlclinic.ship_segmentation.losses import bce_dice_loss

    data = (make_tiles(24, 24, seed=1), make_tiles(12, 24, seed=2), make_tiles(12, 24, seed=3))
    setup = Setup(bce_dice_loss, tiles="all", prior_bias=True)
    a = train_setup(setup, data, 4, 1e-3, seed=0, batch_size=4, filters=2, evaluations=2, probe_every=2)
    b = train_setup(setup, data, 4, 1e-3, seed=0, batch_size=4, filters=2, evaluations=2, probe_every=2)
    assert isinstance(a, Fit) and a.steps == [2, 4] and len(a.validation) == 2
    np.testing.assert_array_equal(a.detail.test_prob, b.detail.test_prob)  # seeded and deterministic
    assert set(a.test) == {"test F2", "empty_fpr", "ship_tile_f2", "f2_at_half", "dice", "pr_auc", "threshold"}
    assert a.test["threshold"] in GRID and a.detail.rate_steps == [1, 2, 4] and len(a.detail.loss) == 4
    short = train_setup(Setup(bce_dice_loss, exposure=0.5), data, 4, 1e-3, seed=0, batch_size=4, filters=2,
                        evaluations=2)
    assert len(short.detail.loss) == 2 and short.steps == [1, 2]
    with pytest.raises(ValueError, match="tiles must be"):
        Setup(bce_dice_loss, tiles="some")
    with pytest.raises(ValueError, match="exposure"):
        Setup(bce_dice_loss, exposure=0.0)


def test_the_two_stage_gate_empties_the_tiles_it_calls_empty():
    from dlclinic.ship_segmentation.experiment import Setup, train_setup
    from dlclinic.ship_segmentation.gate import gated, train_two_stage
    from dlclinic.ship_segmentation.losses import bce_dice_loss

    probabilities = np.ones((3, 4, 4, 1), "float32")
    np.testing.assert_array_equal(gated(probabilities, np.array([0.9, 0.1, 0.6]), 0.5).max(axis=(1, 2, 3)), [1, 0, 1])
    data = (make_tiles(24, 24, seed=1), make_tiles(12, 24, seed=2), make_tiles(12, 24, seed=3))
    segmenter = train_setup(Setup(bce_dice_loss, prior_bias=True), data, 2, 1e-3, 0, 4, filters=2,
                            evaluations=1).detail
    fit = train_two_stage(segmenter, data, 4, 1e-3, seed=0, batch_size=4, filters=2, evaluations=2)
    assert fit.steps == [2, 4] and 0 < fit.test["gate_threshold"] < 1 and "test F2" in fit.test


def test_the_detector_says_whether_its_picks_are_inside_their_grids():
    tiles = make_tiles(30, 32, seed=2, empty_share=0.5)
    detector = ThresholdDetector(thresholds=[0.05, 0.1, 0.2], min_sizes=(1, 4, 8), max_sizes=(60,)).fit(
        tiles.images, tiles.masks)
    assert set(detector.interior_) == {"threshold", "min_size", "max_size"}
    assert detector.interior_["max_size"]  # a one-value grid has nothing to bracket
    assert all(type(v) is bool for v in detector.interior_.values())


def test_the_logit_share_weights_each_pixel_by_p_times_one_minus_p():
    y = np.zeros((1, 2, 2, 1), "float32")
    y[0, 0, 0] = 1
    p = np.array([0.5, 0.9, 0.1, 0.5], "float32").reshape(1, 2, 2, 1)
    grad = np.abs(pixel_gradients(losses.bce_loss, y, p)).ravel()
    weighted = grad * p.ravel() * (1 - p.ravel())
    assert positive_gradient_share(losses.bce_loss, y, p, wrt="logit") == pytest.approx(weighted[0] / weighted.sum())
    with pytest.raises(ValueError, match="wrt"):
        positive_gradient_share(losses.bce_loss, y, p, wrt="z")


def test_the_pages_losses_are_the_packages():
    import json
    from pathlib import Path

    notebook = json.loads((Path(__file__).parents[1] / "book" / "cases" / f"{SLUG}.ipynb").read_text())
    source = next("".join(c["source"]) for c in notebook["cells"] if "def biased_loss" in "".join(c["source"]))
    page = {"keras": keras}
    exec(source.split("ships_only = ")[0], page)  # the three losses as the page writes them
    rng = np.random.default_rng(3)
    y = (rng.random((2, 8, 8, 1)) > 0.9).astype("float32")
    p = rng.uniform(0.01, 0.99, size=(2, 8, 8, 1)).astype("float32")
    for name, package in (("biased_loss", losses.reporter_biased_loss), ("iou_loss", losses.reporter_iou_loss),
                          ("focal8_loss", losses.reporter_focal8_loss)):
        np.testing.assert_allclose(np.asarray(page[name](y, p)), np.asarray(package(y, p)), rtol=1e-6)


ROW_KEYS = ("value", "spread", "seeds", "learning_rate", "grid", "edge", "converged", "degenerate", "verdict")


@pytest.mark.slow
def test_quick_run_shows_the_collapse_and_the_diagnosis(quick_run):
    from dlclinic.metrics_json import read_metrics

    build, done = quick_run(SLUG)
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    assert {"reporter_biased", "recipe", "recipe_ships_only", "equal_exposure", "two_stage", "detector",
            "predict_nothing"} <= set(rows)
    for row in rows.values():
        assert set(ROW_KEYS) <= set(row) and {"empty_fpr", "ship_tile_f2"} <= set(row["others"])
    assert metrics["collapse"]["reporter_biased"]["rates"][-1] == 0, "the biased BCE ends with all-zero masks"
    share = metrics["gradient_share"]
    assert share["reporter_biased"]["untrained_probability"] < 0.01 < share["bce"]["untrained_probability"]
    assert share["bce"]["untrained_probability"] < share["weighted_bce"]["untrained_probability"]
    assert share["reporter_iou"]["untrained_probability"] == 1.0
    assert rows["predict_nothing"]["value"] == pytest.approx(rows["reporter_biased"]["value"])
    assert {"two_stage_gate", "equal_exposure", "evidence", "threshold_shift"} <= set(metrics)
    assert_keys_within_full_record(metrics, SLUG)


def test_committed_full_record_is_the_evidence():
    full = committed_full_record(SLUG)
    rows = {row["name"]: row for row in full["differential"]["rows"]}
    assert full["settings"]["quick"] is False  # its budget is the benchmark's to check (make benchmark)
    for row in rows.values():
        assert set(ROW_KEYS) <= set(row) and {"empty_fpr", "ship_tile_f2"} <= set(row["others"])
        if row["kind"] == "trained":
            assert row["seeds"] >= 3, row["name"]
            assert not row["edge"], f"{row['name']}: its rate pick sits at the bound"
    for name in ("reporter_biased", "recipe", full["best_on_validation"]):
        assert rows[name]["seeds"] >= 5, name
    assert {"two_stage_gate", "equal_exposure"} <= set(full)
