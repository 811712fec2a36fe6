"""Knowledge-base relevance: Frontline's search against a plain full-text baseline, same queries.

    python -m bench.kb_relevance [--scope lang|all] [--no-synonyms] [--failures] [--quick]

The corpus is the demo knowledge base (resources/demo/kb/, 72 articles in ru, uk and en);
the queries are bench/data/kb_eval.jsonl (one JSON object a line: ``qid``, ``lang``,
``kind``, ``query``, ``relevant`` = the ids of the articles that answer it, judged from the
article texts). Kinds:

- ``keyword``:   words as the articles write them (a sanity check: both should do well);
- ``inflected``: other grammatical forms (``пожаром в квартире``, ``поверненням товарів``);
- ``typo``:      one or two typos in a word (``востановить пароль``, ``trackng my ordr``);
- ``synonym``:   words the article does not use, listed in bench/data/kb_synonyms.txt;
- ``chat``:      whole customer questions as typed in a chat (lower case, no punctuation);
- ``uk_to_ru``:  Ukrainian queries whose only answer is a Russian article.

Engines, both over the same articles (title, tags, body):

- ``frontline``: ``app.search.SearchIndex`` with the synonym file, ``search(query, lang=L)``;
- ``baseline``:  SQLite FTS5, default tokenizer (unicode61, no stemming), ``bm25()`` ranking,
  the query's whitespace-separated words each quoted as an FTS string and OR-ed.

Scope (``--scope lang``, the default): a query in L searches articles in L, a Ukrainian one
Ukrainian and Russian (issue 5's fallback). The baseline gets the same language filter (it
has no notion of preferring Ukrainian over Russian: bm25 alone decides). ``--scope all``
searches every article for both (``lang=None``).

Figures: recall@3 (share of a query's relevant ids in the top 3, averaged over queries) and
MRR (1 / rank of the first relevant id in the top 10, 0 if none), overall, per kind and per
language. The last line is one JSON object (DESIGN.md, benchmark conventions).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench._kb import (
    KB_DIR,
    KINDS,
    LANGS,
    SYNONYMS_FILE,
    Doc,
    EvalQuery,
    read_corpus,
    read_eval,
    read_synonyms,
    search_scope,
)

LIMIT = 10
Searcher = Callable[[EvalQuery], list[str]]


# ---------------------------------------------------------------------- the engines


def fts_match_expression(query: str) -> str:
    """The query's words, each an FTS5 string (``"`` doubled), OR-ed; '' if there are none."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in query.split())


class Fts5Baseline:
    def __init__(self, docs: Sequence[Doc]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE kb USING fts5(id UNINDEXED, lang UNINDEXED, title, tags, body)")
        self.db.executemany(
            "INSERT INTO kb (id, lang, title, tags, body) VALUES (?, ?, ?, ?, ?)",
            [(d.id, d.lang, d.title, " ".join(d.tags), d.body) for d in docs],
        )

    def search(self, query: str, langs: Sequence[str] | None, limit: int = LIMIT) -> list[str]:
        expr = fts_match_expression(query)
        if not expr:
            return []
        sql = "SELECT id FROM kb WHERE kb MATCH ?"
        params: list[Any] = [expr]
        if langs:
            sql += f" AND lang IN ({','.join('?' * len(langs))})"
            params += list(langs)
        sql += " ORDER BY bm25(kb) LIMIT ?"
        params.append(limit)
        return [r[0] for r in self.db.execute(sql, params)]


# issue 5, "Bad input": each must give results or a clear empty answer, never an exception
BAD_INPUTS = (
    "",
    "   ",
    "x" * 10_000,
    "пароль " * 2_000,
    '"',
    'пароль "возврат',
    "пароль*",
    "NEAR(пароль возврат)",
    "-возврат",
    "title:пароль",
    "'; DROP TABLE kb; --",
    "1 OR 1=1",
    "AND OR NOT",
    "(((",
    "\\x00\x00",
    "🙂🙂🙂",
)


def bad_input_errors(search: Callable[..., Any]) -> list[str]:
    """The bad inputs on which ``search(query, lang=...)`` raises, with the exception."""
    errors = []
    for q in BAD_INPUTS:
        for lang in (None, "uk"):
            try:
                search(q, lang=lang, limit=LIMIT)
            except Exception as e:  # any exception is the finding
                errors.append(f"{q[:30]!r} lang={lang}: {type(e).__name__}: {e}"[:200])
    return errors


# A proposal for the web chat's bot first line (issue 5): offer the top article only when
# the search is "confident": the top hit is in the customer's language, scores at least
# BOT_MIN_SCORE and at least BOT_MIN_MARGIN times the second hit's score. The table printed
# by bot_table() is what these values were chosen from (precision ≥ 0.95 on all queries,
# 1.0 on the chat ones, at about half of them answered).
BOT_MIN_SCORE = 4.0
BOT_MIN_MARGIN = 1.3


@dataclass
class TopTwo:
    q: EvalQuery
    top_id: str
    top_lang: str
    top: float
    second: float


def bot_confident(t: TopTwo, min_score: float = BOT_MIN_SCORE, min_margin: float = BOT_MIN_MARGIN) -> bool:
    return t.top_lang == t.q.lang and t.top >= min_score and (t.second <= 0 or t.top >= min_margin * t.second)


def bot_table(tops: list[TopTwo]) -> tuple[list[str], dict[str, float]]:
    """Coverage (share of queries the bot would answer) and precision (share of those whose
    offered article answers the query), over all queries and the chat ones, for a few rules."""
    lines = [f"{'min score':>9} {'margin':>6}   {'all: coverage / precision':>26}   {'chat: coverage / precision':>27}"]
    chosen: dict[str, float] = {}
    for min_score in (2.0, 4.0, 6.0, 8.0):
        for margin in (1.0, 1.3, 1.6, 2.0):
            figures = []
            for sel in (tops, [t for t in tops if t.q.kind == "chat"]):
                yes = [t for t in sel if bot_confident(t, min_score, margin)]
                cov = len(yes) / len(sel) if sel else 0.0
                prec = sum(t.top_id in t.q.relevant for t in yes) / len(yes) if yes else 0.0
                figures += [cov, prec]
            mark = " <- BOT_MIN_SCORE, BOT_MIN_MARGIN" if (min_score, margin) == (BOT_MIN_SCORE, BOT_MIN_MARGIN) else ""
            if mark:
                chosen = {
                    "bot_coverage": round(figures[0], 3),
                    "bot_precision": round(figures[1], 3),
                    "bot_chat_coverage": round(figures[2], 3),
                    "bot_chat_precision": round(figures[3], 3),
                }
            lines.append(
                f"{min_score:9.1f} {margin:6.1f}   {figures[0]:12.2f} / {figures[1]:<11.2f}"
                f"   {figures[2]:13.2f} / {figures[3]:<11.2f}{mark}"
            )
    return lines, chosen


def _frontline(scope: str, synonyms: bool) -> tuple[Searcher, int, list[str], Callable[[EvalQuery], TopTwo | None]]:
    from app.search import SearchIndex, load_markdown_dir

    articles, errors = load_markdown_dir(KB_DIR)
    if errors:
        raise SystemExit(f"load_markdown_dir reported errors on the demo corpus: {errors}")
    index = SearchIndex(synonyms=read_synonyms(SYNONYMS_FILE) if synonyms else ())
    for a in articles:
        index.add(a)

    def search(q: EvalQuery) -> list[str]:
        return [h.id for h in index.search(q.query, lang=q.lang if scope == "lang" else None, limit=LIMIT)]

    def top_two(q: EvalQuery) -> TopTwo | None:
        hits = index.search(q.query, limit=2)  # the bot does not know the language: detected
        if not hits:
            return None
        return TopTwo(q, hits[0].id, hits[0].lang, hits[0].score, hits[1].score if len(hits) > 1 else 0.0)

    return search, len(articles), bad_input_errors(index.search), top_two


def _baseline(scope: str, docs: Sequence[Doc]) -> Searcher:
    fts = Fts5Baseline(docs)

    def search(q: EvalQuery) -> list[str]:
        return fts.search(q.query, search_scope(q.lang) if scope == "lang" else None)

    return search


# ---------------------------------------------------------------------- the figures


@dataclass
class Scored:
    q: EvalQuery
    ranked: list[str]
    recall3: float
    rr: float


def score(q: EvalQuery, ranked: list[str]) -> Scored:
    rel = set(q.relevant)
    recall3 = len(rel & set(ranked[:3])) / len(rel)
    rr = next((1.0 / (i + 1) for i, h in enumerate(ranked[:LIMIT]) if h in rel), 0.0)
    return Scored(q, ranked, recall3, rr)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def aggregate(rows: list[Scored]) -> dict[str, float]:
    return {
        "n": len(rows),
        "recall_at_3": round(_mean([r.recall3 for r in rows]), 4),
        "mrr": round(_mean([r.rr for r in rows]), 4),
    }


def _groups(rows: list[Scored]) -> dict[str, list[Scored]]:
    out: dict[str, list[Scored]] = {"overall": rows}
    for k in KINDS:
        out[f"kind={k}"] = [r for r in rows if r.q.kind == k]
    for lang in LANGS:
        out[f"lang={lang}"] = [r for r in rows if r.q.lang == lang]
    for lang in LANGS:
        for k in KINDS:
            sel = [r for r in rows if r.q.lang == lang and r.q.kind == k]
            if sel:
                out[f"{lang}/{k}"] = sel
    return out


def _run(search: Searcher, queries: list[EvalQuery]) -> tuple[list[Scored], float]:
    t0 = time.perf_counter()
    rows = [score(q, search(q)) for q in queries]
    return rows, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.kb_relevance", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--scope",
        choices=("lang", "all"),
        default="lang",
        help="lang: search the query's language (uk also ru); all: every article, for both engines",
    )
    p.add_argument("--no-synonyms", action="store_true", help="Frontline without the synonym file")
    p.add_argument("--failures", action="store_true", help="list every query Frontline misses in its top 3")
    p.add_argument("--quick", action="store_true", help="accepted for symmetry; the run takes seconds anyway")
    args = p.parse_args(argv)

    docs = read_corpus()
    queries = read_eval()
    known = {d.id for d in docs}
    unknown = sorted({i for q in queries for i in q.relevant} - known)
    if unknown:
        raise SystemExit(f"kb_eval.jsonl names articles that do not exist: {unknown}")

    fl_search, n_articles, bad, top_two = _frontline(args.scope, not args.no_synonyms)
    fl_rows, fl_s = _run(fl_search, queries)
    base_rows, base_s = _run(_baseline(args.scope, docs), queries)

    print(
        f"{len(queries)} queries over {n_articles} articles, scope={args.scope}, "
        f"synonyms {'off' if args.no_synonyms else SYNONYMS_FILE.name}; "
        f"frontline {fl_s * 1000 / len(queries):.2f} ms/query, baseline {base_s * 1000 / len(queries):.2f} ms/query"
    )
    print(f"{'':18} {'n':>4}   {'recall@3 frontline / baseline':>30}   {'MRR frontline / baseline':>26}")
    fl_groups, base_groups = _groups(fl_rows), _groups(base_rows)
    per: dict[str, dict[str, float]] = {}
    for name, rows in fl_groups.items():
        if not rows:
            continue
        a, b = aggregate(rows), aggregate(base_groups[name])
        per[name] = {
            "n": a["n"],
            "recall_at_3": a["recall_at_3"],
            "mrr": a["mrr"],
            "baseline_recall_at_3": b["recall_at_3"],
            "baseline_mrr": b["mrr"],
        }
        if name.startswith(("ru/", "uk/", "en/")) and not args.failures:
            continue
        print(
            f"{name:18} {a['n']:>4}   {a['recall_at_3']:>14.3f} / {b['recall_at_3']:<13.3f}"
            f"   {a['mrr']:>12.3f} / {b['mrr']:<11.3f}"
        )

    if args.failures:
        titles = {d.id: d.title for d in docs}
        print("\nFrontline misses (a relevant id not in the top 3):")
        for r, b in zip(fl_rows, base_rows, strict=True):
            if r.recall3 < 1.0:
                print(
                    f"  {r.q.qid} [{r.q.lang}/{r.q.kind}] {r.q.query!r} wants {','.join(r.q.relevant)}; "
                    f"got {r.ranked[:3]} (baseline {b.ranked[:3]})"
                    f" top1={titles.get(r.ranked[0], '-') if r.ranked else '-'}"
                )

    tops = [t for t in map(top_two, queries) if t is not None]
    bot_lines, bot = bot_table(tops)
    print("\nbot first line: offer the top hit when it is in the query's language, scores >= min score")
    print("and >= margin x the second hit (language detected from the query, as a customer's first message)")
    for line in bot_lines:
        print(line)
    print(f"bad inputs ({len(BAD_INPUTS)} queries x 2 scopes): {len(bad)} raised an exception")
    for line in bad:
        print(f"  {line}")
    overall, base = per["overall"], per["overall"]
    ratio = overall["recall_at_3"] / base["baseline_recall_at_3"] if base["baseline_recall_at_3"] else None
    print(f"\nrecall@3 frontline/baseline ratio {ratio:.2f}" if ratio else "\nbaseline recall@3 is 0")
    summary: dict[str, Any] = {
        "bench": "kb_relevance",
        "scope": args.scope,
        "synonyms": not args.no_synonyms,
        "queries": len(queries),
        "articles": n_articles,
        "recall_at_3": overall["recall_at_3"],
        "mrr": overall["mrr"],
        "baseline_recall_at_3": overall["baseline_recall_at_3"],
        "baseline_mrr": overall["baseline_mrr"],
        "recall_ratio": round(ratio, 3) if ratio else None,
        "bad_input_errors": len(bad),
        **bot,
        "per_kind": {k.removeprefix("kind="): v for k, v in per.items() if k.startswith("kind=")},
        "per_lang": {k.removeprefix("lang="): v for k, v in per.items() if k.startswith("lang=")},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
