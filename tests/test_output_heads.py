"""Unit tests for Case 7's package: pictures and texts, losses, metrics, the head check, baselines, training."""

import math

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record, flat_keys

from dlclinic.backend import keras
from dlclinic.output_heads import texts as text_data
from dlclinic.output_heads.baselines import bag_of_words_scores, nearest_votes, word_counts
from dlclinic.output_heads.diagnosis import head_report, logit_gradients, target_structure
from dlclinic.output_heads.imbalance import fit_vae, make_imbalanced, vae_samples
from dlclinic.output_heads.losses import (
    coral_grades,
    coral_targets,
    distance_weighted_crossentropy,
    group_crossentropy,
    masked_binary_crossentropy,
    masked_loss,
    pack_masked,
)
from dlclinic.output_heads.metrics import (
    best_f1_threshold,
    exact_match,
    f1_per_head,
    group_accuracy,
    mean_average_precision,
    ordinal_scores,
    pr_auc,
    rejection_auroc,
    roc_auc_per_head,
)
from dlclinic.output_heads.training import Trainers, forward_ms, predict
from dlclinic.output_heads.vehicles import PAIRS, VALID, make_irrelevant, make_vehicles, multi_hot

SLUG = "07-output-heads"
ops = keras.ops


class TestVehicles:
    def test_seeded_labels_follow_the_dependency(self):
        pictures, again = make_vehicles(60, seed=3), make_vehicles(60, seed=3)
        np.testing.assert_array_equal(pictures.images, again.images)
        assert pictures.images.shape == (60, 24, 24, 3) and pictures.images.dtype == np.float32
        assert 0 <= pictures.images.min() and pictures.images.max() <= 1
        assert set(zip(pictures.type.tolist(), pictures.make.tolist(), strict=True)) <= set(PAIRS)
        assert len(PAIRS) == sum(len(types) for types in VALID.values()) == 7
        assert set(pictures.grade) <= set(range(5))
        np.testing.assert_array_equal(pictures.grade, np.minimum((pictures.severity * 5).astype(int), 4))
        target = pictures.multi_hot()
        assert target.shape == (60, 8) and np.all(target[:, :4].sum(1) == 1) and np.all(target[:, 4:].sum(1) == 1)
        assert [PAIRS[k] for k in pictures.pair()[:5]] == list(zip(pictures.type[:5], pictures.make[:5], strict=True))

    def test_multi_hot_and_subset(self):
        np.testing.assert_array_equal(multi_hot([1, 3], [0, 2]), [[0, 1, 0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1, 0]])
        pictures = make_vehicles(10, seed=1)
        assert len(pictures.subset(pictures.type == 0)) == int((pictures.type == 0).sum())

    def test_irrelevant_pictures(self):
        images = make_irrelevant(12, ("boat",), seed=2)
        assert images.shape == (12, 24, 24, 3) and images.dtype == np.float32

    @pytest.mark.parametrize(("call", "message"), [(lambda: make_vehicles(0), "n must be a positive int"),
                                                   (lambda: make_vehicles(3, size=16), "size must be at least"),
                                                   (lambda: make_irrelevant(3, ("car",)), "kinds must be")])
    def test_bad_input(self, call, message):
        with pytest.raises(ValueError, match=message):
            call()


class TestTexts:
    def test_datasets_label_one_question_each(self):
        data = text_data.make_datasets(40, seed=1)
        assert data.tokens.shape == (160, text_data.LENGTH) and data.tokens.max() < text_data.VOCABULARY
        known = np.isfinite(data.labels)
        assert np.all(known.sum(1) == 1) and np.all(known.argmax(1) == data.source)
        np.testing.assert_array_equal(data.mask, known.astype("float32"))
        np.testing.assert_array_equal(data.labels[known], data.truth[known])

    def test_prevalence_by_source_and_full_labels(self):
        data = text_data.make_texts(2000, labelled="all", seed=2)
        assert np.isfinite(data.labels).all()
        own = data.truth[np.arange(len(data)), data.source].mean()
        other = data.truth[np.arange(4)[None, :] != data.source[:, None]].mean()
        assert abs(own - text_data.ENRICHED) < 0.05 and abs(other - text_data.BACKGROUND) < 0.03

    def test_masked_tokens(self):
        tokens = text_data.make_texts(50, seed=3).tokens
        corrupted, where = text_data.masked_tokens(tokens, np.random.default_rng(0))
        assert np.all(corrupted[where == 1] == text_data.MASK) and np.all(corrupted[where == 0] == tokens[where == 0])
        assert 0.1 < where.mean() < 0.2

    def test_bad_input(self):
        with pytest.raises(ValueError, match="labelled"):
            text_data.make_texts(4, labelled="some")
        with pytest.raises(ValueError, match="sources"):
            text_data.make_texts(4, sources=(5,))


class TestLosses:
    def test_masked_bce_averages_the_labelled_entries_only(self):
        y = np.array([[1.0, np.nan], [0.0, 1.0], [np.nan, np.nan]], "float32")
        p = np.array([[0.8, 0.3], [0.4, 0.6], [0.5, 0.9]], "float32")
        mask = np.isfinite(y).astype("float32")
        expected = -(np.log(0.8) + np.log(0.6) + np.log(0.6)) / 3
        assert float(masked_binary_crossentropy(y, p, mask)) == pytest.approx(expected, rel=1e-5)
        z = np.log(p / (1 - p))
        assert float(masked_binary_crossentropy(y, z, mask, from_logits=True)) == pytest.approx(expected, rel=1e-4)
        assert float(masked_binary_crossentropy(y, p, np.zeros_like(mask))) == 0.0

    def test_masked_loss_reads_packed_targets(self):
        labels = np.array([[1.0, np.nan], [np.nan, 0.0]], "float32")
        packed = pack_masked(labels)
        np.testing.assert_array_equal(packed, [[1, 0, 1, 0], [0, 0, 0, 1]])
        z = np.array([[2.0, -5.0], [7.0, -1.0]], "float32")
        expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-1.0))) / 2
        assert float(masked_loss(2)(packed, z)) == pytest.approx(expected, rel=1e-5)

    def test_group_crossentropy_sums_the_groups(self):
        y = multi_hot([1], [2])
        p = np.array([[0.1, 0.6, 0.2, 0.1, 0.25, 0.25, 0.4, 0.1]], "float32")
        assert float(group_crossentropy((4, 4))(y, p)[0]) == pytest.approx(-np.log(0.6) - np.log(0.4), rel=1e-5)
        with pytest.raises(ValueError, match="groups"):
            group_crossentropy((1, 4))

    def test_coral_targets_and_grades(self):
        np.testing.assert_array_equal(coral_targets(np.array([0, 2, 4]), 5),
                                      [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
        np.testing.assert_array_equal(coral_grades(np.array([[0.9, 0.7, 0.2, 0.1], [0.1, 0.0, 0.0, 0.0]])), [2, 0])
        with pytest.raises(ValueError, match="lie in"):
            coral_targets(np.array([0, 5]), 5)
        with pytest.raises(ValueError, match="integers"):
            coral_targets(np.array([0.5, 1.0]), 5)

    def test_distance_weight_multiplies_the_crossentropy(self):
        p = np.array([[0.7, 0.1, 0.1, 0.05, 0.05], [0.1, 0.1, 0.6, 0.1, 0.1]], "float32")
        loss = np.asarray(distance_weighted_crossentropy(np.array([4, 2]), p))
        np.testing.assert_allclose(loss, [5 * -np.log(0.05), 1 * -np.log(0.6)], rtol=1e-5)


class TestMetrics:
    def test_multilabel_metrics(self):
        y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], float)
        s = np.array([[0.9, 0.2], [0.3, 0.8], [0.6, 0.4], [0.1, 0.6]])
        assert mean_average_precision(y, s) == pytest.approx((1.0 + (1 + 2 / 3) / 2) / 2)
        assert exact_match(y, s > 0.5) == 0.5
        assert group_accuracy([0, 1, 1], np.array([[0.6, 0.4], [0.2, 0.8], [0.9, 0.1]])) == pytest.approx(2 / 3)

    def test_binary_head_metrics(self):
        truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], float)
        scores = np.array([[0.9, 0.2], [0.3, 0.8], [0.6, 0.4], [0.1, 0.6]])
        assert roc_auc_per_head(truth, scores) == [1.0, 0.75]
        assert f1_per_head(truth, scores) == [1.0, pytest.approx(0.5)]
        assert rejection_auroc([0.1, 0.2], [0.3, 0.15]) == 0.75
        assert pr_auc(np.array([1.0, 0, 0, 1]), np.array([0.9, 0.8, 0.1, 0.5])) == pytest.approx((1 + 2 / 3) / 2)
        assert best_f1_threshold(np.array([1.0, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == 0.7

    def test_ordinal_scores(self):
        found = ordinal_scores([0, 1, 2, 3, 4], [0, 2, 2, 3, 2])
        assert found["mae"] == pytest.approx(0.6) and found["accuracy"] == pytest.approx(0.6)
        assert ordinal_scores([0, 1, 2, 3], [0, 1, 2, 3])["qwk"] == pytest.approx(1.0)
        with pytest.raises(ValueError, match="as long"):
            ordinal_scores([0, 1], [0])


class TestDiagnosis:
    @pytest.mark.parametrize(("targets", "groups", "structure"), [
        ([[1, 0, 0], [0, 0, 1]], None, "one-hot"), ([[1, 0, 1, 0], [0, 1, 0, 1]], (2, 2), "grouped"),
        ([[1, 0, 1, 0], [0, 1, 1, 1]], None, "multi-hot"), ([[1, 1, 0], [1, 0, 0], [1, 1, 1]], None, "cumulative"),
        ([[1, np.nan], [0, 1]], None, "masked"), ([[1, -1], [0, 1]], None, "masked"),
        ([0, 3, 4], None, "integer labels"), ([0, 1, 1], None, "binary"), ([[0.2, 0.9]], None, "soft labels")])
    def test_target_structure(self, targets, groups, structure):
        assert target_structure(np.array(targets, float), groups) == structure

    @staticmethod
    def compiled(activation, loss, outputs=4):
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(inputs))
        model.compile(optimizer="adam", loss=loss)
        return model

    def test_head_report_names_each_contradiction(self):
        x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32") * 3
        two = np.clip(np.eye(4)[np.arange(32) % 4] + np.eye(4)[(np.arange(32) + 1) % 4], 0, 1)
        softmax = head_report(self.compiled("softmax", "categorical_crossentropy"), x, two)[0]
        assert softmax.measured == "sums to one" and softmax.targets == "multi-hot"
        assert "compete" in softmax.problems[0] and not softmax.suits
        fine = head_report(self.compiled(None, keras.losses.BinaryCrossentropy(from_logits=True)), x, two)[0]
        assert fine.suits and fine.measured == "logits" and fine.from_logits is True
        double = head_report(self.compiled("sigmoid", keras.losses.BinaryCrossentropy(from_logits=True)), x, two)[0]
        assert any("already probabilities" in problem for problem in double.problems)
        clipped = head_report(self.compiled(None, "binary_crossentropy"), x, two)[0]
        assert any("reads logits" in problem for problem in clipped.problems)
        categorical = head_report(self.compiled("sigmoid", "categorical_crossentropy"), x, two)[0]
        assert any("normalises" in problem for problem in categorical.problems)
        missing = np.where(np.arange(32)[:, None] % 2 == 0, two, np.nan)
        masked = head_report(self.compiled("sigmoid", "binary_crossentropy"), x, missing)[0]
        assert masked.targets == "masked" and any("NaN" in problem for problem in masked.problems)
        with pytest.raises(ValueError, match="one target array per output"):
            head_report(self.compiled("sigmoid", "binary_crossentropy"), x, [two, two])

    def test_softmax_gradient_with_two_targets(self):
        z = np.array([[2.0, 0.0, 0.5, -1.0]], "float32")
        y = np.array([[1.0, 0.0, 1.0, 0.0]], "float32")
        p = np.exp(z) / np.exp(z).sum()
        def cross_entropy(t, q):  # written out: autodiff of the loss itself, whatever kernel Keras would pick
            return -ops.sum(t * ops.log(q), axis=-1)

        np.testing.assert_allclose(logit_gradients(cross_entropy, ops.softmax, y, z), 2 * p - y, atol=1e-6)
        np.testing.assert_allclose(logit_gradients(ops.binary_crossentropy, ops.sigmoid, y, z),
                                   1 / (1 + np.exp(-z)) - y, atol=1e-6)


class TestBaselines:
    def test_nearest_votes(self):
        images = np.concatenate([np.zeros((5, 4, 4, 3)), np.ones((5, 4, 4, 3))]).astype("float32")
        labels = np.repeat([[1.0, 0.0], [0.0, 1.0]], 5, axis=0)
        np.testing.assert_allclose(nearest_votes(images, labels, images[[0, 9]] + 0.01, k=5), [[1, 0], [0, 1]])

    def test_bag_of_words(self):
        data = text_data.make_datasets(200, seed=4)
        test = text_data.make_texts(200, seed=5)
        assert word_counts(data.tokens, text_data.VOCABULARY).sum(1).tolist() == [text_data.LENGTH] * len(data)
        scores = bag_of_words_scores(data.tokens, data.labels, test.tokens, text_data.VOCABULARY)
        assert scores.shape == (200, 4) and np.mean(roc_auc_per_head(test.truth, scores)) > 0.6


def tiny(outputs=2):
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(outputs)(keras.layers.Dense(4, activation="relu")(inputs)))


def test_shared_trainer_gives_each_run_a_fresh_start():
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    loss = keras.losses.BinaryCrossentropy(from_logits=True)

    def run(trainers, seed, rate=0.01):
        return trainers.train("tiny", tiny, loss, x, y, learning_rate=rate, seed=seed, steps=12, batch_size=16,
                              validate=lambda m: float(np.mean((predict(m, x) > 0) == y)), points=3)

    shared = Trainers()
    run(shared, 5, rate=0.1)  # another run before: its weights and Adam state must not leak
    model, steps, curve = run(shared, 1)
    alone, _, curve_alone = run(Trainers(), 1)
    assert steps == [4, 8, 12] and curve == curve_alone
    np.testing.assert_allclose(predict(model, x), predict(alone, x), rtol=1e-6)
    with pytest.raises(ValueError, match="at least points"):
        shared.train("tiny", tiny, loss, x, y, learning_rate=0.1, seed=0, steps=2, batch_size=8,
                     validate=lambda m: 0.0, points=3)
    assert forward_ms([model, alone], x, repeats=3) > 0


def test_imbalanced_data_and_vae():
    x, y = make_imbalanced(400, 10, seed=1)
    assert x.shape == (410, 16) and y.sum() == 10
    vae = fit_vae(x[y == 1], steps=5, seed=0)
    assert vae_samples(vae, 7).shape == (7, 16)


REQUIRED = (["differential.rows", "evidence.best.name", "softmax_all.map", "sigmoid_bce.map", "group_softmax.map",
             "two_networks.map", "two_networks.inference_ms.one", "two_networks.inference_ms.two",
             "logits_vs_sigmoid.saturated_gradient_probabilities", "inference_ms.shared", "inference_ms.separate"]
            + [f"masked_heads.{row}.roc_auc" for row in ("masked", "missing_as_zero", "separate", "weak_labels")]
            + [f"open_set.{row}.auroc" for row in ("softmax", "other_class", "gate")]
            + [f"ordinal.{row}.{m}" for row in ("ce", "distance_weighted", "coral", "regression")
               for m in ("mae", "qwk")]
            + ["vae_oversampling.vae.pr_auc", "vae_oversampling.plain.pr_auc"])


@pytest.mark.slow
def test_quick_run_shows_the_symptom_and_has_every_key(quick_run):
    from dlclinic.metrics_json import read_metrics

    build, done = quick_run(SLUG)
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    assert set(REQUIRED) <= flat_keys(metrics)
    symptom = metrics["softmax_all"]["symptom"]
    assert symptom["p_true_sum"] <= 1 and symptom["exact_at_half"] < 0.05, "one softmax: no output above 0.5"
    assert metrics["softmax_all"]["gradient"]["pushed_down_share"] > 0
    assert metrics["sigmoid_bce"]["treated"]["exact_at_half"] > symptom["exact_at_half"]
    assert metrics["head_report"]["reporter_problems"] >= 1 and min(metrics["head_report"]["slip_problems"]) >= 1
    assert metrics["logits_vs_sigmoid"]["saturated_gradient_probabilities"] == 0
    assert metrics["logits_vs_sigmoid"]["saturated_gradient_logits"] == pytest.approx(1.0)
    assert metrics["inference_ms"]["separate"] > metrics["inference_ms"]["shared"]
    assert all(len(metrics["masked_heads"][row]["roc_auc"]) == 4 for row in ("masked", "missing_as_zero"))
    assert_same_keys_as_full_record(metrics, SLUG)


def test_committed_full_record():
    from dlclinic.differential import Differential

    full = committed_full_record(SLUG)
    assert set(REQUIRED) <= flat_keys(full)
    assert full["settings"]["quick"] is False and full["run"]["seconds"] <= 45 * 60
    for key in ("differential", "masked_heads.differential", "open_set.differential", "ordinal.differential",
                "vae_oversampling.differential"):
        entry = full
        for part in key.split("."):
            entry = entry[part]
        for row in Differential.from_record(entry).rows.values():
            assert row.kind != "trained" or row.seeds >= 3, f"{key}: {row.name} has {row.seeds} seed(s)"
            assert math.isfinite(row.value), f"{key}: {row.name}"
