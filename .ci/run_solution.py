"""Run an assignment's solution as a learner who solved the release would (IPython, no nbgrader): ``python
run_solution.py NOTEBOOK``, from the assignment's folder (its patients beside it). Hidden tests are left out, as
nbgrader's release leaves them out; the visible tests run. The first failing cell stops the run with exit status 1.
Uses only what the learner package installs."""

import json
import sys
import time
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def released(source: str) -> str:
    """The cell as the learner gets it: without the lines between the hidden-test markers."""
    while BEGIN in source:
        head, rest = source.split(BEGIN, 1)
        source = head + rest.split(END, 1)[1]
    return source


def main(notebook: Path) -> int:
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    shell = InteractiveShell.instance()
    start = time.perf_counter()
    for index, cell in enumerate(cells):
        if not shell.run_cell(released("".join(cell["source"])), store_history=False).success:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            print(f"{notebook.name}: code cell {index} ({grade_id}) failed", file=sys.stderr)
            return 1
    print(f"{notebook.name}: {len(cells)} code cells in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
