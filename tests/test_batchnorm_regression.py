"""Unit tests for Case 3's package: density maps, scenes, scaling, metrics, baseline and models."""

import numpy as np
import pytest

from dlclinic.assertions import assert_array, assert_close
from dlclinic.batchnorm_regression.baseline import BlobCounter, find_blobs
from dlclinic.batchnorm_regression.density import density_map
from dlclinic.batchnorm_regression.diagnosis import trivial_losses
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.batchnorm_regression.models import OutputScale, build_density_net
from dlclinic.batchnorm_regression.scaling import TargetScaler
from dlclinic.batchnorm_regression.scenes import make_scenes
from dlclinic.metrics_json import read_metrics, write_metrics


class TestDensityMap:
    def test_one_point_sums_to_one_and_peaks_at_the_reference_value(self):
        m = density_map([[20, 15]], 30, 40, 4.0)
        assert m.shape == (30, 40)
        assert m.sum() == pytest.approx(1.0, abs=1e-3)  # a little mass spills past the border
        assert m.max() == pytest.approx(0.00995, abs=1e-5)  # REFERENCES.md: 1/(2πσ²) for σ = 4
        assert np.unravel_index(m.argmax(), m.shape) == (15, 20)

    def test_map_sums_to_the_count_and_empty_is_zero(self):
        assert density_map([[10, 10], [30, 20], [25, 35]], 48, 48, 2.0).sum() == pytest.approx(3.0, abs=1e-4)
        assert not density_map([], 5, 6, 1.0).any()

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (([[1, 2, 3]], 4, 4, 1.0), r"points must have shape \(any, 2\)"),
            (([[1, 2]], 0, 4, 1.0), "height must be a positive int"),
            (([[1, 2]], 4, 4, -1.0), "sigma must be a positive number"),
            (([[1, np.nan]], 4, 4, 1.0), "finite"),
        ],
    )
    def test_bad_input_is_named_in_the_error(self, args, message):
        with pytest.raises(ValueError, match=message):
            density_map(*args)


class TestScenes:
    def test_shapes_ranges_and_determinism(self):
        a, b = make_scenes(6, 32, seed=3), make_scenes(6, 32, seed=3)
        assert a.images.shape == a.maps.shape == (6, 32, 32, 1)
        assert 0 <= a.images.min() and a.images.max() <= 1
        np.testing.assert_array_equal(a.images, b.images)
        assert not np.array_equal(a.images, make_scenes(6, 32, seed=4).images)
        assert [len(p) for p in a.points] == list(a.counts)
        assert a.maps.max() < 0.05  # the reporter's regime: targets of order 1e-2 at most

    def test_rejects_tiny_images(self):
        with pytest.raises(ValueError, match="size must be at least 16"):
            make_scenes(2, 8)


class TestScalingAndMetrics:
    def test_scaler_uses_the_training_maximum(self):
        scaler = TargetScaler().fit([0.0, 0.002, 0.004])
        assert_close("transform", scaler.transform([0.008]), [2.0])
        assert_close("round trip", scaler.inverse_transform(scaler.transform([0.003])), [0.003])

    def test_scaler_errors(self):
        with pytest.raises(ValueError, match="not fitted"):
            TargetScaler().transform([1.0])
        with pytest.raises(ValueError, match="positive value"):
            TargetScaler().fit(np.zeros(3))

    def test_nmse_reference_values(self):
        y = np.array([0.0, 1.0, 2.0, 3.0])
        assert nmse(y, y) == 0
        assert nmse(y, np.full(4, 1.5)) == pytest.approx(1.0)
        assert nmse(y, [0, 1, 2, 2]) == pytest.approx(0.2)
        with pytest.raises(ValueError, match="same shape"):
            nmse(y, y[:3])
        with pytest.raises(ValueError, match="variance"):
            nmse(np.ones(4), np.ones(4))

    def test_count_mae_and_trivial_losses(self):
        maps = np.stack([density_map([[8, 8]], 16, 16, 2.0), density_map([], 16, 16, 2.0)])
        assert count_mae(maps, np.zeros_like(maps)) == pytest.approx(0.5, abs=1e-3)
        losses = trivial_losses(maps)
        assert losses["mse_zero"] >= losses["mse_mean"]
        with pytest.raises(ValueError, match="3-D or 4-D"):
            count_mae(maps[0], maps[0])


class TestBaselineAndModels:
    def test_blob_counter_finds_isolated_people(self):
        scenes = make_scenes(40, 48, seed=5)
        counter = BlobCounter(4.0).fit(scenes.images, scenes.maps)
        predicted = counter.predict(scenes.images)
        assert count_mae(scenes.maps, predicted) < count_mae(scenes.maps, np.zeros_like(predicted))
        assert find_blobs(np.zeros((20, 20)), 0.1).shape == (0, 2)

    def test_reporter_net_has_batchnorm_and_a_plain_output(self):
        from dlclinic.backend import keras

        bn = build_density_net(32, batchnorm=True)
        plain = build_density_net(32, batchnorm=False, output_scale=0.01)
        assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in bn.layers) == 4
        assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)
        assert isinstance(plain.layers[-1], OutputScale)
        assert bn.output_shape == (None, 32, 32, 1)
        with pytest.raises(ValueError, match="initial scale must be positive"):
            OutputScale(0.0)


def test_metrics_file_round_trip_rejects_nan(tmp_path):
    path = write_metrics(tmp_path / "a" / "m.json", {"x": {"nmse": 0.5}, "quick": True})
    assert read_metrics(path) == {"x": {"nmse": 0.5}, "quick": True}
    with pytest.raises(ValueError, match=r"metrics\['x'\] must be a finite number"):
        write_metrics(tmp_path / "n.json", {"x": float("nan")})


def test_assert_array_messages_say_what_was_expected():
    with pytest.raises(AssertionError, match="should return a NumPy array; got list"):
        assert_array("f()", [1, 2])
    with pytest.raises(AssertionError, match=r"should have shape \(2, 3\); got \(3, 2\)"):
        assert_array("f()", np.zeros((3, 2)), shape=(2, 3))


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("03-batchnorm-regression")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "03-batchnorm-regression.json")
    for name in ["reporter_bn", "no_bn", "bn_scaled", "bn_output_scale", "mean_map", "baseline"]:
        assert set(metrics[name]) >= {"nmse", "count_mae"}, name
    assert metrics["reporter_bn"]["nmse"] > metrics["mean_map"]["nmse"], "the symptom: worse than the mean map"
    assert metrics["bn_scaled"]["nmse"] < metrics["reporter_bn"]["nmse"]
    assert metrics["bn_scaled"]["nmse"] < metrics["mean_map"]["nmse"]
    assert metrics["bn_scaled"]["count_mae"] < metrics["reporter_bn"]["count_mae"]


def test_training_is_deterministic_for_a_seed():
    from dlclinic.batchnorm_regression.experiment import train_variant

    scenes = make_scenes(64, 32, seed=1)
    first, second = (train_variant("bn_scaled", scenes, scenes, scenes, epochs=1, seed=7) for _ in range(2))
    np.testing.assert_array_equal(first.predictions, second.predictions)
    assert first.val_nmse == second.val_nmse
