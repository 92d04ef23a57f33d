"""Run a case notebook as a learner's kernel would (IPython, no papermill): ``python run_notebook.py NOTEBOOK
RESULTS``. The ``parameters`` cell is replaced by quick mode, seed 0 and ``results_path=RESULTS``; the first
failing cell stops the run with exit status 1. Uses only what the learner package installs."""

import json
import sys
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell


def main(notebook: Path, results: Path) -> int:
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    shell = InteractiveShell.instance()
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = f"quick = True\nseed = 0\nresults_path = {str(results)!r}"
        if not shell.run_cell(source, store_history=False).success:
            print(f"{notebook.name}: code cell {index} failed", file=sys.stderr)
            return 1
    if not results.is_file():
        print(f"{notebook.name} ran but wrote no metrics to {results}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
