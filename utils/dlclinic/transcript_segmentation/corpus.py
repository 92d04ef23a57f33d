"""Real English text available offline: the docstrings of standard-library modules, one module = one topic."""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from functools import cache

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


@cache
def topic_sentences(min_sentences: int = 16) -> dict[str, tuple[str, ...]]:
    """Map each usable module name to its distinct prose sentences (cached: the text never changes in a run)."""
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
