"""The assertions that graded test cells use: a wrong answer reads as one sentence saying what was expected."""

import numpy as np
import pytest

from dlclinic.assertions import assert_close, assert_number


def test_assert_number_accepts_scalars_and_names_an_array_shape():
    assert assert_number("f()", np.float32(0.5)) == 0.5 and assert_number("f()", 3) == 3.0
    with pytest.raises(AssertionError, match=r"f\(\) should be one number \(a float\); got ndarray of shape \(1,\)"):
        assert_number("f()", np.array([0.5]))
    with pytest.raises(AssertionError, match="got dict"):
        assert_number("f()", {0: 1.0})


def test_assert_close_names_the_shapes():
    with pytest.raises(AssertionError, match=r"expected shape \(\); got \(1,\)"):
        assert_close("f()", [0.5], 0.5)
