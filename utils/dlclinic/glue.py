"""``glue(name, value, display=True)``: store a value in the notebook's outputs for the book's prose to quote.

The same outputs as ``myst_nb.glue`` (which the book's build reads), without needing Jupyter Book where a
learner runs the notebook (Colab, Binder, a laptop): a ``scrapbook`` metadata entry naming the value, and the
value's display data, under the ``application/papermill.record/`` prefix when it is not to be shown.
"""

from __future__ import annotations

from typing import Any

from IPython.core.formatters import format_display_data
from IPython.display import display as ipy_display

HIDDEN_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Glue ``variable`` under ``name``; ``display=False`` stores it without showing it."""
    mimebundle, metadata = format_display_data(variable)
    prefix = "" if display else HIDDEN_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + key: value for key, value in mimebundle.items()}, raw=True, metadata=metadata)
