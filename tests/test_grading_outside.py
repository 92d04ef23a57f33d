"""Scores decided outside the kernel (issue 27): the hand-out codec, the checks' verdicts, the stubbed package.

Fast: no kernel and no nbgrader run; the toy's end-to-end runs are in tests/test_grading_lib.py (harness) and
tests/test_grading_sandbox.py (the sandboxed ``autograde``, with the attacks).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from harness import toy
from nbformat.v4 import new_code_cell, new_output

from dlclinic.grading.codec import Function, Opaque, decode, decode_all, encode, encode_all
from dlclinic.grading.handout import MIME, perturbed
from dlclinic.grading.outside import (
    Answers,
    ChecksError,
    Wrong,
    close,
    decide,
    decide_cells,
    draw_inputs,
    handed_out,
    load_checks,
    own_function,
    python_float,
    write_kernel_inputs,
)
from dlclinic.grading.stubs import StubError, stub_source, stubbed_package

ROOT = Path(__file__).resolve().parents[1]
UTILS = ROOT / "utils"


def _roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


def test_values_come_back_with_their_types():
    assert type(_roundtrip(0.5)) is float and type(_roundtrip(np.float64(0.5))) is np.float64
    assert type(_roundtrip(np.float32(0.5))) is np.float32 and type(_roundtrip(3)) is int
    assert _roundtrip(True) is True and _roundtrip(None) is None and _roundtrip("a") == "a"
    array = np.arange(6, dtype="float32").reshape(2, 3)
    back = _roundtrip({"a": [array, (1, 2.0)], 3: "x"})
    assert back["a"][1] == (1, 2.0) and back[3] == "x"
    assert back["a"][0].dtype == np.float32 and np.array_equal(back["a"][0], array)


def test_non_finite_floats_cross_as_strict_json():
    """Jupyter's messages are strict JSON (no Infinity, no NaN): an answer of ``float("inf")`` still comes back."""
    data = encode([math.inf, -math.inf, math.nan])
    back = decode(json.loads(json.dumps(data, allow_nan=False)))
    assert back[:2] == [math.inf, -math.inf] and math.isnan(back[2]) and all(type(v) is float for v in back)


def test_functions_say_where_they_were_defined_and_objects_only_their_type():
    namespace = {"__name__": "__main__"}
    exec("def mine(x):\n    return x\n\nclass Liar(float):\n    pass\n", namespace)
    assert _roundtrip(namespace["mine"]) == Function("__main__", "mine", "function")
    assert _roundtrip(np.mean) == Function("numpy", "mean", "callable")  # a NumPy dispatcher
    assert _roundtrip(namespace["Liar"](1.0)) == Opaque("__main__.Liar")  # a float that is not a float
    assert _roundtrip(np.array([object()], dtype=object)).error == "an array of Python objects"


@pytest.mark.parametrize(
    "data",
    [
        [1],
        {"t": "float", "v": "1.0"},
        {"t": "list", "v": 3},
        {"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none", "v": None}]]},
        {"t": "array", "npy": "not base64!"},
        {"t": "pickle", "v": "x"},
    ],
)
def test_decoding_refuses_what_encode_does_not_make(data):
    with pytest.raises(ValueError):
        decode(data)


def test_arrays_never_unpickle():
    import base64
    import io
    import pickle

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    forged = {"t": "array", "type": "numpy.ndarray", "npy": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(ValueError):
        decode(forged)
    assert pickle  # the forged array holds a pickle; decode refused it


def _cell(outputs, gid="test_x", points=2):
    meta = {"nbgrader": {"grade": True, "grade_id": gid, "locked": True, "points": points, "solution": False}}
    return new_code_cell("...", metadata=meta, outputs=outputs)


def _handout(**answers):
    return new_output("display_data", data={MIME: {"answers": encode_all(answers)}})


def test_hand_outs_are_read_from_the_cell_and_the_stop_is_named():
    cell = _cell([_handout(a=1.0), _handout(b=np.float64(2.0), a=3.0)])
    answers = handed_out(cell)
    assert answers == {"a": 3.0, "b": 2.0} and answers.types == {"a": "float", "b": "numpy.float64"}
    stopped = handed_out(_cell([new_output("error", ename="NotImplementedError", evalue="Your code", traceback=[])]))
    with pytest.raises(Wrong, match="no answer 'a' was handed out: the cell stopped at NotImplementedError"):
        stopped["a"]  # noqa: B018
    bad = _cell([new_output("display_data", data={MIME: {"answers": {"a": {"t": "pickle"}}}})])
    assert handed_out(bad).stopped == "a hand-out that is not the grader's data"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, (2.0, "")),
        (1, (1.0, "")),
        ((0.5, "half"), (0.5, "half")),
        (7, (2.0, "")),
        (float("nan"), (0.0, "the check gave nan points")),
        ((1, "a", "b"), (0.0, "ValueError: too many values to unpack (expected 2)")),
    ],
)
def test_a_check_gives_points(result, expected):
    assert decide(lambda inputs, answers: result, {}, Answers({}, {}), 2.0) == expected


def test_a_check_cannot_change_the_inputs_of_the_next_submission():
    inputs = {"x": np.zeros(3)}

    def greedy(inputs, answers):
        inputs["x"] += 1

    decide(greedy, inputs, Answers({}, {}), 1.0)
    assert np.array_equal(inputs["x"], np.zeros(3))


def test_a_failing_check_gives_no_points_and_says_why():
    def wrong(inputs, answers):
        raise Wrong("square(x) is wrong at 3 of 12 values")

    def crashes(inputs, answers):
        return answers["x"] + 1

    assert decide(wrong, {}, Answers({}, {}), 2.0) == (0.0, "square(x) is wrong at 3 of 12 values")
    points, message = decide(crashes, {}, Answers({"x": "s"}, {"x": "str"}), 2.0)
    assert points == 0.0 and message.startswith("TypeError: ")


def test_the_kernels_outputs_count_for_nothing_in_a_checked_cell():
    """A kernel that forges success (a partial-credit number, a cleared error) still gets only the verdict."""
    forged = [new_output("execute_result", data={"text/plain": "2"}, execution_count=1), _handout(x=1.0)]
    notebook = nbformat.v4.new_notebook(cells=[_cell(forged), _cell([], gid="test_legacy")])

    class Checks:
        cells = {"test_x": lambda inputs, answers: close("x", answers["x"], inputs["want"])}

    verdicts = decide_cells(notebook, Checks, {"want": 2.0})
    assert [(v.grade_id, v.points) for v in verdicts] == [("test_x", 0.0)]
    assert [o.output_type for o in notebook.cells[0].outputs] == ["error"]
    assert "x: wrong at 1 of 1 values" in notebook.cells[0].outputs[0].evalue
    assert notebook.cells[1].outputs == []  # a cell without a check keeps the kernel's outputs


def test_typed_answers_and_functions_of_the_notebook():
    answers = Answers({"f": 0.5, "g": np.float64(0.5)}, {"f": "float", "g": "numpy.float64"})
    assert python_float(answers, "f") == 0.5
    with pytest.raises(Wrong, match="should be a Python float; it was numpy.float64"):
        python_float(answers, "g")
    own = Answers({"fn": Function("__main__", "fn", "function")}, {"fn": "function"})
    own_function(own, "fn")
    imported = Answers({"fn": Function("dlclinic.pkg.metrics", "fn", "function")}, {"fn": "function"})
    with pytest.raises(Wrong, match="comes from dlclinic.pkg.metrics: write it yourself"):
        own_function(imported, "fn")


def test_the_kernel_gets_no_private_input(tmp_path):
    path = write_kernel_inputs({"x": np.ones(3), "_y": np.zeros(3)}, tmp_path / "inputs.json")
    assert list(decode_all(json.loads(path.read_text()))) == ["x"]


def test_the_toys_checks_fit_its_notebook_and_draw_new_inputs_per_seed():
    checks = load_checks(toy.source_path().parent)
    source = nbformat.read(toy.source_path(), as_version=4)
    tests = [c.metadata.nbgrader["grade_id"] for c in source.cells if c.metadata.get("nbgrader", {}).get("points")]
    assert checks.problems([t for t in tests if t.startswith("test_")]) == []
    assert checks.graded == ("dlclinic.ship_segmentation.diagnosis.predicted_positive_rate",)
    one, two = draw_inputs(checks, 1), draw_inputs(checks, 2)
    assert not np.array_equal(one["held_out_x"], two["held_out_x"])
    assert np.array_equal(one["held_out_x"], draw_inputs(checks, 1)["held_out_x"])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("GRADED = []\n", r"needs a function inputs\(rng\)"),
        ("GRADED = ['numpy.mean']\ndef inputs(rng):\n    return {}\n", "GRADED must be a list of dotted names"),
        ("import nothing_here\n", "cannot be loaded: ModuleNotFoundError"),
    ],
)
def test_a_broken_check_module_is_one_sentence(tmp_path, text, says):
    (tmp_path / "checks.py").write_text(text)
    with pytest.raises(ChecksError, match=says):
        load_checks(tmp_path)
    assert load_checks(tmp_path / "elsewhere") is None


def test_stubs_replace_definitions_in_the_source():
    source = (
        "import functools\n\n\n@functools.cache\ndef graded(x):\n    return x\n\n\n"
        "class Model:\n    pass\n\n\nalias = graded\n\n\ndef kept():\n    return graded(1)\n"
    )
    stubbed = stub_source(source, ["graded", "Model", "alias"], "m.py")
    namespace: dict = {}
    exec(stubbed, namespace)
    for name in ("graded", "Model", "alias"):
        with pytest.raises(NotImplementedError, match=f"{name} is graded: write it yourself"):
            namespace[name]()
    with pytest.raises(NotImplementedError):
        namespace["kept"]()  # the package's own callers get the stub too
    with pytest.raises(StubError, match="does not define missing at its top level"):
        stub_source(source, ["missing"], "m.py")


def test_the_sandboxs_package_has_no_graded_answer(tmp_path):
    copy = stubbed_package(UTILS, ["dlclinic.checks.positive_number"], tmp_path / "package")
    probe = (
        "import importlib\n"
        "from dlclinic import checks\n"
        "for attempt in (lambda: checks.positive_number('x', 1.0),\n"
        "                lambda: importlib.reload(checks).positive_number('x', 1.0)):\n"
        "    try:\n        attempt()\n    except NotImplementedError as error:\n        print(error)\n"
        "print(checks.positive_int('n', 3), checks.__file__)\n"
    )
    env = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[:2] == [lines[0]] * 2 and "positive_number is graded: write it yourself" in lines[0]
    assert lines[2] == f"3 {copy / 'dlclinic' / 'checks.py'}", lines  # the rest of the module works
    with pytest.raises(StubError, match="no module dlclinic.nothing"):
        stubbed_package(UTILS, ["dlclinic.nothing.f"], tmp_path / "other")


def test_perturbed_weights_are_restored():
    class Model:
        weights = [np.ones((2, 2), dtype="float32"), np.array([3], dtype="int64")]

        def get_weights(self):
            return [w.copy() for w in self.weights]

        def set_weights(self, weights):
            self.weights = weights

    model = Model()
    with perturbed(model):
        assert not np.allclose(model.weights[0], 1.0) and model.weights[1][0] == 3
    assert np.array_equal(model.weights[0], np.ones((2, 2))) and model.weights[0].dtype == np.float32
    with pytest.raises(TypeError, match="expected a Keras model"):
        with perturbed(object()):
            pass


def test_a_lookup_that_learned_nothing_fails_the_toys_training_check():
    """Issue 27's #8 as the toy's check sees it: the setup's points regenerated and looked up, a "model" with no
    weights; the grader's held-out points are new, and noise on the weights changes nothing."""
    from harness.attacks import LOOKUP

    checks = load_checks(toy.source_path().parent)
    inputs = draw_inputs(checks, 7)
    namespace = {"np": np}
    exec(LOOKUP, namespace)
    x = inputs["held_out_x"]
    probabilities = namespace["predict"](x)
    with perturbed(namespace["model"]):
        noisy = namespace["predict"](x)
    answers = Answers({"probabilities": probabilities, "perturbed": noisy}, {})
    points, message = decide(checks.cells["test_train_model"], inputs, answers, 2.0)
    assert points == 0 and "predict does not use the trained model" in message
