"""Unit tests for Case 3's package: density maps, scenes, scaling, metrics, baseline and models."""

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record, flat_keys

from dlclinic.assertions import assert_array, assert_close
from dlclinic.batchnorm_regression.baselines import BlobCounter, find_blobs
from dlclinic.batchnorm_regression.data import make_scenes
from dlclinic.batchnorm_regression.density import density_map
from dlclinic.batchnorm_regression.diagnosis import output_scale_ratio, trivial_losses
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.batchnorm_regression.models import OutputScale, build_density_net
from dlclinic.batchnorm_regression.plots import smooth
from dlclinic.batchnorm_regression.treatments import MaxScaler, TargetScaler
from dlclinic.compare import compare
from dlclinic.metrics_json import read_metrics, write_metrics

SLUG = "03-batchnorm-regression"
# keys the notebook writes in both modes (issue 13), checked in the quick run and in the committed full record
REQUIRED = [
    "reporter_bn.nmse", "reporter_bn.count_mae", "no_bn.nmse", "mean_map.nmse", "baseline.nmse",
    "bn_standardised.nmse", "bn_standardised.count_mae", "bn_max_scaled.nmse", "bn_max_scaled.count_mae",
    "no_last_bn.nmse", "lr_sweep.bn.1e-05", "lr_sweep.bn.0.0001", "lr_sweep.bn.0.001", "lr_sweep.no_bn.1e-05",
    "lr_sweep.no_bn.0.0001", "lr_sweep.no_bn.0.001", "headline.fix_vs_reporter", "diagnosis.reporter_page_nmse",
]


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
    def test_scaler_standardises_with_the_training_mean_and_population_std(self):
        train = np.array([[0.0, 0.002], [0.004, 0.006]])
        scaler = TargetScaler()
        assert scaler.fit(train) is scaler
        assert scaler.mean_ == pytest.approx(0.003) and scaler.std_ == pytest.approx(np.std(train))  # ddof = 0
        assert_close("transform", scaler.transform([0.003, 0.003 + np.std(train)]), [0.0, 1.0])
        assert_close("round trip", scaler.inverse_transform(scaler.transform([0.01, -0.2])), [0.01, -0.2])
        assert scaler.transform(train).std() == pytest.approx(1.0)

    def test_scaler_errors(self):
        with pytest.raises(ValueError, match="not fitted"):
            TargetScaler().transform([1.0])
        with pytest.raises(ValueError, match="not fitted"):
            TargetScaler().inverse_transform([1.0])
        for constant in (np.zeros(3), np.full(4, 0.3), np.array([1.0, 1.0 + 1e-15])):
            with pytest.raises(ValueError, match="constant"):
                TargetScaler().fit(constant)

    def test_max_scaler_is_the_threads_answer_and_leaves_a_small_spread(self):
        scaler = MaxScaler().fit([0.0, 0.002, 0.004])
        assert_close("transform", scaler.transform([0.008]), [2.0])
        maps = make_scenes(20, 32, seed=2).maps
        assert MaxScaler().fit(maps).transform(maps).std() < 0.2  # far below the unit scale standardising gives
        with pytest.raises(ValueError, match="positive value"):
            MaxScaler().fit(np.zeros(3))

    def test_output_scale_ratio_measures_the_gap_in_inference_mode(self):
        from dlclinic.backend import keras

        x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
        model.layers[0].set_weights([np.array([[2.0], [0.0], [0.0]])])
        y = 0.01 * x[:, :1]
        assert output_scale_ratio(model, x, y) == pytest.approx(200.0, rel=1e-4)
        assert type(output_scale_ratio(model, x, y)) is float
        with pytest.raises(ValueError, match="constant"):
            output_scale_ratio(model, x, np.ones((40, 1)))

    def test_smooth_is_a_running_mean(self):
        assert_close("smooth", smooth([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])

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

    def test_variants_change_one_thing(self):
        from dlclinic.backend import keras

        def norms(model):
            return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]

        assert len(norms(build_density_net(24, bn_last=False))) == 3
        assert all(not layer.scale for layer in norms(build_density_net(24, bn_scale=False)))
        assert all(layer.momentum == 0.99 for layer in norms(build_density_net(24, bn_momentum=0.99)))
        kernel, bias = build_density_net(24, output_init=(0.004, 0.0)).layers[-1].get_weights()
        assert not kernel.any() and bias[0] == pytest.approx(0.004)
        x = make_scenes(8, 24, seed=1).images
        at_scale = build_density_net(24, output_init=(0.0, 0.01))
        assert 0.002 < float(np.std(at_scale(x, training=True))) < 0.05
        with pytest.raises(ValueError, match="output_init"):
            build_density_net(24, output_init=(0.0, -1.0))

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
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    assert set(REQUIRED) <= flat_keys(metrics)
    for name in ["reporter_bn", "bn_max_scaled", "bn_standardised", "bn_output_scale", "mean_map", "baseline"]:
        assert set(metrics[name]) >= {"nmse", "count_mae"}, name
    assert metrics["diagnosis"]["reporter_page_nmse"] > 1, "quick mode shows the first phase: worse than the mean"
    fix = metrics["bn_standardised"]["nmse"]
    assert compare(fix, metrics["reporter_bn"]["nmse"], lower_is_better=True).verb == "beats"
    assert compare(fix, metrics["mean_map"]["nmse"], lower_is_better=True).verb == "beats"
    assert_same_keys_as_full_record(metrics, SLUG)


def test_committed_full_record_has_the_issue_keys():
    full = committed_full_record(SLUG)
    assert set(REQUIRED) <= flat_keys(full)
    assert full["settings"]["quick"] is False and full["settings"]["seeds"] == 3
    assert compare(full["bn_standardised"]["nmse"], full["reporter_bn"]["nmse"], lower_is_better=True).verb == "beats"
    assert compare(full["bn_standardised"]["nmse"], full["mean_map"]["nmse"], lower_is_better=True).verb == "beats"


def test_training_is_deterministic_and_the_sweep_picks_on_validation():
    from dlclinic.batchnorm_regression.experiment import sweep_variant, train_variant

    scenes = make_scenes(48, 24, seed=1)
    first, second = (train_variant("bn_standardised", scenes, scenes, scenes, 1, 7, batch_size=16) for _ in range(2))
    np.testing.assert_array_equal(first.predictions, second.predictions)
    assert first.val_nmse == second.val_nmse
    treated = sweep_variant("reporter_bn", (scenes, scenes, scenes), 1, 16, [1e-4, 1e-3], [0, 1], track_rate=1e-3)
    finals = {rate: run.val_nmse[-1] for rate, run in treated.by_rate.items()}
    assert treated.best_rate == min(finals, key=finals.get)
    assert [run.seed for run in treated.seed_runs] == [0, 1]
    tracker = treated.by_rate[1e-3].tracker
    assert len(tracker.update_ratio) == 3 and tracker.grad_steps == [1] and tracker.grad_norm[0] > 0
    with pytest.raises(ValueError, match="name must be one of"):
        train_variant("bn_scaled", scenes, scenes, scenes, 1, 0)


def test_a_shared_net_trains_exactly_like_a_net_of_its_own():
    from dlclinic.batchnorm_regression.experiment import train_variant

    scenes = make_scenes(32, 24, seed=2)
    args = (scenes, scenes, scenes, 1, 3)
    first = train_variant("bn_output_bias", *args, 1e-4, 16, shared=True)  # compiles the BN net: later runs reuse it
    kept = first.model.get_weights()
    shared = train_variant("bn_standardised", *args, 1e-3, 16, track=True, shared=True)
    own = train_variant("bn_standardised", *args, 1e-3, 16, track=True)
    np.testing.assert_array_equal(shared.predictions, own.predictions)
    assert shared.val_nmse == own.val_nmse and shared.tracker.update_ratio == own.tracker.update_ratio
    for before, after in zip(kept, first.model.get_weights(), strict=True):  # each run keeps its own weights
        np.testing.assert_array_equal(before, after)
