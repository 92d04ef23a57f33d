"""Unit tests for Case 1's package: the lectures, the metrics (against nltk), the imbalance tools, TextTiling."""

import subprocess
import sys

import numpy as np
import pytest
from nltk.metrics import segmentation as nltk_segmentation
from sklearn.metrics import f1_score
from sklearn.utils.class_weight import compute_class_weight

from dlclinic.metrics_json import read_metrics
from dlclinic.transcript_segmentation.baselines import constant, cosine_gap_scores, random_boundaries, texttiling
from dlclinic.transcript_segmentation.corpus import SNAPSHOT, read_snapshot, sentences_of, topic_sentences
from dlclinic.transcript_segmentation.data import CUE_PHRASES, make_documents, split_topics
from dlclinic.transcript_segmentation.diagnosis import flip_weight, threshold_rate
from dlclinic.transcript_segmentation.embeddings import TfidfSvdEncoder, load_universal_sentence_encoder
from dlclinic.transcript_segmentation.features import gap_features
from dlclinic.transcript_segmentation.metrics import (
    as_labels,
    boundary_prf,
    default_k,
    pk,
    segmentation_scores,
    windowdiff,
)
from dlclinic.transcript_segmentation.models import pad_documents
from dlclinic.transcript_segmentation.treatments import best_threshold, class_weights, output_bias_init


def as_string(labels):
    return "".join(str(int(v)) for v in labels)


class TestLectures:
    def test_corpus_is_prose_and_topics_are_disjoint(self):
        topics = topic_sentences()
        assert len(topics) >= 40
        assert all(len(s) >= 16 for s in topics.values())
        assert not any(">>>" in s or "==" in s for text in topics.values() for s in text)
        split = split_topics(0)
        assert not set(split["train"]) & set(split["test"]) and not set(split["val"]) & set(split["test"])
        assert sorted(split["train"] + split["val"] + split["test"]) == sorted(topics)

    def test_the_frozen_snapshot_is_what_the_lectures_read(self):
        frozen = read_snapshot(SNAPSHOT)
        assert SNAPSHOT.stat().st_size < 200_000 and len(frozen) >= 40
        assert topic_sentences() == frozen
        docs = make_documents(3, split_topics(0)["train"], seed=2)
        every = {s for text in frozen.values() for s in text}
        assert all(s in every for doc in docs.sentences for s in doc)

    def test_freeze_command_rebuilds_the_snapshot(self, tmp_path):
        # a fresh process: modules imported by others (Keras) add members, and docstrings, to some stdlib modules
        out = tmp_path / "corpus.json.gz"
        module = "dlclinic.transcript_segmentation.corpus"
        done = subprocess.run([sys.executable, "-m", module, "--freeze", "--output", str(out)], capture_output=True)
        assert done.returncode == 0, done.stderr
        if sys.version_info[:2] == (3, 11):  # the snapshot was frozen from Python 3.11's docstrings
            assert out.read_bytes() == SNAPSHOT.read_bytes()
        else:
            assert len(read_snapshot(out)) >= 40

    def test_sentence_splitter_drops_code_and_fragments(self):
        text = "This sentence has more than six words in it. Short one.\n\n>>> x = 1\nThis line is code-like too."
        assert sentences_of(text) == ["This sentence has more than six words in it."]

    def test_boundary_rate_segments_and_determinism(self):
        topics = split_topics(0)["train"]
        docs = make_documents(40, topics, seed=3)
        assert 0.08 < docs.boundary_rate < 0.12  # the reporter's 90/10
        again = make_documents(40, topics, seed=3)
        assert docs.sentences == again.sentences
        assert all(np.array_equal(a, b) for a, b in zip(docs.labels, again.labels, strict=True))
        assert docs.sentences != make_documents(40, topics, seed=4).sentences
        for labels, names, sentences in zip(docs.labels, docs.topics, docs.sentences, strict=True):
            assert labels[0] == 0 and labels.sum() == 9 and len(sentences) == len(labels)
            starts = np.r_[0, np.flatnonzero(labels), len(labels)]
            assert np.diff(starts).min() >= 3 and np.diff(starts).max() <= 15  # no empty or short segments
            assert all(a != b for a, b in zip(names[:-1], names[1:], strict=True))

    def test_cue_phrases_at_a_controlled_rate_keep_the_lectures(self):
        topics = split_topics(0)["train"]
        plain = make_documents(60, topics, seed=3)
        cued = make_documents(60, topics, seed=3, cue_rate=0.5)
        assert plain.sentences == make_documents(60, topics, seed=3, cue_rate=0.0).sentences
        assert all(np.array_equal(a, b) for a, b in zip(plain.labels, cued.labels, strict=True))
        labels = np.concatenate(cued.labels)
        flat_plain = [s for doc in plain.sentences for s in doc]
        flat_cued = [s for doc in cued.sentences for s in doc]
        has_cue = np.array([c != p for c, p in zip(flat_cued, flat_plain, strict=True)])
        assert all(
            any(c == f"{q} {p}" for q in CUE_PHRASES)
            for c, p in zip(np.array(flat_cued)[has_cue], np.array(flat_plain)[has_cue], strict=True)
        )
        assert 0.4 < has_cue[labels == 1].mean() < 0.6  # cue_rate at the boundaries
        assert 0.03 < has_cue[labels == 0].mean() < 0.07  # a tenth of it elsewhere
        with pytest.raises(ValueError, match="cue_rate"):
            make_documents(2, topics, cue_rate=1.5)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="at least two corpus topics"):
            make_documents(2, ["not-a-module"])
        with pytest.raises(ValueError, match="min_length"):
            make_documents(2, split_topics(0)["train"], min_length=5, max_length=4)


class TestMetrics:
    def test_match_nltk_on_random_sequences(self):
        rng = np.random.default_rng(0)
        for _ in range(300):
            n = int(rng.integers(1, 70))
            ref = (rng.random(n) < rng.uniform(0, 0.4)).astype(int)
            hyp = (rng.random(n) < rng.uniform(0, 0.6)).astype(int)
            r, h = as_string(ref), as_string(hyp)
            assert pk(ref, hyp) == pytest.approx(nltk_segmentation.pk(r, h), abs=1e-12)
            k = int(rng.integers(0, n + 1))
            assert pk(r, list(hyp), k) == pytest.approx(nltk_segmentation.pk(r, h, k), abs=1e-12)
            assert windowdiff(ref, h, k) == pytest.approx(nltk_segmentation.windowdiff(r, h, k), abs=1e-12)
            assert windowdiff(ref, hyp) == pytest.approx(nltk_segmentation.windowdiff(r, h, default_k(ref)))

    def test_nltk_doc_examples(self):  # REFERENCES.md, Case 1
        assert f"{pk('0100' * 100, '1' * 400, 2):.2f}" == "0.50"
        assert windowdiff("000100000010", "000010000100", 3) == pytest.approx(0.3)
        assert windowdiff("000010000100", "100000010000", 3) == pytest.approx(0.8)

    def test_off_by_one_has_zero_f1_but_a_good_pk(self):
        ref = np.zeros(100, dtype=int)
        ref[[10, 20, 30, 40, 50, 60, 70, 80, 90]] = 1
        late = np.roll(ref, 1)
        assert boundary_prf(ref, late)["f1"] == 0
        assert pk(ref, late) < 0.25 < pk(ref, np.zeros_like(ref))

    def test_boundary_prf_matches_sklearn_and_scores_pool_documents(self):
        rng = np.random.default_rng(1)
        ref, hyp = (rng.random(200) < 0.1).astype(int), (rng.random(200) < 0.2).astype(int)
        assert boundary_prf(ref, hyp)["f1"] == pytest.approx(f1_score(ref, hyp))
        s = segmentation_scores([ref[:100], ref[100:]], [hyp[:100], hyp[100:]])
        assert set(s) == {"pk", "windowdiff", "f1", "pr_auc"}
        assert s["f1"] == pytest.approx(f1_score(ref, hyp))

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("0102", "0000"), "string of '0' and '1'"),
            (([0, 1], [0, 1, 0]), "same length"),
            (([[0, 1]], [[0, 1]]), "1-D"),
            (("0101", "0101", 9), "k must be"),
        ],
    )
    def test_bad_input_is_named_in_the_error(self, args, message):
        with pytest.raises(ValueError, match=message):
            pk(*args)

    def test_as_labels_accepts_strings_lists_and_arrays(self):
        for value in ("0110", [0, 1, 1, 0], np.array([0, 1, 1, 0])):
            np.testing.assert_array_equal(as_labels("x", value), [0, 1, 1, 0])


class TestImbalanceTools:
    def test_class_weights_are_sklearns_balanced(self):
        y = np.r_[np.zeros(90), np.ones(10)]
        w = class_weights(y)
        assert w == pytest.approx({0: 100 / 180, 1: 5.0})  # REFERENCES.md: 0.556 and 5.0 at 10%
        assert [w[0], w[1]] == pytest.approx(compute_class_weight("balanced", classes=np.array([0, 1]), y=y))
        with pytest.raises(ValueError, match="both classes"):
            class_weights(np.zeros(5))

    def test_output_bias_init_is_the_log_odds(self):
        assert output_bias_init(np.r_[np.zeros(90), np.ones(10)]) == pytest.approx(-2.1972, abs=1e-4)
        with pytest.raises(ValueError, match="only 0 and 1"):
            output_bias_init([0, 2])

    def test_best_threshold_maximises_f1(self):
        rng = np.random.default_rng(2)
        y = (rng.random(300) < 0.1).astype(int)
        s = np.clip(0.1 + 0.2 * y + rng.normal(0, 0.1, 300), 0, 1).round(2)
        t = best_threshold(y, s)
        best = max(f1_score(y, s >= c) for c in np.unique(s))
        assert f1_score(y, s >= t) == pytest.approx(best)
        assert best_threshold([0, 0, 1, 1, 0, 1, 0, 0], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.05, 0.3]) == 0.35
        with pytest.raises(ValueError, match="same shape"):
            best_threshold([0, 1], [0.5])


class TestDiagnosis:
    def test_flip_weight_takes_the_largest_threshold_that_reaches_the_base_rate(self):
        s = [0.05, 0.2, 0.2, 0.6, 0.1, 0.3, 0.0, 0.9]
        assert flip_weight(s, 0.3) == pytest.approx(0.7 / 0.3)  # t = 0.3 keeps 3 of 8
        assert flip_weight(s, 0.5) == pytest.approx(4.0)  # t = 0.2: the tie keeps 5 of 8
        assert flip_weight([0.0, 0.0, 0.1], 0.5) == float("inf")
        assert flip_weight([1.0, 0.2, 0.1], 0.3) == 0.0
        assert type(flip_weight(np.array(s), 0.5)) is float
        rng = np.random.default_rng(0)
        for _ in range(50):
            scores, rate = rng.beta(0.5, 3, 200).round(2), float(rng.uniform(0.01, 0.9))
            w = flip_weight(scores, rate)
            t = 1 / (1 + w)  # the cut, up to rounding
            assert np.mean(scores >= t - 1e-9) >= rate > np.mean(scores > t + 1e-9)

    @pytest.mark.parametrize(
        ("scores", "rate", "message"),
        [
            ([], 0.1, "at least one"),
            ([0.2, 1.2], 0.1, r"\[0, 1\]"),
            ([0.2], 0.0, "open interval"),
            ([0.2], 1.0, "open interval"),
        ],
    )
    def test_flip_weight_bad_input(self, scores, rate, message):
        with pytest.raises(ValueError, match=message):
            flip_weight(scores, rate)

    def test_threshold_rate_is_the_identity_cut(self):
        assert threshold_rate([0.05, 0.1, 0.25, 0.5], 3.0) == pytest.approx(0.5)  # cut at 0.25
        with pytest.raises(ValueError, match="weight must be positive"):
            threshold_rate([0.1], 0.0)


class TestBaselinesAndFeatures:
    def test_cosine_gap_scores_peak_at_a_topic_change(self):
        e = np.vstack([np.tile([1.0, 0.0], (4, 1)), np.tile([0.0, 1.0], (4, 1))])
        for window in (1, 2):
            scores = cosine_gap_scores(e, window)
            assert scores[0] == 0 and int(np.argmax(scores)) == 4 and scores[4] == pytest.approx(1.0)

    def test_texttiling_returns_labels_and_survives_short_texts(self):
        docs = make_documents(2, split_topics(0)["test"], seed=5)
        labels = texttiling(docs.sentences[0], w=20, k=6)
        assert labels.shape == docs.labels[0].shape and set(np.unique(labels)) <= {0, 1} and labels[0] == 0
        assert not texttiling(["One short sentence here."]).any()

    @pytest.mark.parametrize(("w", "k"), [(20, 6), (10, 6), (5, 3), (3, 1)])
    def test_texttiling_scores_gaps_exactly_as_nltk(self, w, k):
        from nltk.tokenize.texttiling import TextTilingTokenizer
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from dlclinic.transcript_segmentation.baselines import _TextTilingTokenizer

        text = "\n\n".join(make_documents(1, split_topics(0)["test"], seed=7).sentences[0])
        options = {"w": w, "k": k, "stopwords": sorted(ENGLISH_STOP_WORDS), "demo_mode": True}
        ours, nltks = _TextTilingTokenizer(**options).tokenize(text), TextTilingTokenizer(**options).tokenize(text)
        assert [list(a) for a in ours] == [list(b) for b in nltks]  # gap, smoothed and depth scores; boundaries

    def test_trivial_segmenters(self):
        assert constant(5, 1).tolist() == [1] * 5 and not constant(5, 0).any()
        assert random_boundaries(1000, 0.1, np.random.default_rng(0)).mean() == pytest.approx(0.1, abs=0.03)
        with pytest.raises(ValueError, match="value must be 0 or 1"):
            constant(3, 2)

    def test_gap_features_see_a_topic_change(self):
        e = np.vstack([np.tile([1.0, 0.0], (4, 1)), np.tile([0.0, 1.0], (4, 1))])
        f = gap_features(e, window=2)
        assert f.shape == (8, 2 + 2 + 2)
        assert f[4, -2] == pytest.approx(0.0) and f[3, -2] == pytest.approx(1.0)  # similarity across the gap
        assert f[4, -1] == pytest.approx(0.0)

    def test_encoder_and_padding(self):
        sentences = [s for text in list(topic_sentences().values())[:10] for s in text]
        vectors = TfidfSvdEncoder(8).fit(sentences).encode(sentences[:5])
        assert vectors.shape == (5, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
        padded, mask = pad_documents([np.ones((2, 3)), np.ones((4, 3))])
        assert padded.shape == (2, 4, 3) and mask.sum() == 6 and not padded[0, 2:].any()

    def test_universal_sentence_encoder_is_opt_in(self):
        try:
            import tensorflow_hub  # noqa: F401
        except ImportError:
            with pytest.raises(ImportError, match="tensorflow_hub"):
                load_universal_sentence_encoder()


NEW_KEYS = {
    "cosine_gap": {"pk", "windowdiff", "f1"},
    "cue_rate": {"pk", "f1"},
    "oversampling": {"positive_rate"},
    "overlay": {"measured_rate", "threshold_rate"},
}


def check_metric_keys(metrics):
    for name in ["reporter", "texttiling", "all_zero", "all_one", "best", "cosine_gap"]:
        assert set(metrics[name]) >= {"pk", "windowdiff", "f1", "pr_auc"}, name
    for key, inner in NEW_KEYS.items():
        entries = metrics[key] if key == "cosine_gap" else list(metrics[key].values())
        for entry in [entries] if key == "cosine_gap" else entries:
            assert set(entry) >= inner, key
    assert "0" in metrics["cue_rate"] and len(metrics["cue_rate"]) >= 3
    assert {"sweep", "treatments", "differential", "headline", "settings"} <= set(metrics)


def test_committed_full_record_has_the_quick_keys():
    from dlclinic.full_runs import load_full_record

    record = load_full_record("01-transcript-segmentation")
    if record is None:
        pytest.skip("no full run recorded yet")
    check_metric_keys(record)
    assert record["settings"]["quick"] is False and record["settings"]["seeds"] == 3


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("01-transcript-segmentation")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "01-transcript-segmentation.json")
    check_metric_keys(metrics)
    assert metrics["reporter"]["f1"] < 0.05, "the symptom: the reporter's model predicts (almost) no boundary"
    sweep = metrics["sweep"]
    assert sweep["w1=1"]["positive_rate"] < 0.05 and sweep["w1=81"]["positive_rate"] > 0.95, "the all-0/all-1 flip"
    overlay = metrics["overlay"]  # the weighted models and the unweighted scores cut at 1/(1+w) flip together
    for curve in ("measured_rate", "threshold_rate"):
        assert overlay["w1=1"][curve] < 0.05 and overlay["w1=81"][curve] > 0.95, curve
    for k, entry in metrics["oversampling"].items():  # oversampling flips where the class weight does
        assert abs(entry["positive_rate"] - metrics["overlay"][f"w1={k[1:]}"]["measured_rate"]) < 0.2, k
    assert metrics["cue_rate"]["0.5"]["f1"] > metrics["cue_rate"]["0"]["f1"], "cues help the per-sentence model"
    assert metrics["best"]["pk"] < metrics["texttiling"]["pk"]
    assert metrics["best"]["f1"] > metrics["reporter"]["f1"]
    assert metrics["best"]["f1"] > metrics["all_one"]["f1"]
    assert metrics["headline"]["fix_vs_baseline"] > 1


def test_training_is_deterministic_for_a_seed():
    from dlclinic.transcript_segmentation.experiment import evaluate, prepare, train_sentence_model

    data = prepare(12, 4, 4, seed=1, dim=16)
    first, second = (
        train_sentence_model("context", data, epochs=1, seed=7, context=True, verbose=False) for _ in range(2)
    )
    for a, b in zip(first.test_scores, second.test_scores, strict=True):
        np.testing.assert_array_equal(a, b)
    assert set(evaluate(data["test"].labels, first.test_scores)) == {
        "pk",
        "windowdiff",
        "f1",
        "pr_auc",
        "positive_rate",
    }


def test_the_bilstm_stops_on_the_validation_loss():
    from dlclinic.transcript_segmentation.experiment import prepare, train_bilstm

    data = prepare(12, 4, 4, seed=1, dim=16)
    run = train_bilstm("bilstm", data, epochs=40, seed=0, patience=1, verbose=False)
    assert len(run.val_loss) == len(run.loss) < 40, "a 40-epoch run on 12 lectures should stop early"
    lengths = [len(labels) for labels in data["test"].labels]
    assert [len(scores) for scores in run.test_scores] == lengths
