"""The run records of the build, in one place: ``build/results.json`` and the committed full runs.

``results.json`` holds ``{"cases": {slug: {"mode", "seconds", "device", "metrics"}}, "timings": {slug: {mode:
{"seconds", "device", "date", "peak_host_mib", "peak_gpu_mib", "headline"}}}}``: ``cases`` is each case's last
run, ``timings`` its last run in each mode. ``benchmarks/full/<slug>.json`` is a case's metrics JSON from a full
run plus a ``run`` object (``date``, ``device``, ``commit``, ``seconds``, ``peak_host_mib``). Both are checked
against the JSON Schemas in ``schemas/`` whenever they are read or written here.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema

MODES = ("quick", "full")
FULL_RECORDS = Path("benchmarks", "full")


class RecordError(ValueError):
    """A results file or a full record that is missing its shape, with a sentence naming the file and the fault."""


def _schema(name: str) -> dict:
    return json.loads(files("dlclinic.build").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8"))


def validate(data: object, schema: str, where: str) -> dict:
    """Return ``data`` if it fits ``schemas/<schema>.schema.json``, else raise ``RecordError`` naming ``where``."""
    try:
        jsonschema.validate(data, _schema(schema))
    except jsonschema.ValidationError as error:
        at = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise RecordError(f"{where}: {error.message} (at {at})") from None
    return data  # type: ignore[return-value]


def read_json(path: Path, schema: str) -> dict:
    """Read ``path`` and check it against ``schema``; ``RecordError`` if it is not valid JSON or does not fit."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RecordError(f"{path} is not valid JSON: {error}") from None
    return validate(data, schema, str(path))


def write_json(path: Path, data: dict, schema: str | None = None) -> None:
    """Write ``data`` as indented, key-sorted JSON (checked against ``schema`` first), creating the folder."""
    if schema is not None:
        validate(data, schema, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def timing_from_case(record: dict) -> dict:
    """The timing a ``results.json`` case record implies (date and memory unknown)."""
    return {
        "seconds": float(record["seconds"]),
        "device": record.get("device"),
        "date": None,
        "peak_host_mib": None,
        "peak_gpu_mib": None,
        "headline": (record.get("metrics") or {}).get("headline") or {},
    }


def timings_of(results: dict) -> dict[str, dict[str, dict]]:
    """The per-mode timings of a ``results.json``; one written before they existed gets them from its cases."""
    if "timings" in results:
        return results["timings"]
    return {slug: {record["mode"]: timing_from_case(record)} for slug, record in results["cases"].items()}


def load_results(path: Path) -> dict:
    """``results.json`` at ``path``, validated; an absent file is an empty one."""
    if not Path(path).is_file():
        return {"cases": {}, "timings": {}}
    return read_json(path, "results")


def merge_results(results: dict, records: dict[str, dict], timings: dict[str, dict] | None = None) -> dict:
    """Return ``results`` with the cases in ``records`` replaced and their (case, mode) timings updated.

    ``timings`` (``{slug: {mode: timing}}``) are the new runs' measured timings; without them they are derived
    from ``records`` (no date or memory). Other cases, and other modes of the same case, are kept as they were.
    """
    merged = {slug: dict(modes) for slug, modes in timings_of(results).items()}
    new = timings if timings is not None else {slug: {r["mode"]: timing_from_case(r)} for slug, r in records.items()}
    for slug, modes in new.items():
        merged.setdefault(slug, {}).update(modes)
    return {**results, "cases": {**results.get("cases", {}), **records}, "timings": merged}


def full_record(metrics: dict, run: dict) -> dict:
    """A committed full run: the case's metrics JSON and its ``run`` (date, device, commit, seconds, peak)."""
    return validate({**metrics, "run": run}, "full-record", "the full record")


def load_full_records(folder: Path = FULL_RECORDS) -> dict[str, dict]:
    """Every committed full run ``folder/<slug>.json``, validated, by case slug; an absent folder holds none."""
    return {path.stem: read_json(path, "full-record") for path in sorted(Path(folder).glob("*.json"))}
