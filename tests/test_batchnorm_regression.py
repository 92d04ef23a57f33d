"""Unit tests for Case 3's package: density maps, scenes, scaling, metrics, baseline and models."""

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record, flat_keys

from dlclinic.assertions import assert_array, assert_close
from dlclinic.batchnorm_regression.baselines import BlobCounter, find_blobs
from dlclinic.batchnorm_regression.data import make_scenes
from dlclinic.batchnorm_regression.density import density_map
from dlclinic.batchnorm_regression.diagnosis import (
    batch_to_moving_ratio,
    decompose,
    last_batchnorm,
    output_features,
    output_scale_ratio,
    scale_decomposition,
    trivial_losses,
)
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.batchnorm_regression.models import build_density_net, same_net
from dlclinic.batchnorm_regression.treatments import MaxScaler, SpreadScaler, TargetScaler
from dlclinic.differential import Differential
from dlclinic.metrics_json import read_metrics, write_metrics

SLUG = "03-batchnorm-regression"
ROWS = ["reporter_bn", "no_bn", "no_last_bn", "contrib_defaults", "stale_moving_stats", "sgd_momentum",
        "bn_output_init", "bn_max_scaled", "bn_standardised", "std_only", "no_bn_standardised"]
CURVE_KEYS = ["steps", "nmse", "output_scale_ratio", "kernel_norm", "gamma", "beta", "alignment"]
# keys the notebook writes in both modes (issues 13 and 30), checked in the quick run and in the committed record
REQUIRED = [f"{row}.{key}" for row in ROWS for key in ("nmse", "count_mae", "learning_rate", "verdict")] + [
    "mean_map.nmse", "baseline.nmse", "baseline.count_mae", "evidence.fix.value", "evidence.strongest_baseline.value",
    "diagnosis.reporter_page_nmse", "page.reporter_nmse",
] + [f"mechanism_curves.{row}.{key}" for row in ("reporter_bn", "no_bn", "no_last_bn", "bn_standardised")
     for key in CURVE_KEYS]


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

    def test_spread_scaler_divides_without_centring(self):
        train = np.array([0.0, 0.002, 0.004])
        scaler = SpreadScaler().fit(train)
        assert_close("transform", scaler.transform(train), train / np.std(train))
        assert scaler.transform(train).min() == 0 and scaler.transform(train).std() == pytest.approx(1.0)
        assert_close("round trip", scaler.inverse_transform(scaler.transform([0.01])), [0.01])
        with pytest.raises(ValueError, match="not fitted"):
            SpreadScaler().transform([1.0])
        with pytest.raises(ValueError, match="constant"):
            SpreadScaler().fit(np.full(3, 0.2))

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

    def test_knobs_change_one_thing(self):
        from dlclinic.backend import keras

        def norms(model):
            return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]

        reporter = build_density_net(24)
        assert len(norms(reporter)) == 4 and all(n.momentum == 0.99 and n.scale for n in norms(reporter))
        assert reporter.output_shape == (None, 24, 24, 1) and isinstance(reporter.optimizer, keras.optimizers.Adam)
        assert len(norms(build_density_net(24, bn_last=False))) == 3
        assert not norms(build_density_net(24, batchnorm=False))
        contrib = norms(build_density_net(24, bn_scale=False, bn_momentum=0.999))
        assert all(not n.scale and n.momentum == 0.999 for n in contrib)
        sgd = build_density_net(24, optimizer="sgd", learning_rate=0.01).optimizer
        assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9
        kernel, bias = build_density_net(24, output_init=(0.004, 0.0)).layers[-1].get_weights()
        assert not kernel.any() and bias[0] == pytest.approx(0.004)
        x = make_scenes(8, 24, seed=1).images
        at_scale = build_density_net(24, output_init=(0.0, 0.01))
        assert 0.002 < float(np.std(at_scale(x, training=True))) < 0.05

    @pytest.mark.parametrize(("knobs", "message"), [({"output_init": (0.0, -1.0)}, "output_init"),
                                                    ({"bn_momentum": 1.5}, "bn_momentum"),
                                                    ({"optimizer": "rmsprop"}, "optimizer must be one of")])
    def test_bad_knobs_are_named(self, knobs, message):
        with pytest.raises(ValueError, match=message):
            build_density_net(24, **knobs)

    def test_momentum_one_never_updates_the_moving_statistics(self):
        scenes = make_scenes(16, 24, seed=3)
        model = build_density_net(24, bn_momentum=1.0)
        model.fit(scenes.images, scenes.maps, batch_size=8, epochs=1, verbose=0)
        norm = next(layer for layer in model.layers if hasattr(layer, "moving_mean"))
        assert not np.asarray(norm.moving_mean).any() and np.all(np.asarray(norm.moving_variance) == 1)

    def test_same_net_compares_layers_weights_and_optimiser(self):
        from dlclinic.seeding import seed_everything

        def built(**knobs):
            seed_everything(4)
            return build_density_net(24, **knobs)

        assert same_net(built(), built())
        assert not same_net(built(), built(bn_momentum=0.9))
        assert not same_net(built(), built(learning_rate=0.01))
        seed_everything(5)
        assert not same_net(built(), build_density_net(24))  # other initial weights


class TestScaleDecomposition:
    def test_the_three_factors_multiply_to_the_output_spread(self):
        rng = np.random.default_rng(0)
        features = rng.normal(size=(500, 4)) * [1.0, 2.0, 0.5, 0.1] + 3.0
        kernel = np.array([0.3, -0.2, 0.5, 1.0])
        found = decompose(features, kernel)
        assert found["output_std"] == pytest.approx(np.std(features @ kernel))
        assert found["kernel_norm"] * found["feature_std"] * found["alignment"] == pytest.approx(found["output_std"])
        assert found["feature_std"] == pytest.approx(np.sqrt(np.mean(features.var(axis=0))))

    def test_alignment_is_one_for_isotropic_features_and_zero_off_their_span(self):
        rng = np.random.default_rng(1)
        isotropic = rng.normal(size=(20000, 3))
        assert decompose(isotropic, [1.0, 2.0, -1.0])["alignment"] == pytest.approx(1.0, abs=0.03)
        flat = np.column_stack([rng.normal(size=300), np.full(300, 0.5)])  # varies only along the first channel
        assert decompose(flat, [0.0, 1.0])["alignment"] == pytest.approx(0.0, abs=1e-9)
        with pytest.raises(ValueError, match="linear in its 2 input channels"):
            decompose(flat, [1.0, 2.0, 3.0])

    def test_on_a_model_in_both_modes_and_moving_statistics_kept(self):
        scenes = make_scenes(12, 24, seed=6)
        model = build_density_net(24)
        before = [np.asarray(w).copy() for w in model.non_trainable_weights]
        inference = scale_decomposition(model, scenes.images)
        output = np.asarray(model(scenes.images, training=False))
        assert inference["output_std"] == pytest.approx(float(np.std(output)), rel=1e-3)
        batch = scale_decomposition(model, scenes.images, training=True)
        assert batch["feature_std"] > 5 * inference["feature_std"]  # untrained moving statistics do not normalise
        for kept, weight in zip(before, model.non_trainable_weights, strict=True):
            np.testing.assert_array_equal(kept, np.asarray(weight))
        assert output_features(model, scenes.images).shape == (12 * 24 * 24, 16)

    def test_batch_to_moving_ratio_sees_stale_statistics_and_keeps_them(self):
        scenes = make_scenes(16, 24, seed=7)
        fresh = build_density_net(24)  # moving statistics still at mean 0, variance 1: they do not normalise
        before = [np.asarray(w).copy() for w in fresh.non_trainable_weights]
        assert batch_to_moving_ratio(fresh, scenes.images) > 3
        for kept, weight in zip(before, fresh.non_trainable_weights, strict=True):
            np.testing.assert_array_equal(kept, np.asarray(weight))
        plain = build_density_net(24, batchnorm=False)
        assert batch_to_moving_ratio(plain, scenes.images) == pytest.approx(1.0, rel=1e-5)
        assert type(batch_to_moving_ratio(plain, scenes.images)) is float

    def test_last_batchnorm(self):
        model = build_density_net(24)
        assert last_batchnorm(model) == {"gamma": 1.0, "beta": 0.0}
        assert last_batchnorm(build_density_net(24, bn_scale=False))["gamma"] == 1.0
        assert last_batchnorm(build_density_net(24, batchnorm=False)) == {"gamma": None, "beta": None}


class TestTrainingRuns:
    def test_checkpoints_and_batch_order(self):
        from dlclinic.batchnorm_regression.experiment import batch_order, checkpoints

        found = checkpoints(2048)
        assert found[0] == 0 and found[-1] == 2048 and found == sorted(set(found)) and len(found) >= 15
        assert checkpoints(6)[-1] == 6 and len(checkpoints(6)) >= 6
        with pytest.raises(ValueError, match="at least 5"):
            checkpoints(4)
        order = batch_order(10, 7, 4, seed=0)
        assert order.shape == (7, 4)
        assert sorted(order.reshape(-1)[:10]) == list(range(10))  # each epoch is a permutation

    def test_the_step_loop_trains_as_fit(self):
        from dlclinic.backend import tf
        from dlclinic.batchnorm_regression.experiment import batch_order, step_function
        from dlclinic.seeding import seed_everything

        scenes = make_scenes(32, 24, seed=2)
        seed_everything(3)
        looped = build_density_net(24)
        seed_everything(3)
        fitted = build_density_net(24)
        order = batch_order(32, 6, 8, seed=1)
        step_function(looped)(tf.constant(scenes.images[order]), tf.constant(scenes.maps[order]))
        fitted.fit(scenes.images[order.reshape(-1)], scenes.maps[order.reshape(-1)], batch_size=8, shuffle=False,
                   verbose=0)
        for a, b in zip(looped.weights, fitted.weights, strict=True):  # equal up to float summation order
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)

    def test_a_run_records_its_curves_deterministically(self):
        from dlclinic.batchnorm_regression.experiment import COUNT_MAE, TEST_NMSE, train_run

        data = (make_scenes(32, 24, seed=1), make_scenes(16, 24, seed=2), make_scenes(16, 24, seed=3))
        first, second = (train_run(lambda: build_density_net(24), data, 12, 8, seed=7, scaler=TargetScaler)
                         for _ in range(2))
        assert first.validation == second.validation and first.test == second.test
        assert set(first.test) == {TEST_NMSE, COUNT_MAE} and first.learning_rate == pytest.approx(1e-3)
        record = first.detail.curves.record()
        assert set(CURVE_KEYS) <= set(record) and record["steps"] == first.steps and record["steps"][0] == 0
        assert all(len(values) == len(record["steps"]) for values in record.values())
        assert first.detail.predictions.shape == (16, 24, 24, 1)
        plain = train_run(lambda: build_density_net(24, batchnorm=False), data, 6, 8, seed=7)
        assert plain.detail.curves.record()["gamma"][-1] is None

    def test_stale_moving_statistics_predict_worse_than_the_net_has_learnt(self):
        from dlclinic.batchnorm_regression.experiment import train_run

        data = (make_scenes(32, 24, seed=1), make_scenes(16, 24, seed=2), make_scenes(16, 24, seed=3))
        stale = train_run(lambda: build_density_net(24, bn_momentum=1.0, learning_rate=0.01), data, 24, 8, seed=0)
        record = stale.detail.curves.record()
        assert record["nmse"][-1] > 2 * record["nmse_batch_statistics"][-1]  # measured: 608 against 117


class TestFindings:
    def test_seeds_and_grids(self):
        from dlclinic.batchnorm_regression.findings import ADAM_GRID, SGD_GRID, grid_for, seeds_for

        assert seeds_for("no_bn", 0, quick=False, headline=["no_bn"]) == [0, 1, 2, 3, 4]
        assert seeds_for("std_only", 2, quick=False, headline=["no_bn"]) == [2, 3, 4]
        assert seeds_for("no_bn", 3, quick=True, headline=["no_bn"]) == [3]
        assert grid_for("no_bn", {}, quick=False, full=None) == ADAM_GRID and 1e-2 in ADAM_GRID.rates
        assert grid_for("sgd_momentum", {"optimizer": "sgd"}, quick=False, full=None) == SGD_GRID
        full = {"differential": {"rows": [{"name": "no_bn", "learning_rate": 0.003}]}}
        assert grid_for("no_bn", {}, quick=True, full=full).rates == (0.003,)
        assert grid_for("no_last_bn", {}, quick=True, full=full).rates == (1e-3,)

    def test_sentences_take_their_verbs_from_the_record(self):
        from dlclinic.batchnorm_regression.findings import says

        table = Differential.from_record(SMALL_RECORD)
        assert table["no_bn"].verdict == "better"
        said = says(SMALL_RECORD, "no_bn")
        assert said.startswith("no BatchNorm (0.2 ± 0.01, 3 seeds) beats the report (5 ± 1, 3 seeds) on test NMSE")
        assert says(SMALL_RECORD, "slow").endswith("(its rate 0.01 at the grid's bound; not converged)")

    @pytest.mark.parametrize(("gamma", "alignment", "verb", "part"),
                             [(0.752, 0.035, "move", "most"), (0.97, 0.8, "barely move", "little")])
    def test_mechanism_sentences_are_worded_from_the_curves(self, gamma, alignment, verb, part):
        """The review's points: a γ that falls by a quarter does not "barely move", and the alignment's part in the
        output spread's fall is measured (std = ‖w‖ × feature std × alignment), not asserted."""
        from dlclinic.batchnorm_regression.findings import mechanism_glue

        def curve(**ends):
            return {"steps": [0, 10, 100], "learning_rate": 1e-3, "nmse": [20.0, 5.0, 0.6],
                    **{key: [start, (start + end) / 2, end] for key, (start, end) in ends.items()}}

        report = curve(kernel_norm=(1.3, 0.6), feature_std=(0.6, 0.2), alignment=(0.9, alignment),
                       gamma=(1.0, gamma), beta=(0.0, -0.19 if verb == "move" else 0.01))
        glued = mechanism_glue({"reporter_bn": report, "no_bn": report, "bn_standardised": report},
                               {"0.001": report})
        assert glued["gamma_story"].startswith(f"BatchNorm's γ and β {verb}: the last BatchNorm's mean γ goes from 1")
        assert glued["alignment_story"].startswith(f"The alignment does {part} of the closing")


def _row(name, value, spread, reference=None, verdict="", converged=True, edge=False, kind="trained"):
    return {"name": name, "change": {"reporter_bn": "the report", "no_bn": "no BatchNorm"}.get(name, name),
            "value": value, "spread": spread, "seeds": 3, "seed_ids": [0, 1, 2],
            "seed_values": [value - spread, value, value + spread],
            "learning_rate": 0.01 if kind == "trained" else None,
            "grid": [1e-3, 1e-2], "validation_by_rate": {"0.001": value, "0.01": value}, "edge": edge,
            "converged": converged, "degenerate": False, "why_degenerate": "", "reference": reference, "kind": kind,
            "verdict": verdict, "gain": None, "others": {}}


SMALL_RECORD = {
    "metric": {"name": "test NMSE", "lower_is_better": True, "floor": 0.01, "log_scale": False},
    "select": {"name": "validation NMSE", "lower_is_better": True, "floor": 0.01, "log_scale": False},
    "paired": True,
    "rows": [_row("reporter_bn", 5.0, 1.0, verdict="reference"), _row("no_bn", 0.2, 0.01, "reporter_bn", "better"),
             _row("slow", 0.5, 0.01, "reporter_bn", "undecided (not converged)", converged=False, edge=True)],
}


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
def test_quick_run_is_a_smoke_test_of_every_row(quick_run):
    build, done = quick_run("03-batchnorm-regression")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    assert set(REQUIRED) <= flat_keys(metrics)
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    assert set(ROWS) <= set(rows) and rows["mean_map"]["kind"] == "trivial" and rows["baseline"]["kind"] == "control"
    assert all(rows[name]["seeds"] == 1 for name in ROWS)
    assert_same_keys_as_full_record(metrics, SLUG)


def test_committed_full_record_is_the_converged_evidence():
    full = committed_full_record(SLUG)
    assert set(REQUIRED) <= flat_keys(full)
    assert full["settings"]["quick"] is False
    rows = {row["name"]: row for row in full["differential"]["rows"]}
    for name in ROWS:
        assert rows[name]["seeds"] >= (5 if name in ("reporter_bn", "no_bn", "bn_standardised") else 3), name
        assert len(rows[name]["grid"]) >= 3 and max(rows[name]["grid"]) >= 1e-2, name
    assert all(key in full for key in ("contrib_defaults", "stale_moving_stats", "sgd_momentum", "no_bn_standardised",
                                       "std_only", "mechanism_curves", "evidence"))
    assert full["run"]["seconds"] <= 2700
