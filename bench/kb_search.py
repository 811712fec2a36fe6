"""Knowledge-base search speed: Frontline's SearchIndex against tantivy, same corpus, same queries.

    python -m bench.kb_search [--articles 50000] [--queries 500] [--quick] [--seed N]

A deterministic generator (``random.Random(seed)``) makes a synthetic corpus from the
vocabulary of the demo knowledge base (resources/demo/kb/): per language (ru/uk/en mixed
as in the demo, 30:22:20), words are drawn by their frequency in the real articles, and
about a third of them are re-inflected: the word's ending is cut off and replaced by
another ending of the same paradigm (``полис`` → ``полисом``, ``повернення`` → ``поверненням``,
``refund`` → ``refunded``), so the index holds many forms of each stem, as a real
knowledge base does. Each article: a title of 3–8 content words, 2–4 tags, a body of
100–140 words (~120). The query set (default 500) is drawn from the articles by the same
generator, in five kinds: ``exact`` (title words), ``inflected`` (title words in other
forms), ``typo`` (one or two edits in one or two words), ``chat`` (a 6–10 word sentence
with function words) and ``body`` (words from the body).

Measured, in one process pinned to one core (``os.sched_setaffinity``), engines one after
the other on the same articles and queries:

- ``frontline``: ``app.search.SearchIndex``: build = ``add_many()`` of every article (``add()``
  of each if the engine has no bulk path; the first query is timed separately, in case the
  index finishes lazily); each query ``search(q, lang=L, limit=10)``;
- ``tantivy`` (the ``tantivy`` package, the reference engine): an in-memory index, default
  tokenizer (no stemming), one writer thread; build = add + commit + reload; each query
  the query's words OR-ed over title (boost 2), tags and body, filtered to the same
  languages (uk queries: uk and ru); and ``tantivy-fuzzy``: the same with Levenshtein
  distance 1 on every word (tantivy's own typo tolerance).

Per query: wall time and process CPU time, each the best of ``--repeat`` runs of the whole
query set (default 3; the machines here are shared, and a query preempted once says
nothing about the engine). Printed: build time, p50/p95 for each, ratios
against the targets of issue 5 (p95 ≤ 10 ms per query at 50,000 articles on one core,
build ≤ 60 s) and against tantivy, and as a sanity check the share of queries whose
source article is in the top 10. The last line is one JSON object (DESIGN.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench._kb import percentile, read_corpus, search_scope

TARGET_P95_MS = 10.0
TARGET_BUILD_S = 60.0
DEFAULT_SEED = 20261130
LANG_WEIGHTS = {"ru": 30, "uk": 22, "en": 20}  # the demo corpus's mix
INFLECT_SHARE = 0.35
LIMIT = 10

# Paradigms (ending sets): a word whose ending is the longest match in one of them gets
# its other forms from the same set. Crude morphology (no stress, no alternations), but
# the forms are the ones a stemmer or lemmatiser has to bring together.
PARADIGMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ru": (
        ("ый", "ая", "ое", "ые", "ого", "ому", "ым", "ую", "ых", "ыми"),  # hard adjectives
        ("ий", "яя", "ее", "ие", "его", "ему", "им", "юю", "их", "ими"),  # soft adjectives
        ("ать", "ает", "ают", "ала", "али", "аем", "аете"),  # -ать verbs
        ("ить", "ит", "ят", "ила", "или", "им", "ите"),  # -ить verbs
        ("а", "ы", "е", "у", "ой", "ам", "ами", "ах"),  # hard feminine nouns
        ("ия", "ии", "ию", "ией", "иям", "иями", "иях"),  # -ия nouns
        ("ение", "ения", "ению", "ением", "ении", "ений", "ениям", "ениями"),  # -ение nouns
    ),
    "uk": (
        ("ий", "а", "е", "і", "ого", "ому", "им", "ої", "у", "их", "ими"),  # adjectives
        ("ати", "ає", "ають", "ала", "али", "аємо", "аєте"),  # -ати verbs
        ("ити", "ить", "ять", "ила", "или", "имо", "ите"),  # -ити verbs
        ("а", "и", "і", "у", "ою", "ам", "ами", "ах"),  # hard feminine nouns
        ("ія", "ії", "ію", "ією", "ій", "іям", "іями", "іях"),  # -ія nouns
        ("ння", "нню", "нням", "нні", "нь", "нями", "нях"),  # -ння nouns
    ),
}
CONSONANT_ENDINGS = {  # nouns ending in a consonant (``номер``, ``банк``)
    "ru": ("а", "у", "ом", "ы", "ов", "ами", "ах", "е"),
    "uk": ("а", "у", "ом", "и", "ів", "ами", "ах", "і"),
}
ALPHABET = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
    "en": "abcdefghijklmnopqrstuvwxyz",
}
WORD_RE = re.compile(r"[^\W\d_](?:[\w']*[^\W\d_])?")


# ---------------------------------------------------------------------- the generator


@dataclass(frozen=True)
class SynArticle:
    id: str
    lang: str
    title: str
    tags: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class SynQuery:
    kind: str
    lang: str
    text: str
    source: str  # the article the words were drawn from


class Vocabulary:
    """One language's words with their corpus frequencies and their inflected forms."""

    def __init__(self, lang: str, counts: Counter[str], function_words: set[str]) -> None:
        self.lang = lang
        self.words = sorted(counts)  # sorted: the order must not depend on hashing
        self.cum: list[float] = []
        total = 0.0
        for w in self.words:
            total += counts[w]
            self.cum.append(total)
        self.content = [w for w in self.words if len(w) >= 4]
        self.content_cum: list[float] = []
        total = 0.0
        for w in self.content:
            total += counts[w]
            self.content_cum.append(total)
        self.forms = {w: _forms(lang, w) for w in self.words if w not in function_words}

    def sample(self, rng: random.Random, k: int, content: bool = False) -> list[str]:
        if content:
            return rng.choices(self.content, cum_weights=self.content_cum, k=k)
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def inflect(self, rng: random.Random, word: str) -> str:
        forms = self.forms.get(word)
        return rng.choice(forms) if forms else word


VOWELS = set("аеёиоуыэюяіїєьй'aeiouy")
FUNCTION_DF = 0.4  # words in at least 40% of a language's articles (якщо, within) are left uninflected


def _forms(lang: str, word: str) -> tuple[str, ...]:
    if len(word) < 5 or not word.isalpha():
        return (word,)
    if lang == "en":
        stem = word
        for e in ("ing", "ed", "es", "s"):
            if e == "es" and not word.endswith(("ses", "xes", "ches", "shes")):
                continue
            if word.endswith(e) and len(word) - len(e) >= 4:
                stem = word[: -len(e)]
                break
        if stem.endswith(("ly", "ss", "ous", "ful", "al")):  # adverbs, adjectives
            return (word,)
        if stem.endswith("e"):
            forms = {stem, stem + "s", stem + "d", stem[:-1] + "ing"}
        elif stem.endswith("y") and stem[-2] not in VOWELS:
            forms = {stem, stem[:-1] + "ies", stem[:-1] + "ied", stem + "ing"}
        else:
            forms = {stem, stem + "s", stem + "ed", stem + "ing"}
        return tuple(sorted({word, *forms}))
    if word.endswith(("ся", "сь")):  # reflexive verbs: left alone
        return (word,)
    best: tuple[str, tuple[str, ...]] | None = None
    for endings in PARADIGMS[lang]:
        for e in endings:
            if word.endswith(e) and len(word) - len(e) >= 3 and (best is None or len(e) > len(best[0])):
                best = (e, endings)
    if best is not None:
        stem, endings = word[: -len(best[0])], best[1]
    elif word[-1] not in VOWELS and not word.endswith(("ів", "ов", "ев", "ей", "л", "в", "ш", "ть")):
        # a consonant-final noun (not a genitive plural, a past-tense or infinitive verb)
        stem, endings = word, CONSONANT_ENDINGS[lang]
    else:
        return (word,)
    return tuple(sorted({word, *(stem + e for e in endings)}))


def vocabularies() -> dict[str, Vocabulary]:
    counts: dict[str, Counter[str]] = {lang: Counter() for lang in LANG_WEIGHTS}
    df: dict[str, Counter[str]] = {lang: Counter() for lang in LANG_WEIGHTS}
    docs: Counter[str] = Counter()
    for d in read_corpus():
        words = [w.lower() for w in WORD_RE.findall(f"{d.title} {' '.join(d.tags)} {d.body}")]
        counts[d.lang].update(words)
        df[d.lang].update(set(words))
        docs[d.lang] += 1
    return {
        lang: Vocabulary(lang, c, {w for w, n in df[lang].items() if n >= FUNCTION_DF * docs[lang]})
        for lang, c in counts.items()
    }


def _words(rng: random.Random, vocab: Vocabulary, k: int, content: bool = False) -> list[str]:
    out = vocab.sample(rng, k, content)
    return [vocab.inflect(rng, w) if rng.random() < INFLECT_SHARE else w for w in out]


def generate_corpus(n: int, seed: int = DEFAULT_SEED, vocabs: dict[str, Vocabulary] | None = None) -> list[SynArticle]:
    """``n`` synthetic articles; the same ``(n, seed)`` gives the same articles."""
    vocabs = vocabs or vocabularies()
    rng = random.Random(seed)
    langs = sorted(LANG_WEIGHTS)
    lang_cum = []
    total = 0
    for lang in langs:
        total += LANG_WEIGHTS[lang]
        lang_cum.append(total)
    out = []
    for i in range(n):
        lang = rng.choices(langs, cum_weights=lang_cum)[0]
        v = vocabs[lang]
        title = " ".join(_words(rng, v, rng.randint(3, 8), content=True)).capitalize()
        tags = tuple(dict.fromkeys(v.sample(rng, rng.randint(2, 4), content=True)))
        body_words = _words(rng, v, rng.randint(100, 140))
        # sentences of 8-16 words, as articles are written
        sentences, j = [], 0
        while j < len(body_words):
            step = rng.randint(8, 16)
            sentences.append(" ".join(body_words[j : j + step]).capitalize() + ".")
            j += step
        out.append(SynArticle(f"syn-{i + 1:06d}", lang, title, tags, " ".join(sentences)))
    return out


def typo(rng: random.Random, word: str, lang: str, edits: int) -> str:
    """``word`` with ``edits`` random edits (substitution, deletion, insertion, transposition)."""
    letters = ALPHABET[lang]
    w = list(word)
    for _ in range(edits):
        if len(w) < 3:
            break
        op = rng.randrange(4)
        i = rng.randrange(1, len(w) - 1)  # keep the first letter, as most typos do
        if op == 0:
            w[i] = rng.choice(letters)
        elif op == 1:
            del w[i]
        elif op == 2:
            w.insert(i, rng.choice(letters))
        else:
            w[i], w[i + 1] = w[i + 1], w[i]
    return "".join(w)


KINDS = ("exact", "inflected", "typo", "chat", "body")


def generate_queries(
    articles: Sequence[SynArticle], n: int, seed: int = DEFAULT_SEED, vocabs: dict[str, Vocabulary] | None = None
) -> list[SynQuery]:
    """``n`` queries drawn from ``articles``, the kinds in turn; deterministic for ``(articles, n, seed)``."""
    vocabs = vocabs or vocabularies()
    rng = random.Random(seed + 1)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        a = articles[rng.randrange(len(articles))]
        v = vocabs[a.lang]
        title = [w.lower() for w in WORD_RE.findall(a.title)]
        picked = rng.sample(title, min(len(title), rng.randint(2, 3)))
        if kind == "inflected":
            words = [v.inflect(rng, w) for w in picked]
        elif kind == "typo":
            words = list(picked)
            long_ones = [j for j, w in enumerate(words) if len(w) >= 5] or [0]
            for j in rng.sample(long_ones, min(len(long_ones), rng.randint(1, 2))):
                words[j] = typo(rng, words[j], a.lang, 1 if len(words[j]) < 8 else rng.randint(1, 2))
        elif kind == "chat":
            words = picked[:2] + v.sample(rng, rng.randint(4, 8))
            rng.shuffle(words)
        elif kind == "body":
            body = [w.lower() for w in WORD_RE.findall(a.body) if len(w) >= 4]
            words = rng.sample(body, min(len(body), rng.randint(2, 4)))
        else:
            words = picked
        out.append(SynQuery(kind, a.lang, " ".join(words), a.id))
    return out


# ---------------------------------------------------------------------- the engines


@dataclass
class Result:
    name: str
    build_s: float
    build_cpu_s: float
    first_query_ms: float
    wall_ms: list[float]
    cpu_ms: list[float]
    found: int  # queries whose source article is in the top 10
    kinds: list[str]
    first_cpu_ms: list[float]  # each query's CPU time in the first run of the set (caches cold)

    def p(self, q: float, cpu: bool = False) -> float:
        return percentile(self.cpu_ms if cpu else self.wall_ms, q)

    def p95_by_kind(self, cpu: bool = False) -> dict[str, float]:
        times = self.cpu_ms if cpu else self.wall_ms
        return {
            k: round(percentile([t for t, kk in zip(times, self.kinds, strict=True) if kk == k], 95), 3)
            for k in KINDS
            if k in self.kinds
        }


def _measure(
    name: str, build: Callable[[], Callable[[SynQuery], list[str]]], queries: Sequence[SynQuery], repeat: int
) -> Result:
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    search = build()
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    search(queries[0])
    first = (time.perf_counter() - t0) * 1000
    wall = [math.inf] * len(queries)
    cpu = [math.inf] * len(queries)
    first_cpu = [math.inf] * len(queries)
    found = 0
    for rep in range(repeat):  # the whole set in turn, each query's best time kept: scheduler noise out
        for i, q in enumerate(queries):
            c0, t0 = time.process_time(), time.perf_counter()
            ids = search(q)
            t1, c1 = time.perf_counter(), time.process_time()
            wall[i] = min(wall[i], (t1 - t0) * 1000)
            cpu[i] = min(cpu[i], (c1 - c0) * 1000)
            if rep == 0:
                found += q.source in ids
                first_cpu[i] = (c1 - c0) * 1000
    return Result(name, build_s, build_cpu, first, wall, cpu, found, [q.kind for q in queries], first_cpu)


def frontline_engine(articles: Sequence[SynArticle]) -> Callable[[], Callable[[SynQuery], list[str]]]:
    from app.search import Article, SearchIndex

    objs = [Article(a.id, a.title, a.body, a.lang, tags=a.tags) for a in articles]  # not timed

    def build() -> Callable[[SynQuery], list[str]]:
        index = SearchIndex()
        add_many = getattr(index, "add_many", None)  # the engine's bulk path when it has one
        if add_many is not None:
            add_many(objs)
        else:
            for o in objs:
                index.add(o)

        def search(q: SynQuery) -> list[str]:
            return [h.id for h in index.search(q.text, lang=q.lang, limit=LIMIT)]

        return search

    return build


def tantivy_engine(articles: Sequence[SynArticle], fuzzy: bool) -> Callable[[], Callable[[SynQuery], list[str]]]:
    import tantivy

    def build() -> Callable[[SynQuery], list[str]]:
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("lang", tokenizer_name="raw")
        sb.add_text_field("title")
        sb.add_text_field("tags")
        sb.add_text_field("body")
        schema = sb.build()
        index = tantivy.Index(schema)  # in memory
        writer = index.writer(heap_size=256_000_000, num_threads=1)
        for a in articles:
            writer.add_document(
                tantivy.Document(id=a.id, lang=a.lang, title=a.title, tags=" ".join(a.tags), body=a.body)
            )
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        fields = ["title", "tags", "body"]
        fuzzy_fields = {f: (False, 1, True) for f in fields} if fuzzy else None

        def search(q: SynQuery) -> list[str]:
            words = WORD_RE.findall(q.text.replace("'", " "))  # no query-language syntax left
            if not words:
                return []
            text_q = index.parse_query(" ".join(words), fields, field_boosts={"title": 2.0}, fuzzy_fields=fuzzy_fields)
            lang_q = tantivy.Query.term_set_query(schema, "lang", list(search_scope(q.lang)))
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_q), (tantivy.Occur.Must, lang_q)])
            return [searcher.doc(addr)["id"][0] for _, addr in searcher.search(query, LIMIT).hits]

        return search

    return build


# ---------------------------------------------------------------------- the run


def _pin_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to cpu {cpu}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.kb_search", description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=None, help="corpus size (default 50,000; 5,000 with --quick)")
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--quick", action="store_true", help="5,000 articles: a run under a minute")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--repeat", type=int, default=3, help="runs of the query set; each query's best time is kept")
    args = p.parse_args(argv)
    n = args.articles or (5_000 if args.quick else 50_000)
    if n < 1 or args.queries < 1 or args.repeat < 1:
        p.error("--articles, --queries and --repeat must be positive")

    pinned = _pin_one_core()
    t0 = time.perf_counter()
    vocabs = vocabularies()
    articles = generate_corpus(n, args.seed, vocabs)
    queries = generate_queries(articles, args.queries, args.seed, vocabs)
    words = sum(len(a.body.split()) for a in articles) / len(articles)
    mix = Counter(a.lang for a in articles)
    print(
        f"{n} articles ({', '.join(f'{k} {mix[k]}' for k in sorted(mix))}; {words:.0f} body words on average; "
        f"vocabulary {sum(len(v.words) for v in vocabs.values())} words), {len(queries)} queries, "
        f"generated in {time.perf_counter() - t0:.1f} s; {pinned}",
        flush=True,
    )

    results = [
        _measure("frontline", frontline_engine(articles), queries, args.repeat),
        _measure("tantivy", tantivy_engine(articles, fuzzy=False), queries, args.repeat),
        _measure("tantivy-fuzzy", tantivy_engine(articles, fuzzy=True), queries, args.repeat),
    ]
    print(
        f"{'engine':14} {'build s':>8} {'cpu s':>7} {'1st ms':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p50 cpu':>8} {'p95 cpu':>8} {'found@10':>9}"
    )
    for r in results:
        print(
            f"{r.name:14} {r.build_s:8.2f} {r.build_cpu_s:7.2f} {r.first_query_ms:7.2f} {r.p(50):7.2f} "
            f"{r.p(95):7.2f} {r.p(50, True):8.2f} {r.p(95, True):8.2f} {r.found / len(queries):9.2f}"
        )
    fl, tv, tvf = results
    print("p95 ms by query kind, wall: " + "; ".join(f"{r.name} {r.p95_by_kind()}" for r in results))
    print("p95 ms by query kind, CPU: " + "; ".join(f"{r.name} {r.p95_by_kind(cpu=True)}" for r in results))
    print(
        "first run of the query set (caches cold: snippet text, typo candidates, new words' lemmas), CPU p50/p95 ms: "
        + "; ".join(
            f"{r.name} {percentile(r.first_cpu_ms, 50):.2f}/{percentile(r.first_cpu_ms, 95):.2f}" for r in results
        )
    )
    scale = f" (targets are for 50,000 articles; this run has {n})" if n != 50_000 else ""
    print(
        f"frontline p95 {fl.p(95):.2f} ms / target {TARGET_P95_MS:.0f} ms = {fl.p(95) / TARGET_P95_MS:.2f}; "
        f"build {fl.build_s:.1f} s / target {TARGET_BUILD_S:.0f} s = {fl.build_s / TARGET_BUILD_S:.2f}{scale}"
    )
    print(
        f"frontline / tantivy: p95 {fl.p(95) / tv.p(95):.1f}x, p95 cpu {fl.p(95, True) / tv.p(95, True):.1f}x, "
        f"build {fl.build_s / tv.build_s:.1f}x; / tantivy-fuzzy: p95 {fl.p(95) / tvf.p(95):.1f}x"
    )
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary: dict[str, Any] = {
        "bench": "kb_search",
        "articles": n,
        "queries": len(queries),
        "seed": args.seed,
        "build_s": round(fl.build_s, 3),
        "build_cpu_s": round(fl.build_cpu_s, 3),
        "first_query_ms": round(fl.first_query_ms, 3),
        "p50_ms": round(fl.p(50), 3),
        "p95_ms": round(fl.p(95), 3),
        "p50_cpu_ms": round(fl.p(50, True), 3),
        "p95_cpu_ms": round(fl.p(95, True), 3),
        "p95_ms_by_kind": fl.p95_by_kind(),
        "p95_cpu_ms_by_kind": fl.p95_by_kind(cpu=True),
        "first_run_p95_cpu_ms": round(percentile(fl.first_cpu_ms, 95), 3),
        "found_at_10": round(fl.found / len(queries), 3),
        "tantivy_build_s": round(tv.build_s, 3),
        "tantivy_p50_ms": round(tv.p(50), 3),
        "tantivy_p95_ms": round(tv.p(95), 3),
        "tantivy_p95_cpu_ms": round(tv.p(95, True), 3),
        "tantivy_found_at_10": round(tv.found / len(queries), 3),
        "tantivy_fuzzy_p95_ms": round(tvf.p(95), 3),
        "tantivy_fuzzy_found_at_10": round(tvf.found / len(queries), 3),
        "p95_target_ratio": round(fl.p(95) / TARGET_P95_MS, 3),
        "build_target_ratio": round(fl.build_s / TARGET_BUILD_S, 3),
        "p95_vs_tantivy": round(fl.p(95) / tv.p(95), 2) if tv.p(95) else None,
        "targets_met": fl.p(95) <= TARGET_P95_MS and fl.build_s <= TARGET_BUILD_S,
        "max_rss_mb": round(maxrss_mb),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
