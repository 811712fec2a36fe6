"""Typo tolerance: a SymSpell-style deletion index over the index's vocabulary.

Every vocabulary word of 4+ characters is stored under each string made by deleting up
to ``max_edits(len)`` of its characters; a query word finds its candidates by looking up
its own deletions, and each candidate is confirmed with the optimal-string-alignment
distance (insertions, deletions, substitutions and swaps of neighbours count one). The
look-up costs a few dozen dict probes whatever the vocabulary size.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_TYPO_CHARS = 4  # shorter words are taken as typed: too many neighbours
TWO_EDITS_FROM = 8  # words this long may have two typos


def max_edits(word: str) -> int:
    n = len(word)
    if n < MIN_TYPO_CHARS:
        return 0
    return 2 if n >= TWO_EDITS_FROM else 1


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


def osa_distance(a: str, b: str, cap: int) -> int:
    """Optimal string alignment distance, or ``cap + 1`` once it is certainly above cap."""
    if a == b:
        return 0
    # the common prefix and suffix cost nothing (a typo touches a letter or two: the
    # table below is then a few cells, not the whole words)
    la, lb = len(a), len(b)
    i = 0
    while i < la and i < lb and a[i] == b[i]:
        i += 1
    j = 0
    while j < la - i and j < lb - i and a[la - 1 - j] == b[lb - 1 - j]:
        j += 1
    if i or j:
        a, b = a[i : la - j], b[i : lb - j]
        la, lb = len(a), len(b)
    if not la or not lb:
        return min(la + lb, cap + 1)
    if abs(la - lb) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        best = cur[0]
        ca = a[i - 1]
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[lb]


class TypoIndex:
    """Deletion index of a growing vocabulary (words are never taken out: a word no
    article uses any more is dropped by the caller, which knows its document count)."""

    CACHE_MAX = 20_000

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._by_delete: dict[str, str | list[str]] = {}
        # word -> its candidates: a query's words come back (the same word typed again,
        # the next keystroke, the Ukrainian-Russian cognates of every query word)
        self._cache: dict[str, list[tuple[str, int]]] = {}

    def __len__(self) -> int:
        return len(self._words)

    def add_many(self, vocabulary: Iterable[str]) -> None:
        by_delete = self._by_delete
        for word in vocabulary:
            if word in self._words:
                continue
            depth = max_edits(word)
            if depth == 0:
                continue
            self._words.add(word)
            self._cache.clear()
            for d in _deletes(word, depth):
                have = by_delete.get(d)
                if have is None:
                    by_delete[d] = word
                elif isinstance(have, str):
                    by_delete[d] = [have, word]
                else:
                    have.append(word)

    def candidates(self, word: str) -> list[tuple[str, int]]:
        """Vocabulary words within the allowed edits of ``word`` (not ``word`` itself),
        with their distance, nearest first (the list is shared: do not change it)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        depth = max_edits(word)
        if depth == 0:
            return []
        seen: set[str] = set()
        found: list[tuple[str, int]] = []
        for d in _deletes(word, depth):
            have = self._by_delete.get(d)
            if have is None:
                continue
            for cand in (have,) if isinstance(have, str) else have:
                if cand in seen or cand == word:
                    continue
                seen.add(cand)
                # a vocabulary word may allow fewer edits than the query word
                cap = min(depth, max(max_edits(cand), 1))
                dist = osa_distance(word, cand, cap)
                if dist <= cap:
                    found.append((cand, dist))
        found.sort(key=lambda x: (x[1], x[0]))
        if len(self._cache) >= self.CACHE_MAX:
            self._cache.clear()
        self._cache[word] = found
        return found
