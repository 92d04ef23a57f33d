"""Unit tests for Case 2's package: stick figures, heatmaps, read-outs, metrics, baseline, models and losses."""

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record, flat_keys

from dlclinic.metrics_json import read_metrics
from dlclinic.pose_heatmaps.baselines import MeanPoseBaseline
from dlclinic.pose_heatmaps.data import JOINTS, PARENTS, make_poses
from dlclinic.pose_heatmaps.diagnosis import accuracy_resolution_source, all_zero_scores, bce_floor
from dlclinic.pose_heatmaps.heatmaps import batch_maps, decode_keypoints, disc_maps, gaussian_heatmaps, soft_argmax
from dlclinic.pose_heatmaps.metrics import mean_error_px, pck, pck_per_keypoint

SLUG = "02-pose-heatmaps"
ROWS = ["reporter", "reporter_tuned", "no_head_bn", "simple_baselines", "spatial_softmax", "disc_targets"]
# keys the notebook writes in both modes (issues 14 and 29), checked in the quick run and in the committed full record
REQUIRED = [
    "reporter.pck", "reporter.mean_error_px", "reporter.binary_accuracy", "reporter.categorical_accuracy",
    "best.pck", "best.mean_error_px", "baseline.pck", "baseline.mean_error_px", "reporter_rate",
    "differential.metric.name", "differential.rows", "evidence.fix.name", "evidence.best.name",
    "evidence.strongest_baseline.name", "floors.constant_pose.pck", "floors.image_centre.pck",
    "reporter_long.steps", "reporter_long.accuracy_metric", "reporter_long.binary_accuracy", "reporter_long.beta",
    *(f"curves.{name}.{key}" for name in ROWS for key in ("steps", "pck")),
]
FULL_BUDGET_S = 45 * 60  # the full run must fit 45 minutes on 2 CPU cores


class TestFigures:
    def test_keypoints_lie_inside_the_image(self):
        poses = make_poses(50, 64, seed=1)
        assert poses.images.shape == (50, 64, 64, 1) and poses.keypoints.shape == (50, len(JOINTS), 2)
        assert poses.keypoints.min() >= 0 and poses.keypoints.max() <= 63
        assert 0 <= poses.images.min() and poses.images.max() <= 1
        assert np.all(poses.torso > 5)

    def test_same_seed_same_figures(self):
        a, b = make_poses(4, 64, seed=3), make_poses(4, 64, seed=3)
        np.testing.assert_array_equal(a.images, b.images)
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        assert not np.array_equal(a.keypoints, make_poses(4, 64, seed=4).keypoints)

    def test_kinematic_tree_has_the_reports_twenty_joints_and_one_root(self):
        assert len(JOINTS) == len(PARENTS) == 20
        assert PARENTS.count(-1) == 1 and all(p < j for j, p in enumerate(PARENTS))

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [({"n": 0}, "n must be a positive int"), ({"n": 2, "size": 16}, "size must be at least 32"),
         ({"n": 2, "max_clutter": -1}, "max_clutter must be a non-negative int")],
    )
    def test_bad_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            make_poses(**kwargs)


class TestHeatmaps:
    def test_gaussian_peaks_at_one_on_the_keypoint(self):
        maps = gaussian_heatmaps([[20, 15], [3, 30]], 32, 40, 2.0)
        assert maps.shape == (32, 40, 2)
        assert maps[15, 20, 0] == pytest.approx(1.0) and maps.max() == pytest.approx(1.0)
        assert np.unravel_index(maps[..., 1].argmax(), (32, 40)) == (30, 3)  # (row, column) = (y, x)
        assert maps[15, 22, 0] == pytest.approx(np.exp(-4 / 8))  # σ is a standard deviation

    def test_discs_are_binary_and_of_the_right_area(self):
        maps = disc_maps([[10, 10]], 24, 24, 2.0)
        assert set(np.unique(maps)) == {0.0, 1.0} and maps.sum() == 13

    def test_decode_inverts_the_heatmaps_for_integer_keypoints(self):
        points = np.array([[5.0, 7.0], [30.0, 2.0], [0.0, 31.0]])
        np.testing.assert_array_equal(decode_keypoints(gaussian_heatmaps(points, 32, 32, 1.5)), points)
        batch = batch_maps(np.stack([points, points[::-1]]), 32, 32)
        assert decode_keypoints(batch).shape == (2, 3, 2)

    def test_soft_argmax_of_sharp_maps_is_the_keypoint(self):
        points = np.array([[5.0, 7.0], [20.5, 12.0]])
        logits = 50 * gaussian_heatmaps(points, 24, 32, 1.0)
        got = np.asarray(soft_argmax(logits[None]))
        assert got.shape == (1, 2, 2)
        np.testing.assert_allclose(got[0], points, atol=0.05)
        np.testing.assert_allclose(np.asarray(soft_argmax(np.zeros((4, 5, 1))))[0], [2.0, 1.5])  # uniform: centre

    def test_soft_argmax_traces_with_an_unknown_batch_size(self):
        from dlclinic.backend import tf

        traced = tf.function(soft_argmax, input_signature=[tf.TensorSpec([None, 8, 6, 3])])
        assert tuple(traced(np.zeros((2, 8, 6, 3), "float32")).shape) == (2, 3, 2)

    @pytest.mark.parametrize(
        ("call", "message"),
        [(lambda: gaussian_heatmaps([[1, 2, 3]], 4, 4, 1.0), r"keypoints must have shape \(any, 2\)"),
         (lambda: gaussian_heatmaps([[1, 2]], 4, 4, 0.0), "sigma must be a positive number"),
         (lambda: batch_maps(np.zeros((1, 2, 2)), 4, 4, "square"), "kind must be one of"),
         (lambda: decode_keypoints(np.zeros((4, 4))), r"heatmaps must be \(\.\.\., H, W, K\)"),
         (lambda: soft_argmax(np.zeros((4, 4))), r"heatmaps must be \(\.\.\., H, W, K\)")],
    )
    def test_bad_input_is_named(self, call, message):
        with pytest.raises(ValueError, match=message):
            call()


class TestMetrics:
    def test_pck_counts_euclidean_errors_within_the_threshold(self):
        true = np.zeros((1, 4, 2))
        pred = np.array([[[3.0, 4.0], [1.0, 1.0], [6.0, 0.0], [0.0, 0.0]]])  # errors 5, 1.41, 6, 0
        assert pck(pred, true, 0.5, 10.0) == pytest.approx(0.75)
        assert pck(pred, true, 0.5, np.array([12.0])) == pytest.approx(1.0)
        assert pck(pred, true, 0.1, 10.0) == pytest.approx(0.25)
        assert mean_error_px(pred, true) == pytest.approx((5 + np.sqrt(2) + 6) / 4)

    def test_per_keypoint_pck(self):
        true = np.zeros((2, 2, 2))
        pred = np.array([[[1.0, 0.0], [5.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])
        np.testing.assert_allclose(pck_per_keypoint(pred, true, 0.2, np.array([10.0, 10.0])), [1.0, 0.5])

    @pytest.mark.parametrize(
        ("args", "message"),
        [((np.zeros((2, 2)), np.zeros((3, 2)), 0.2), "same shape"),
         ((np.zeros((2, 3)), np.zeros((2, 3)), 0.2), r"\(\.\.\., K, 2\)"),
         ((np.zeros((2, 2)), np.zeros((2, 2)), -0.1), "threshold must be non-negative"),
         ((np.zeros((2, 2)), np.zeros((2, 2)), 0.2, 0.0), "normalizer must be positive"),
         ((np.zeros((3, 2, 2)), np.zeros((3, 2, 2)), 0.2, np.ones(2)), "normalizer must be one number")],
    )
    def test_bad_input_is_named(self, args, message):
        with pytest.raises(ValueError, match=message):
            pck(*args)

    def test_all_zero_binary_accuracy(self):
        maps = disc_maps([[10, 10]], 20, 20, 2.0)
        scores = all_zero_scores(maps)
        assert scores["binary_accuracy_all_zero"] == pytest.approx(1 - 13 / 400)


class TestBaselineModelsAndKeras:
    def test_centred_mean_pose_beats_the_absolute_one(self):
        train, test = make_poses(120, 64, seed=5), make_poses(60, 64, seed=6)
        centred = MeanPoseBaseline().fit(train.images, train.keypoints).predict(test.images)
        fixed = MeanPoseBaseline(centred=False).fit(train.images, train.keypoints).predict(test.images)
        assert mean_error_px(centred, test.keypoints) < mean_error_px(fixed, test.keypoints)
        with pytest.raises(ValueError, match="not fitted"):
            MeanPoseBaseline().predict(test.images)

    def test_heads(self):
        from dlclinic.backend import keras
        from dlclinic.pose_heatmaps.models import build_pose_net

        reporter, plain = build_pose_net(64, 16, "reporter"), build_pose_net(64, 16, "linear")
        assert reporter.output_shape == plain.output_shape == (None, 64, 64, 16)
        assert isinstance(reporter.layers[-2], keras.layers.BatchNormalization)
        assert isinstance(plain.layers[-1], keras.layers.Conv2D)
        with pytest.raises(ValueError, match="head must be one of"):
            build_pose_net(64, 16, "softmax")
        with pytest.raises(ValueError, match="divisible"):
            build_pose_net(60, 16)

    def test_keras_resolves_accuracy_to_categorical_for_many_maps(self):
        where, line_no, line = accuracy_resolution_source()
        assert where.endswith("compile_utils.py") and line_no > 0 and "CategoricalAccuracy" in line

    def test_heatmap_pck_metric_and_spatial_loss(self):
        from dlclinic.pose_heatmaps.losses import spatial_softmax_crossentropy
        from dlclinic.pose_heatmaps.metrics import HeatmapPCK

        true = batch_maps(np.array([[[5.0, 5.0], [20.0, 9.0]]]), 24, 24)
        shifted = batch_maps(np.array([[[7.0, 5.0], [2.0, 2.0]]]), 24, 24)
        metric = HeatmapPCK(radius=3.0)
        metric.update_state(true, shifted)
        assert float(metric.result()) == pytest.approx(0.5)
        discs = batch_maps(np.array([[[5.0, 5.0], [20.0, 9.0]]]), 24, 24, "disc", 2.0)
        centred = HeatmapPCK(radius=0.5)  # a disc decodes to its centre, not to its first pixel
        centred.update_state(discs, true)
        assert float(centred.result()) == pytest.approx(1.0)
        matched = float(spatial_softmax_crossentropy(true, np.log(true + 1e-12))[0])  # softmax(log t) = t
        flat = float(spatial_softmax_crossentropy(true, np.zeros_like(true))[0])  # uniform over 24×24 pixels
        assert matched < flat and flat == pytest.approx(np.log(24 * 24), rel=1e-5)


class TestDiagnosis:
    @staticmethod
    def head_net(channels=3):
        from dlclinic.backend import keras

        inputs = keras.Input((6, 5, 2))
        x = keras.layers.BatchNormalization()(keras.layers.Conv2D(channels, 1)(inputs))
        model = keras.Model(inputs, keras.layers.Activation("sigmoid")(x))
        bn = model.layers[-2]
        gamma, beta, mean, var = bn.get_weights()
        bn.set_weights([gamma * 2, np.linspace(-1, 2, channels), mean + 3, var * 4])
        return model

    def test_head_mean_logit_is_beta_and_leaves_the_model_alone(self):
        from dlclinic.pose_heatmaps.diagnosis import head_bn_parameters, head_mean_logit

        model = self.head_net()
        before = [w.copy() for w in model.get_weights()]
        x = np.random.default_rng(0).uniform(size=(4, 6, 5, 2)).astype("float32")
        np.testing.assert_allclose(head_mean_logit(model, x), head_bn_parameters(model)["beta"], atol=1e-4)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))

    def test_head_mean_logit_works_on_a_sequential_model(self):
        from dlclinic.backend import keras
        from dlclinic.pose_heatmaps.diagnosis import head_mean_logit

        model = keras.Sequential([keras.Input((9,)), keras.layers.Dense(4), keras.layers.BatchNormalization(),
                                  keras.layers.Activation("sigmoid")])
        model.layers[-2].beta.assign(np.array([1.0, -2.0, 0.5, 3.0], "float32"))
        x = np.random.default_rng(3).normal(size=(10, 9)).astype("float32")
        np.testing.assert_allclose(head_mean_logit(model, x), [1.0, -2.0, 0.5, 3.0], atol=1e-4)

    def test_head_mean_logit_needs_a_bn_sigmoid_head(self):
        from dlclinic.pose_heatmaps.diagnosis import head_mean_logit
        from dlclinic.pose_heatmaps.models import build_pose_net

        with pytest.raises(ValueError, match="BatchNormalization"):
            head_mean_logit(build_pose_net(32, 3, "linear", filters=4), np.zeros((1, 32, 32, 1)))

    def test_resolved_accuracy_follows_the_shapes_not_the_loss(self):
        from dlclinic.backend import keras
        from dlclinic.pose_heatmaps.diagnosis import resolved_accuracy

        rng = np.random.default_rng(1)
        x = rng.normal(size=(8, 5)).astype("float32")
        for units, loss, y, expected in [
            (4, "binary_crossentropy", (rng.uniform(size=(8, 4)) < 0.2).astype("float32"), "CategoricalAccuracy"),
            (1, "binary_crossentropy", (rng.uniform(size=(8, 1)) < 0.5).astype("float32"), "BinaryAccuracy"),
            (3, "sparse_categorical_crossentropy", rng.integers(0, 3, size=8), "SparseCategoricalAccuracy"),
        ]:
            inputs = keras.Input((5,))
            model = keras.Model(inputs, keras.layers.Dense(units, activation="sigmoid")(inputs))
            model.compile(loss=loss, metrics=["accuracy"])
            assert resolved_accuracy(model, x, y) == expected

    def test_bce_floor_bounds_the_loss_of_standardised_logits(self):
        rng = np.random.default_rng(2)
        p = 0.01
        labels = rng.uniform(size=20000) < p
        for beta, gamma in [(0.0, 1.0), (-3.0, 2.0), (1.0, 0.5)]:
            z = rng.normal(size=labels.size) + 4 * labels  # any logits, standardised to mean beta, std gamma
            z = beta + gamma * (z - z.mean()) / z.std()
            loss = np.mean(np.where(labels, np.logaddexp(0, -z), np.logaddexp(0, z)))
            assert bce_floor(beta, gamma, labels.mean()) <= loss
        assert bce_floor(-5.0, 3.0, p) < bce_floor(0.0, 1.0, p)  # lower with beta towards the prior logit
        with pytest.raises(ValueError, match="positive_fraction"):
            bce_floor(0.0, 1.0, 0.0)

    def test_frozen_batchnorm_runs_in_inference_mode(self):
        from dlclinic.pose_heatmaps.diagnosis import frozen_batchnorm_statistics

        assert frozen_batchnorm_statistics() == "moving"


class TestFloorsAndAccuracyParts:
    def test_constant_pose_and_image_centre_ignore_the_image(self):
        from dlclinic.pose_heatmaps.baselines import constant_pose, image_centre

        train = make_poses(20, 32, seed=7)
        fixed = constant_pose(train.keypoints, 3)
        assert fixed.shape == (3, 20, 2) and np.allclose(fixed[0], train.keypoints.mean(axis=0))
        assert np.array_equal(fixed[0], fixed[2])
        centre = image_centre(2, 5, 24, 32)
        assert centre.shape == (2, 5, 2) and np.all(centre == [15.5, 11.5])

    def test_categorical_accuracy_is_decided_by_map_0_on_the_background(self):
        from dlclinic.pose_heatmaps.diagnosis import categorical_accuracy_parts

        maps = np.zeros((1, 4, 5, 3))
        maps[0, 1, 1, 2] = maps[0, 3, 4, 1] = 1.0  # two joint pixels, 18 background pixels
        outputs = np.random.default_rng(0).uniform(size=maps.shape)
        outputs[..., 0] += 1.0  # map 0 wins everywhere: every background pixel counts as right
        parts = categorical_accuracy_parts(maps, outputs)
        assert parts["background_share"] == pytest.approx(0.9)
        assert parts["channel0_wins_on_background"] == 1.0 and parts["on_joints"] == 0.0
        assert parts["accuracy"] == pytest.approx(0.9)
        from dlclinic.backend import keras

        keras_metric = keras.metrics.CategoricalAccuracy()
        keras_metric.update_state(maps, outputs)
        assert float(keras_metric.result()) == pytest.approx(parts["accuracy"])
        with pytest.raises(ValueError, match="one shape"):
            categorical_accuracy_parts(maps, outputs[..., :2])


class TestTraining:
    """The trainer that runs many trainings as one program."""

    @staticmethod
    def build(head="reporter", output_std=None):
        from dlclinic.pose_heatmaps.models import build_pose_net

        return build_pose_net(32, 20, head, filters=4, output_std=output_std)

    @staticmethod
    def data():
        return make_poses(32, 32, seed=1), make_poses(8, 32, seed=2), make_poses(8, 32, seed=3)

    def test_a_group_trains_each_member_as_it_would_train_alone(self):
        from dlclinic.pose_heatmaps.training import Member, Trainings

        members = [Member("reporter", 1e-3, 0), Member("spatial_softmax", 3e-3, 1), Member("no_head_bn", 1e-2, 0)]
        grouped = Trainings(self.build, self.data(), [2, 4], batch_size=8, group=3).train(members)
        alone = Trainings(self.build, self.data(), [2, 4], batch_size=8, group=1).train(members[1:2])[0]
        assert grouped[1].val_pck == alone.val_pck and grouped[1].loss == alone.loss
        assert all(np.array_equal(a, b) for a, b in zip(grouped[1].model.get_weights(), alone.model.get_weights(),
                                                         strict=True))
        reporter = grouped[0]
        assert reporter.steps == [2, 4] and len(reporter.beta) == 2 and len(reporter.beta[0]) == 20
        assert grouped[1].beta == [] and 0 <= reporter.accuracy[-1] <= 1 and 0 <= reporter.binary_accuracy[-1] <= 1
        fit = reporter.fit(early=2)
        assert fit.validation == reporter.val_pck and set(fit.test) == {"pck", "mean_error_px", "pck_early"}

    def test_prefetch_makes_everything_the_runner_asks_for(self):
        from dlclinic.differential import Differential, Grid, Metric
        from dlclinic.pose_heatmaps.training import Trainings

        trainings = Trainings(self.build, self.data(), [2, 4], batch_size=8, group=4)
        rows = {"reporter": (None, [0, 1]), "no_head_bn": (Grid((1e-3, 1e-2), 1e-4, 1e-1), [0, 1])}
        metric = Metric("pck", lower_is_better=False, floor=0.0)
        trainings.prefetch(rows, metric)
        made = len(trainings.done)
        table = Differential(metric)
        for name, (grid, seeds) in rows.items():
            table.train(name, name, trainings.runner(name), seeds, grid)
        assert len(trainings.done) == made and table["reporter"].learning_rate is None
        assert len(table["no_head_bn"].grid) >= 3 and table["no_head_bn"].seeds == 2

    def test_constant_and_non_finite_maps_are_flagged(self):
        from dlclinic.backend import keras
        from dlclinic.pose_heatmaps.training import Member, Trainings

        def blind(head="linear", output_std=None, poison=0.0):  # maps from a bias alone, or NaN
            inputs = keras.Input((32, 32, 1))
            x = keras.layers.Lambda(lambda t: t * 0.0 + poison)(inputs)
            return keras.Model(inputs, keras.layers.Conv2D(20, 1)(x))

        constant = Trainings(blind, self.data(), [2], group=1).train([Member("spatial_softmax", 1e-3, 0)])[0]
        assert constant.constant and constant.fit().constant
        broken = Trainings(lambda **kw: blind(poison=np.nan, **kw), self.data(), [2], group=1)
        curve = broken.train([Member("spatial_softmax", 1e-3, 0)])[0]
        assert np.isnan(curve.val_pck[-1]) and not curve.fit().finite

    def test_the_fused_adam_is_keras_adam(self):
        from dlclinic.backend import keras, tf
        from dlclinic.pose_heatmaps.training import Adam, one_thread_per_op
        from dlclinic.seeding import seed_everything

        def trained(optimizer):
            seed_everything(0)
            inputs = keras.Input((5,))
            model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Dense(4, activation="relu")(inputs)))
            optimizer.build(model.trainable_variables)
            x = tf.constant(np.random.default_rng(1).normal(size=(16, 5)).astype("float32"))

            @tf.function
            def step():
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(model(x) ** 2)
                gradients = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

            for _ in range(20):
                step()
            return model.get_weights()

        for ours, theirs in zip(trained(Adam(3e-3)), trained(keras.optimizers.Adam(3e-3)), strict=True):
            np.testing.assert_allclose(ours, theirs, atol=1e-5)
        assert isinstance(one_thread_per_op(), bool)  # TensorFlow has started here: it keeps its setting

    def test_batches_cover_each_epoch_once_and_peaks_match_numpy(self):
        from dlclinic.pose_heatmaps.training import batch_order, peak_indices

        order = batch_order(20, 7, 6, seed=3)
        assert order.shape == (7, 6) and len(set(order[:3].ravel())) == 18
        assert np.array_equal(order, batch_order(20, 7, 6, seed=3))
        maps = np.random.default_rng(0).integers(0, 3, size=(2, 5, 6, 4)).astype("float32")  # with ties
        index = np.asarray(peak_indices(maps))
        np.testing.assert_array_equal(np.stack([index % 6, index // 6], axis=-1), decode_keypoints(maps))
        with pytest.raises(ValueError, match="batch_size"):
            batch_order(4, 2, 8, seed=0)

    def test_each_row_changes_one_thing_from_its_reference(self):
        from dlclinic.pose_heatmaps.training import VARIANTS

        def choices(name):  # the head's activation and its loss are one choice: a sigmoid goes with BCE
            v = VARIANTS[name]
            return [(v.head, v.loss), v.targets, v.output_std, v.learning_rate]

        for name, reference in [("reporter_tuned", "reporter"), ("no_head_bn", "reporter_tuned"),
                                ("spatial_softmax", "simple_baselines"), ("disc_targets", "simple_baselines")]:
            changed = [a != b for a, b in zip(choices(name), choices(reference), strict=True)]
            assert sum(changed) == 1, name


@pytest.mark.slow
def test_quick_run_shows_the_symptom_and_the_fix(quick_run):
    build, done = quick_run(SLUG)
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    assert set(REQUIRED) <= flat_keys(metrics)
    assert metrics["reporter_accuracy_metric"] == "CategoricalAccuracy"
    assert metrics["reporter"]["categorical_accuracy"] < 0.2, "the symptom: 'accuracy' stays low"
    assert metrics["diagnosis"]["binary_accuracy_all_zero"] > 0.9, "the all-zero answer looks accurate"
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    assert set(ROWS) | {"constant_pose", "image_centre", "mean_pose"} == set(rows)
    assert rows["spatial_softmax"]["value"] > rows["reporter"]["value"], "a head that learns within 384 steps"
    assert metrics["diagnosis"]["fix_page_pck"] > metrics["diagnosis"]["reporter_page_pck"]
    long = metrics["reporter_long"]
    assert long["floor"][-1] < long["floor"][0] and long["beta"][-1] < 0, "beta falls towards the prior logit"
    assert metrics["reporter_rate"] == 1e-3
    assert_same_keys_as_full_record(metrics, SLUG)


def test_committed_full_record_has_the_issue_keys():
    full = committed_full_record(SLUG)
    assert set(REQUIRED) <= flat_keys(full)
    assert full["settings"]["quick"] is False and full["settings"]["steps"] == 6144
    assert full["run"]["seconds"] <= FULL_BUDGET_S, "the full run must fit 45 minutes on 2 CPU cores"
    assert full["reporter_accuracy_metric"] == "CategoricalAccuracy"
    for row in full["differential"]["rows"]:
        if row["kind"] == "trained":
            assert row["seeds"] >= 3 and (row["grid"] == [] or len(row["grid"]) >= 3), row["name"]
