"""What the knowledge-base benchmarks share: the demo corpus, the evaluation set, the synonym file.

The corpus reader here is deliberately small (front matter of ``key: value`` lines and a flow
list of tags, as resources/demo/kb/ is written; see ../shared/data/README.md): the baselines
and the tests read the articles with it, so they do not depend on the engine under test.
Frontline's own index is built with ``app.search.load_markdown_dir``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KB_DIR = ROOT / "resources" / "demo" / "kb"
EVAL_FILE = Path(__file__).resolve().parent / "data" / "kb_eval.jsonl"
SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "kb_synonyms.txt"

LANGS = ("ru", "uk", "en")
KINDS = ("keyword", "inflected", "typo", "synonym", "chat", "uk_to_ru")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    lang: str
    tags: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class EvalQuery:
    qid: str
    lang: str
    kind: str
    query: str
    relevant: tuple[str, ...]


def read_doc(path: Path) -> Doc:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise ValueError(f"{path.name}: no front matter")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    tags = tuple(t.strip() for t in meta.get("tags", "[]").strip("[]").split(",") if t.strip())
    return Doc(id=meta["id"], title=meta["title"], lang=meta["lang"], tags=tags, body=body.strip())


def read_corpus(directory: Path = KB_DIR) -> list[Doc]:
    return [read_doc(p) for p in sorted(directory.glob("*.md"))]


def read_eval(path: Path = EVAL_FILE) -> list[EvalQuery]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                EvalQuery(
                    qid=str(row["qid"]),
                    lang=str(row["lang"]),
                    kind=str(row["kind"]),
                    query=str(row["query"]),
                    relevant=tuple(str(i) for i in row["relevant"]),
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path.name}:{n}: {e}") from e
    return out


def read_synonyms(path: Path = SYNONYMS_FILE) -> list[tuple[str, ...]]:
    """One group per line, terms separated by commas; ``#`` comments and blank lines skipped."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        groups.append(tuple(t.strip() for t in line.split(",") if t.strip()))
    return groups


def search_scope(lang: str) -> tuple[str, ...]:
    """The languages a query in ``lang`` may be answered in (issue 5: Ukrainian falls back to Russian)."""
    return ("uk", "ru") if lang == "uk" else (lang,)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))
    return s[k]
