"""dlclinic.glue writes the same outputs as myst_nb.glue, which the book's build reads."""

from __future__ import annotations

import pytest
from IPython.display import Markdown

from dlclinic import glue as ours


def captured(monkeypatch, module, name, value, display) -> list:
    calls = []
    monkeypatch.setattr(module, "ipy_display", lambda *args, **kwargs: calls.append((args, kwargs)))
    module.glue(name, value, display=display)
    return calls


@pytest.mark.parametrize("value", [0.123456, "a sentence", Markdown("| a |\n|---|\n| 1 |")])
@pytest.mark.parametrize("display", [True, False])
def test_same_outputs_as_myst_nb(monkeypatch, value, display) -> None:
    theirs = pytest.importorskip("myst_nb.ext.glue")
    assert captured(monkeypatch, ours, "x", value, display) == captured(monkeypatch, theirs, "x", value, display)
