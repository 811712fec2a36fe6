"""The in-memory knowledge base index: BM25F over title, tags and body, with lemmas,
typo tolerance, synonyms, language tiers and highlighted snippets.

docs/architecture.md, "Knowledge base search", explains the choices. Layout, for speed
for speed: every article gets a document number (ascending, never reused); each term has
parallel arrays of document numbers (sorted), packed field frequencies and the
precomputed BM25F saturation ``tf~ / (k1 + tf~)``, so a query is, per term, one NumPy
scatter-add of ``idf * weight * impact`` into a dense array of scores, then a partition
for the best ones.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, count, repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from app.search.analysis import (
    _FOLDED_WORD,
    LANGS,
    STOPWORDS,
    Lemmatizer,
    default_lemmatizer,
    detect_langs,
    fold,
    script,
    word_spans,
    words,
)
from app.search.typos import TypoIndex

if TYPE_CHECKING:
    import numpy as np

# BM25F parameters: field weights and length normalisation, and the saturation k1.
TITLE_WEIGHT = 3.0
TAGS_WEIGHT = 2.0
BODY_WEIGHT = 1.0
TITLE_B = 0.5
TAGS_B = 0.3
BODY_B = 0.75
K1 = 1.2
# Weights of the words a query word is widened to (the word's own lemmas weigh 1).
SYNONYM_WEIGHT = 0.8
TYPO_WEIGHTS = {1: 0.7, 2: 0.5}
COGNATE_WEIGHTS = {1: 0.6, 2: 0.45}
# A hit in the fallback language (uk <-> ru) weighs this much of its score.
FALLBACK_FACTOR = 0.8
FALLBACK = {"uk": "ru", "ru": "uk"}
# A same-language hit "answers" the query when it matches at least this share of the
# query words' weight; weaker ones are ranked with the fallback-language hits.
ANSWER_COVERAGE = 0.7
# A term in more than this share of the articles is not scored (its idf is close to
# nothing) when the query has rarer words; it still counts for coverage and snippets.
COMMON_SHARE = 0.3
COMMON_MIN_ARTICLES = 500
# Bounds on what a query may cost.
QUERY_MAX_CHARS = 1000
QUERY_MAX_WORDS = 32
LIMIT_MAX = 100
SNIPPET_CHARS = 200
SURFACES_PER_TERM = 100
SURFACES_BY_FIND = 24  # up to this many written forms are located with str.find
# Field frequencies are packed into one int, 10 bits each.
_TF_BITS = 10
_TF_MAX = (1 << _TF_BITS) - 1
_TF_MASK = _TF_MAX
# add_many appends the postings of this many articles at a time (its flat temporary
# arrays take ~100 bytes per posting: ~25 MB for 2,000 articles of 120 words).
_BATCH_DOCS = 2000
# Recompute the stored saturations when an average field length moved this much.
_AVG_DRIFT = 0.05

_LANG_CODE = {lang: i for i, lang in enumerate(LANGS)}
# Document numbers: 8-byte ints, read by NumPy through the buffer protocol without a
# copy (NumPy indexes with 8-byte ints: 4-byte ones would be converted on every query).
# NumPy is imported by the first search, not with the module: the hub's CLI commands
# that never search (kb import, synonyms) start without it.
_DOC_CODE = "q"
_NP_DOC = "int64"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


def _mask(lang: str, visibility: str) -> int:
    """One byte per document: its language and whether it is public."""
    return _LANG_CODE.get(lang, 2) | (4 if visibility == "public" else 0)

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|`+|~~)")
_MD_LINE = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+)", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown as one line of plain text (headings, emphasis, links and bullets
    dropped; numbered steps kept) for snippets."""
    # each pattern only where its characters occur (a scan in C), the spaces by split:
    # the regular expressions cost ten times more than these checks on plain text
    text = _MD_LINK.sub(r"\1", markdown) if "](" in markdown else markdown
    if "#" in text or ">" in text or "-" in text or "*" in text or "+" in text:
        text = _MD_LINE.sub("", text)
    if "*" in text or "_" in text or "`" in text or "~" in text:
        text = _MD_MARKS.sub("", text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    body: str
    lang: str  # 'ru' | 'uk' | 'en'
    tags: tuple[str, ...] = ()
    visibility: str = "internal"  # or "public"
    updated_at: datetime | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    title: str
    lang: str
    score: float
    snippet: str  # plain text, ~200 chars around the best match
    highlights: tuple[tuple[int, int], ...]  # (start, end) offsets into snippet of matched words
    title_highlights: tuple[tuple[int, int], ...] = ()
    visibility: str = "internal"
    tags: tuple[str, ...] = ()


class _Doc:
    """An indexed article as search needs it: ``text`` is the Markdown body until a
    snippet first needs it as plain text."""

    __slots__ = ("folded", "id", "lang", "plain_ready", "shown_tags", "tags", "terms", "text", "title", "visibility")

    def __init__(
        self, id: str, title: str, body: str, lang: str, tags: frozenset[str], visibility: str, terms: tuple[str, ...]
    ) -> None:
        self.id = id
        self.title = title
        self.text = body
        self.plain_ready = False
        self.lang = lang
        self.tags = tags
        self.visibility = visibility
        self.terms = terms
        self.shown_tags: tuple[str, ...] = ()
        self.folded = ""

    def plain(self) -> str:
        if not self.plain_ready:
            self.text = plain_text(self.text)
            self.folded = fold(self.text)
            self.plain_ready = True
        return self.text


class _Postings:
    __slots__ = ("docs", "imps", "tfs", "version")

    def __init__(self, version: int) -> None:
        self.docs = array(_DOC_CODE)
        self.tfs = array("Q")
        self.imps = array("d")
        self.version = version


@dataclass
class _Word:
    """One word of the query (or a word a synonym phrase adds): the terms it may match,
    each with its weight; ``real``: typed by the user (counts for coverage)."""

    alts: dict[str, float]
    real: bool


def _bm25f(tf_packed: int, lt: int, lg: int, lb: int, avg: tuple[float, float, float]) -> float:
    tft = tf_packed & _TF_MASK
    tfg = (tf_packed >> _TF_BITS) & _TF_MASK
    tfb = tf_packed >> (2 * _TF_BITS)  # the body count is not bounded
    x = 0.0
    if tft:
        x += TITLE_WEIGHT * tft / (1 - TITLE_B + TITLE_B * lt / avg[0])
    if tfg:
        x += TAGS_WEIGHT * tfg / (1 - TAGS_B + TAGS_B * lg / avg[1])
    if tfb:
        x += BODY_WEIGHT * tfb / (1 - BODY_B + BODY_B * lb / avg[2])
    return x / (K1 + x)


class SearchIndex:
    """The knowledge base index (not thread-safe: one thread uses it at a time).

    ``search`` never raises on any query text: empty, huge, or full of FTS or SQL syntax,
    it returns hits or an empty list."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), *, lemmatizer: Lemmatizer | None = None) -> None:
        self.lemmatizer: Lemmatizer = lemmatizer if lemmatizer is not None else default_lemmatizer()
        self._ids: dict[str, int] = {}
        self._docs: list[_Doc | None] = []
        self._masks = bytearray()  # by doc number: _mask(lang, visibility); 255 once removed
        self._lens = (array("L"), array("L"), array("L"))  # title, tags, body length by doc number
        self._sum = [0, 0, 0]
        self._post: dict[str, _Postings] = {}
        self._version = 0
        self._avg = (1.0, 1.0, 1.0)
        self._typos = TypoIndex()
        # term -> the written forms it was indexed from (to find the matched words in a
        # snippet without splitting the text again)
        self._surfaces: dict[str, set[str]] = {}
        # term -> bit set of the languages of the articles it is in (_LANG_CODE bits)
        self._term_langs: dict[str, int] = {}
        self._typo_pending: set[str] = set()
        self._synonym_groups: list[tuple[str, ...]] = []
        # term -> synonym entries it is a one-word entry of: (group, entry index)
        self._syn_single: dict[str, list[tuple[int, int]]] = {}
        # group -> its entries, each a tuple of word alternatives (a set of terms per word)
        self._syn_entries: list[list[tuple[frozenset[str], ...]]] = []
        self.set_synonyms(synonyms)

    # ------------------------------------------------------------------ contents

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._ids

    def ids(self) -> list[str]:
        return list(self._ids)

    def add(self, article: Article) -> None:
        """Index an article; one with the same id is replaced."""
        self.add_many((article,))

    def add_many(self, articles: Iterable[Article]) -> None:
        """Index many articles at once (the same as ``add`` for each, but the averages of
        the field lengths are taken once, after all of them are counted)."""
        batch = {a.id: a for a in articles}
        for aid in batch:
            self.remove(aid)
        lem = self.lemmatizer
        local: dict[str, dict[str, tuple[str, ...]]] = {lang: {} for lang in LANGS}
        counted: list[tuple[int, Counter[str], Counter[str], Counter[str]]] = []
        for a in batch.values():
            lang = a.lang if a.lang in _LANG_CODE else "en"
            cache = local[lang]
            fields = []
            for text in (a.title, " ".join(a.tags), a.body):
                ws = words(text)
                for w in set(ws).difference(cache):
                    cache[w] = lemmas = lem.lemmas(w, lang)
                    for t in lemmas:
                        surfaces = self._surfaces.get(t)
                        if surfaces is None:
                            self._surfaces[t] = {w}
                        else:
                            surfaces.add(w)
                fields.append(Counter(chain.from_iterable(map(cache.__getitem__, ws))))
            tc, gc, bc = fields
            doc_no = len(self._docs)
            lens = (tc.total(), gc.total(), bc.total())
            for i in range(3):
                self._lens[i].append(lens[i])
                self._sum[i] += lens[i]
            self._ids[a.id] = doc_no
            tags = frozenset(fold(t).strip() for t in a.tags)
            terms = tuple(bc.keys() | tc.keys() | gc.keys())
            self._masks.append(_mask(lang, a.visibility))
            doc = _Doc(a.id, a.title, a.body, lang, tags, a.visibility, terms)
            doc.shown_tags = tuple(a.tags)
            self._docs.append(doc)
            counted.append((doc_no, tc, gc, bc))
        self._drift()
        for i in range(0, len(counted), _BATCH_DOCS):  # bounded temporary arrays
            self._post_batch(counted[i : i + _BATCH_DOCS])

    def _post_batch(self, counted: list[tuple[int, Counter[str], Counter[str], Counter[str]]]) -> None:
        """Append a batch's postings, column-wise: every (term, document) pair of the
        batch into flat arrays (the per-pair work in C: ``map`` over the Counters), the
        impacts computed by NumPy, then grouped by term with one stable sort and appended
        to each term's arrays in one ``frombytes`` (documents stay in ascending order)."""
        import numpy as np

        avg = self._avg
        lt_, lg_, lb_ = self._lens
        terms: list[str] = []
        ct: list[int] = []
        cg: list[int] = []
        cb: list[int] = []
        per_doc: list[int] = []
        norms: list[tuple[float, float, float, int]] = []
        for doc_no, tc, gc, bc in counted:
            indexed = self._docs[doc_no]
            assert indexed is not None
            ts = indexed.terms
            terms.extend(ts)
            ct.extend(map(tc.get, ts, repeat(0)))
            cg.extend(map(gc.get, ts, repeat(0)))
            cb.extend(map(bc.get, ts, repeat(0)))
            per_doc.append(len(ts))
            norms.append(
                (
                    TITLE_WEIGHT / (1 - TITLE_B + TITLE_B * lt_[doc_no] / avg[0]),
                    TAGS_WEIGHT / (1 - TAGS_B + TAGS_B * lg_[doc_no] / avg[1]),
                    BODY_WEIGHT / (1 - BODY_B + BODY_B * lb_[doc_no] / avg[2]),
                    1 << _LANG_CODE[indexed.lang],
                )
            )
        if not terms:
            return
        counts = np.array(per_doc, dtype=np.int64)
        doc_nos = np.repeat(np.array([c[0] for c in counted], dtype=np.int64), counts)
        nt, ng, nb, bits = (np.repeat(np.array(col), counts) for col in zip(*norms, strict=True))
        a_t = np.minimum(np.array(ct, dtype=np.int64), _TF_MAX)
        a_g = np.minimum(np.array(cg, dtype=np.int64), _TF_MAX)
        a_b = np.array(cb, dtype=np.int64)
        x = a_t * nt + a_g * ng + a_b * nb
        imps = x / (K1 + x)
        packed = (a_t | a_g << _TF_BITS | a_b << (2 * _TF_BITS)).astype(np.uint64)
        ids: dict[str, int] = {}
        tid = np.fromiter(map(ids.setdefault, terms, count()), dtype=np.int64, count=len(terms))
        order = np.argsort(tid, kind="stable")
        tid = tid[order]
        starts = np.concatenate(([0], np.flatnonzero(tid[1:] != tid[:-1]) + 1))
        ends = np.append(starts[1:], len(tid))
        langs = np.bitwise_or.reduceat(bits.astype(np.int64)[order], starts).tolist()
        docs_b = memoryview(doc_nos[order].tobytes())
        tfs_b = memoryview(packed[order].tobytes())
        imps_b = memoryview(imps[order].tobytes())
        post, version, term_langs = self._post, self._version, self._term_langs
        for start, end, first, bit in zip(starts.tolist(), ends.tolist(), order[starts].tolist(), langs, strict=True):
            t = terms[first]
            term_langs[t] = term_langs.get(t, 0) | bit
            p = post.get(t)
            if p is None:
                p = post[t] = _Postings(version)
                self._typo_pending.add(t)
            p.docs.frombytes(docs_b[start * 8 : end * 8])
            p.tfs.frombytes(tfs_b[start * 8 : end * 8])
            p.imps.frombytes(imps_b[start * 8 : end * 8])

    def prepare(self) -> None:
        """Do now the work the first typo look-up would do (the deletion index of the
        words added since, and NumPy's import): the hub calls it after a build, off the
        event loop."""
        if self._ids:
            import numpy  # noqa: F401  (the first search's import, done here)

        if self._typo_pending:
            self._typos.add_many(self._typo_pending)
            self._typo_pending = set()

    def remove(self, article_id: str) -> None:
        """Take an article out (nothing happens for an unknown id)."""
        doc_no = self._ids.pop(article_id, None)
        if doc_no is None:
            return
        doc = self._docs[doc_no]
        assert doc is not None
        self._docs[doc_no] = None
        self._masks[doc_no] = 255
        for i in range(3):
            self._sum[i] -= self._lens[i][doc_no]
        for t in doc.terms:
            p = self._post.get(t)
            if p is None:
                continue
            i = bisect_left(p.docs, doc_no)
            if i < len(p.docs) and p.docs[i] == doc_no:
                del p.docs[i]
                del p.tfs[i]
                del p.imps[i]
            if not p.docs:
                del self._post[t]
        self._drift()

    def _drift(self) -> None:
        """A new version of the saturations when an average field length moved."""
        n = max(len(self._ids), 1)
        avg = tuple(max(s / n, 1.0) for s in self._sum)
        if any(abs(a - b) > _AVG_DRIFT * b for a, b in zip(avg, self._avg, strict=True)):
            self._avg = (avg[0], avg[1], avg[2])
            self._version += 1

    def _fresh(self, p: _Postings) -> _Postings:
        if p.version != self._version:
            lt, lg, lb = self._lens
            avg = self._avg
            p.imps = array(
                "d",
                (_bm25f(tf, lt[d], lg[d], lb[d], avg) for d, tf in zip(p.docs, p.tfs, strict=True)),
            )
            p.version = self._version
        return p

    # ------------------------------------------------------------------ synonyms

    def set_synonyms(self, groups: Iterable[Iterable[str]]) -> None:
        """Replace the synonym groups: each is a few words or phrases, in any of the
        languages, that mean the same (``["возврат", "вернуть деньги", "refund"]``)."""
        clean: list[tuple[str, ...]] = []
        for g in groups:
            entries = tuple(dict.fromkeys(" ".join(e.split()) for e in g if e and e.strip()))
            if len(entries) >= 2:
                clean.append(entries)
        self._synonym_groups = clean
        self._syn_single = {}
        self._syn_entries = []
        for gi, entries in enumerate(clean):
            analysed: list[tuple[frozenset[str], ...]] = []
            for ei, entry in enumerate(entries):
                ws = tuple(self._any_lang_terms(w) for w in words(entry)[:8])
                analysed.append(ws)
                if len(ws) == 1:
                    for t in ws[0]:
                        self._syn_single.setdefault(t, []).append((gi, ei))
            self._syn_entries.append(analysed)

    def synonyms(self) -> list[tuple[str, ...]]:
        return list(self._synonym_groups)

    def _any_lang_terms(self, w: str) -> frozenset[str]:
        if script(w) == "cyr":
            return frozenset(self.lemmatizer.lemmas(w, "ru") + self.lemmatizer.lemmas(w, "uk"))
        return frozenset(self.lemmatizer.lemmas(w, "en"))

    # ------------------------------------------------------------------ query analysis

    def _df(self, term: str) -> int:
        p = self._post.get(term)
        return len(p.docs) if p is not None else 0

    def _typo_terms(self, variants: Iterable[str]) -> dict[str, float]:
        self.prepare()
        out: dict[str, float] = {}
        for v in variants:
            found = [(c, d) for c, d in self._typos.candidates(v) if self._df(c)]
            if not found:
                continue
            best = found[0][1]
            # the nearest candidates, the most used first; at most three
            near = sorted((c for c, d in found if d == best), key=self._df, reverse=True)[:3]
            for c in near:
                out[c] = max(out.get(c, 0.0), TYPO_WEIGHTS[best])
        return out

    def _analyse(self, query: str, langs: tuple[str, ...], fallback: str = "") -> list[_Word]:
        lem = self.lemmatizer
        cyr_langs = tuple(lang for lang in langs if lang in ("ru", "uk")) or ("ru", "uk")
        out: list[_Word] = []
        typed = words(query[:QUERY_MAX_CHARS])
        content = [w for w in typed if w not in STOPWORDS]
        for w in (content or typed)[:QUERY_MAX_WORDS]:
            alts: dict[str, float] = {}
            if script(w) == "cyr":
                for lang in cyr_langs:
                    for t in lem.lemmas(w, lang):
                        alts[t] = 1.0
            else:
                for t in lem.lemmas(w, "en"):
                    alts[t] = 1.0
            if not any(self._df(t) for t in alts):
                # unknown as typed: the nearest words of the vocabulary (as typed, and
                # the guessed lemmas: a typo in an inflected word)
                for t, wt in self._typo_terms({w, *alts}).items():
                    alts.setdefault(t, wt)
            if fallback and script(w) == "cyr":
                self._cognates(w, alts, fallback)
            out.append(_Word(alts, True))
        self._expand_synonyms(out)
        return out

    def _cognates(self, w: str, alts: dict[str, float], fallback: str) -> None:
        """Russian and Ukrainian share many words one or two letters apart (страховий /
        страховой, квартирі / квартира): a word whose terms are not in any article of the
        fallback language also matches the nearest terms that are only there."""
        bit = 1 << _LANG_CODE[fallback]
        if any(self._term_langs.get(t, 0) & bit for t in alts):
            return
        self.prepare()
        found: dict[str, float] = {}
        for v in {w, *alts}:
            for c, d in self._typos.candidates(v):
                if self._term_langs.get(c, 0) == bit and c not in alts:
                    found[c] = max(found.get(c, 0.0), COGNATE_WEIGHTS[d])
        for c, wt in sorted(found.items(), key=lambda x: (-x[1], -self._df(x[0])))[:2]:
            alts[c] = wt

    def _expand_synonyms(self, qwords: list[_Word]) -> None:
        if not self._syn_entries:
            return
        extra: list[_Word] = []
        triggered: set[tuple[int, int]] = set()  # (group, entry) that matched the query
        for qw in qwords:
            for t in list(qw.alts):
                for ge in self._syn_single.get(t, ()):
                    triggered.add(ge)
        all_terms = [set(qw.alts) for qw in qwords]
        for gi, entries in enumerate(self._syn_entries):
            for ei, entry in enumerate(entries):
                if len(entry) > 1 and all(any(alts & qa for qa in all_terms) for alts in entry):
                    triggered.add((gi, ei))
        for gi, ei in triggered:
            source = self._syn_entries[gi][ei]
            for oi, other in enumerate(self._syn_entries[gi]):
                if oi == ei:
                    continue
                if len(other) == 1 and len(source) == 1:
                    # a one-word synonym of a one-word entry widens that query word
                    for qw in qwords:
                        if qw.real and qw.alts.keys() & source[0]:
                            for t in other[0]:
                                if qw.alts.get(t, 0.0) < SYNONYM_WEIGHT:
                                    qw.alts[t] = SYNONYM_WEIGHT
                else:
                    # a phrase: its words are added to the query (weighing less)
                    for alts in other:
                        extra.append(_Word(dict.fromkeys(alts, SYNONYM_WEIGHT), False))
        qwords.extend(extra)

    # ------------------------------------------------------------------ search

    def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        tags: Sequence[str] = (),
        visibility: str | None = None,
        limit: int = 10,
        fallback: bool = True,
    ) -> list[Hit]:
        """The best articles for ``query``, best first.

        ``lang``: the language wanted (default: the query's, from its letters and
        words). Hits in that language come first; with ``fallback`` a Ukrainian query
        also finds Russian articles and a Russian one Ukrainian articles, ranked below
        the same-language hits that answer the query. ``tags``: the article must have all
        of them. ``visibility``: ``public`` or ``internal`` only (default: both)."""
        try:
            limit = max(1, min(int(limit), LIMIT_MAX))
        except (TypeError, ValueError):
            limit = 10
        if not isinstance(query, str) or not self._ids:
            return []
        query = query[:QUERY_MAX_CHARS]
        detected = detect_langs(query, self.lemmatizer)
        if lang is not None and lang in _LANG_CODE:
            primary: tuple[str, ...] = (lang,)
            analysis_langs = tuple(dict.fromkeys((*detected, lang)))
        else:
            primary = detected
            analysis_langs = detected
        second: tuple[str, ...] = ()
        if fallback and len(primary) == 1 and primary[0] in FALLBACK:
            second = (FALLBACK[primary[0]],)
        allowed = set(primary) | set(second) if primary else set(LANGS)
        qwords = self._analyse(query, analysis_langs, second[0] if second else "")
        if not qwords:
            return []
        want_tags = frozenset(fold(t).strip() for t in tags if t and t.strip())
        n = len(self._ids)
        idf_of: dict[str, float] = {}
        for qw in qwords:
            for t in qw.alts:
                df = self._df(t)
                if df:
                    idf_of[t] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        if not idf_of:
            return []
        scored_words = [qw for qw in qwords if any(t in idf_of for t in qw.alts)]
        rare_exists = any(
            any(self._df(t) <= COMMON_SHARE * n for t in qw.alts if t in idf_of) for qw in scored_words
        )
        skip_common = n >= COMMON_MIN_ARTICLES and rare_exists

        # filters: language and visibility from one byte per document
        ok = {
            _mask(lang_, vis_)
            for lang_ in allowed
            for vis_ in (("public", "internal") if visibility is None else (visibility,))
        }
        want = max(limit * 3, 30)

        # Every posting of every query word is scored, exactly, with NumPy: one dense
        # accumulator over the document numbers; per word, the postings of its
        # alternatives merged by max (a scratch array), then added (the document numbers
        # of one term are distinct, so ``acc[docs] += x`` is a scatter-add).
        import numpy as np

        size = len(self._docs)
        acc = np.zeros(size)
        scratch: np.ndarray | None = None
        for qw in scored_words:
            alts = [(t, w) for t, w in qw.alts.items() if t in idf_of]
            if skip_common:
                alts = [(t, w) for t, w in alts if self._df(t) <= COMMON_SHARE * n]
            if not alts:
                continue
            if len(alts) == 1:
                t, w = alts[0]
                docs, imps = self._arrays(t)
                acc[docs] += imps * (idf_of[t] * w)
                continue
            if scratch is None:
                scratch = np.zeros(size)
            touched = []
            for t, w in alts:
                docs, imps = self._arrays(t)
                scratch[docs] = np.maximum(scratch[docs], imps * (idf_of[t] * w))
                touched.append(docs)
            for docs in touched:  # each document once, then the scratch is zero again
                acc[docs] += scratch[docs]
                scratch[docs] = 0.0
        cand = np.flatnonzero(acc > 0.0)  # (every score is positive; a bool array is faster)
        if len(ok) < 6:  # the filters, vectorised; tags after
            allowed_mask = np.zeros(256, dtype=bool)
            allowed_mask[list(ok)] = True
            cand = cand[allowed_mask[np.frombuffer(self._masks, dtype=np.uint8)[cand]]]
        if not len(cand):
            return []
        scores = acc[cand]
        if want_tags:
            order = np.lexsort((cand, -scores))  # best first, ties by document number
            chosen: list[tuple[int, float]] = []
            for i in order.tolist():
                d = int(cand[i])
                if self._has_tags(d, want_tags):
                    chosen.append((d, float(scores[i])))
                    if len(chosen) == want:
                        break
        else:
            if len(cand) > want:
                floor = np.partition(scores, len(scores) - want)[len(scores) - want]
                keep = scores >= floor
                cand, scores = cand[keep], scores[keep]
            order = np.lexsort((cand, -scores))[:want]
            chosen = list(zip(cand[order].tolist(), scores[order].tolist(), strict=True))
        if not chosen:
            return []

        # tiers: same-language hits that answer the query, then the rest
        real = [qw for qw in scored_words if qw.real]
        weight = [max(idf_of[t] * w for t, w in qw.alts.items() if t in idf_of) for qw in real]
        total = sum(weight) or 1.0
        chosen_docs = np.fromiter((d for d, _s in chosen), dtype=_NP_DOC, count=len(chosen))
        covered = np.zeros(len(chosen))
        for qw, wt in zip(real, weight, strict=True):
            has = np.zeros(len(chosen), dtype=bool)
            for t in qw.alts:
                if t in idf_of:
                    docs, _imps = self._arrays(t)
                    j = np.minimum(np.searchsorted(docs, chosen_docs), len(docs) - 1)
                    has |= docs[j] == chosen_docs
            covered += wt * has
        answers = (covered >= ANSWER_COVERAGE * total).tolist()
        tier0: list[tuple[int, float]] = []
        tier1: list[tuple[int, float]] = []
        primary_set = set(primary) if primary else set(LANGS)
        for (d, s), answer in zip(chosen, answers, strict=True):
            doc = self._docs[d]
            assert doc is not None
            if doc.lang not in primary_set:
                tier1.append((d, s * FALLBACK_FACTOR))
                continue
            (tier0 if answer else tier1).append((d, s))
        tier0.sort(key=itemgetter(1), reverse=True)
        tier1.sort(key=itemgetter(1), reverse=True)
        if tier0 and tier1 and tier1[0][1] >= tier0[-1][1]:
            # keep the scores in the order shown: tier 1 just below the last of tier 0
            scale = 0.9 * tier0[-1][1] / tier1[0][1]
            tier1 = [(d, s * scale) for d, s in tier1]
        ranked = (tier0 + tier1)[:limit]
        match_terms = {t: qw_i for qw_i, qw in enumerate(qwords) for t in qw.alts if t in idf_of}
        surfaces = self._surface_forms(match_terms)
        return [self._hit(d, s, match_terms, surfaces) for d, s in ranked]

    def _arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's document numbers and impacts as NumPy arrays (views of the postings'
        arrays: nothing is copied; they must not outlive the search)."""
        import numpy as np

        p = self._fresh(self._post[term])
        return np.frombuffer(p.docs, dtype=_NP_DOC), np.frombuffer(p.imps, dtype=np.float64)

    def _has_tags(self, d: int, want: frozenset[str]) -> bool:
        doc = self._docs[d]
        return doc is not None and want <= doc.tags

    # ------------------------------------------------------------------ snippets

    def _matches(
        self, text: str, lang: str, match_terms: dict[str, int], surfaces: dict[str, int], folded: str = ""
    ) -> list[tuple[int, int, int]]:
        """(start, end, query word) of the words of ``text`` that match the query, in
        order. ``surfaces``: the written forms of the query's terms in the indexed texts
        (word -> query word), each located with ``str.find`` and a check of the
        neighbouring characters, so the text is never split into words here."""
        folded = folded or fold(text)
        if len(folded) != len(text):  # rare: a character whose lower case is longer
            spans = list(word_spans(text))
            return [(s, e, qi) for s, e, w in spans if (qi := self._word_match(w, lang, match_terms)) is not None]
        found: list[tuple[int, int, int]] = []
        if len(surfaces) > SURFACES_BY_FIND:  # many forms: one pass over the words instead
            get = surfaces.get
            for m in _FOLDED_WORD.finditer(folded):
                qi = get(m.group())
                if qi is not None:
                    found.append((m.start(), m.end(), qi))
            return found
        end = len(folded)
        for w, qi in surfaces.items():
            i = folded.find(w)
            n = len(w)
            while i >= 0:
                j = i + n
                if (i == 0 or not _is_word_char(folded[i - 1])) and (j == end or not _is_word_char(folded[j])):
                    found.append((i, j, qi))
                i = folded.find(w, j)
        found.sort()
        return found

    def _surface_forms(self, match_terms: dict[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, qi in match_terms.items():
            for w in sorted(self._surfaces.get(t, ()))[:SURFACES_PER_TERM]:
                out.setdefault(w, qi)
        return out

    def _word_match(self, w: str, lang: str, match_terms: dict[str, int]) -> int | None:
        for t in self.lemmatizer.lemmas(w, lang):
            qi = match_terms.get(t)
            if qi is not None:
                return qi
        return None

    def _hit(self, d: int, score: float, match_terms: dict[str, int], surfaces: dict[str, int]) -> Hit:
        doc = self._docs[d]
        assert doc is not None
        title_marks = tuple((s, e) for s, e, _q in self._matches(doc.title, doc.lang, match_terms, surfaces))
        snippet, marks = self._snippet(doc.plain(), doc.lang, match_terms, surfaces, doc.folded)
        return Hit(
            id=doc.id,
            title=doc.title,
            lang=doc.lang,
            score=round(score, 4),
            snippet=snippet,
            highlights=marks,
            title_highlights=title_marks,
            visibility=doc.visibility,
            tags=doc.shown_tags,
        )

    def _snippet(
        self, text: str, lang: str, match_terms: dict[str, int], surfaces: dict[str, int], folded: str
    ) -> tuple[str, tuple[tuple[int, int], ...]]:
        if len(text) <= SNIPPET_CHARS:
            marks = tuple((s, e) for s, e, _q in self._matches(text, lang, match_terms, surfaces, folded))
            return text, marks
        found = self._matches(text, lang, match_terms, surfaces, folded)
        start = 0
        if found:
            # the window holding the most different query words (then the most matches)
            best_key = (-1, -1)
            for i, (s0, _e0, _q0) in enumerate(found):
                inside = [q for s, e, q in found[i:] if e <= s0 + SNIPPET_CHARS - 30]
                key = (len(set(inside)), len(inside))
                if key > best_key:
                    best_key, start = key, s0
            start = max(0, start - 30)
            if start:
                space = text.rfind(" ", 0, start + 1)
                start = space + 1 if space >= 0 and start - space < 20 else start
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start + SNIPPET_CHARS // 2 else end
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        snippet = prefix + text[start:end].strip() + suffix
        lead = start + (len(text[start:end]) - len(text[start:end].lstrip())) - len(prefix)
        marks = tuple(
            (s - lead, e - lead) for s, e, _q in found if s >= start and e <= end
        )
        return snippet, marks
