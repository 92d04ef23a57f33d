"""Real English text available offline: the docstrings of standard-library modules, one module = one topic.

The docstrings change from one Python version to the next, so the lectures are built from a frozen snapshot
shipped with the package (``corpus.json.gz``, read by :func:`topic_sentences`). It was made with Python 3.11
from the modules in ``MODULES``; to regenerate it from the running Python's own docstrings::

    python -m dlclinic.transcript_segmentation.corpus --freeze
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import inspect
import json
import re
import sys
import warnings
from functools import cache
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("corpus.json.gz")

# Modules with long prose docstrings; the fixed order makes every split reproducible.
MODULES: tuple[str, ...] = tuple(
    """
    argparse asyncio base64 bisect calendar cmd codecs collections concurrent.futures configparser contextlib
    copy csv dataclasses datetime decimal difflib doctest email enum fileinput fnmatch fractions ftplib
    functools gettext glob gzip hashlib heapq hmac html.parser http.client http.cookiejar http.server imaplib
    inspect ipaddress json locale logging lzma mailbox mimetypes multiprocessing numbers optparse os pathlib pdb
    pickle pkgutil platform plistlib poplib pprint profile pstats queue random re sched secrets selectors shelve
    shlex shutil signal smtplib socket socketserver sqlite3 ssl statistics string struct subprocess tarfile
    tempfile textwrap threading timeit tokenize trace traceback turtle typing unittest urllib.parse
    urllib.request uuid warnings wave weakref webbrowser xml.dom.minidom xml.etree.ElementTree zipfile zoneinfo
    """.split()
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_CODE_LIKE = re.compile(r">>>|\.\.\.\s|[{}\[\]=<>`\\|]|\(\)|::|__\w+__|\w+\.\w+\(|^\W")


def sentences_of(text: str) -> list[str]:
    """Split prose into sentences, dropping code, doctests and fragments (3 to 40 words, ends with a period)."""
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.splitlines()]
        if any(line.startswith(">>>") or line.startswith("$ ") for line in lines):
            continue
        flat = " ".join(line for line in lines if line)
        for sentence in _SENTENCE_END.split(flat):
            words = sentence.split()
            if 6 <= len(words) <= 40 and sentence.endswith(".") and not _CODE_LIKE.search(sentence):
                out.append(sentence)
    return out


def _docstrings(module) -> list[str]:
    texts = [inspect.getdoc(module) or ""]
    for name, member in sorted(vars(module).items()):
        if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(member) or inspect.isfunction(member):
            texts.append(inspect.getdoc(member) or "")
            if inspect.isclass(member):
                for attr, method in sorted(vars(member).items()):
                    if not attr.startswith("_") and inspect.isfunction(method):
                        texts.append(inspect.getdoc(method) or "")
    return texts


def stdlib_topics(min_sentences: int = 16) -> dict[str, tuple[str, ...]]:
    """Map each usable module of the running Python to its distinct prose sentences (what the snapshot holds)."""
    topics = {}
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # e.g. a build without turtle's tkinter
            continue
        seen, kept = set(), []
        with warnings.catch_warnings():  # typing's deprecated aliases warn when their docstrings are read
            warnings.simplefilter("ignore", DeprecationWarning)
            texts = _docstrings(module)
        for text in texts:
            for sentence in sentences_of(text):
                if sentence not in seen:
                    seen.add(sentence)
                    kept.append(sentence)
        if len(kept) >= min_sentences:
            topics[name] = tuple(kept)
    return topics


def freeze(path: str | Path = SNAPSHOT) -> Path:
    """Write :func:`stdlib_topics` of the running Python to ``path`` as gzip-compressed JSON (byte-reproducible)."""
    payload = {"python": ".".join(map(str, sys.version_info[:3])), "topics": stdlib_topics()}
    text = json.dumps(payload, ensure_ascii=False, indent=0).encode("utf-8")
    path = Path(path)
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    return path


def read_snapshot(path: str | Path = SNAPSHOT) -> dict[str, tuple[str, ...]]:
    """The topics of a snapshot written by :func:`freeze`: module name -> its sentences."""
    payload = json.loads(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("topics"), dict):
        raise ValueError(f"{path} must hold a JSON object with a 'topics' mapping")
    return {name: tuple(sentences) for name, sentences in payload["topics"].items()}


@cache
def topic_sentences() -> dict[str, tuple[str, ...]]:
    """The frozen corpus every lecture is built from (cached): module name -> its distinct prose sentences."""
    return read_snapshot(SNAPSHOT)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--freeze", action="store_true", help="rebuild the snapshot from this Python's docstrings")
    parser.add_argument("--output", default=str(SNAPSHOT), help="where to write it (default: the package's copy)")
    args = parser.parse_args(argv)
    if not args.freeze:
        parser.error("nothing to do: pass --freeze")
    path = freeze(args.output)
    topics = read_snapshot(path)
    sentences = sum(map(len, topics.values()))
    print(f"wrote {path}: {len(topics)} topics, {sentences} sentences, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
