"""Text analysis for the knowledge base search: tokens, the language of a text, and
lemmas (Russian and Ukrainian: pymorphy3 dictionaries; English: the Snowball stemmer).

Everything here is pure Python and has no I/O except loading the morphology
dictionaries, which happens once, on first use (about half a second).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any, Protocol

# A word: letters and digits, with apostrophes inside (Ukrainian ``зв'язатися``).
# Hyphens, quotes, FTS/SQL syntax and everything else separate words.
_WORD = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*")
# The same on folded text, leaving single letters out (a digit alone stays), in C.
_FOLDED_WORD = re.compile(r"(?:[^\W_]{2,}|\d)(?:'[^\W_]+)*|[^\W_](?:'[^\W_]+)+")
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN = re.compile(r"[a-z]")
_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
_UK_APOSTROPHE = re.compile(r"[бвгґдзклмнпрстфхцчшщ]['’ʼ][яюєї]")

LANGS = ("ru", "uk", "en")
# Words longer than this are not lemmatised (nobody types them; a guess costs time).
MAX_WORD_CHARS = 40


def fold(text: str) -> str:
    """Lower case, one apostrophe, ``ё`` read as ``е``."""
    # four replaces (each a scan in C) are 5x faster than str.translate with a dict
    return text.lower().replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")


def words(text: str) -> list[str]:
    """The folded words of a text, in order (single letters are left out)."""
    return _FOLDED_WORD.findall(fold(text))


def word_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, folded word) of each word of ``text``; offsets into ``text``."""
    folded = fold(text)
    if len(folded) == len(text):
        for m in _FOLDED_WORD.finditer(folded):
            yield m.start(), m.end(), m.group()
        return
    for m in _WORD.finditer(text):
        w = fold(m.group())
        if len(w) > 1 or w.isdigit():
            yield m.start(), m.end(), w


def script(word: str) -> str:
    """``cyr``, ``lat`` or ``num`` (digits, or anything else)."""
    if _CYRILLIC.search(word):
        return "cyr"
    if _LATIN.search(word):
        return "lat"
    return "num"


class Lemmatizer(Protocol):
    """What the index needs of morphology: the dictionary forms (lemmas or stems) of one
    folded word in a language, and whether the language's dictionary knows the word."""

    def lemmas(self, word: str, lang: str) -> tuple[str, ...]: ...

    def is_known(self, word: str, lang: str) -> bool: ...


class MorphLemmatizer:
    """pymorphy3 (with the OpenCorpora Russian and the LanguageTool/VESUM Ukrainian
    dictionaries) for Cyrillic words, Snowball English for Latin words, digits as they
    are. Results are cached per (language, word): lemmatisation of an unknown word costs
    about half a millisecond, a cache hit a dictionary look-up.

    ``lang`` is the language the text is in; a Latin word is always English and a
    Cyrillic word in an English text is read as Russian."""

    CACHE_MAX = 400_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._morph: dict[str, Any] = {}
        self._stemmer: Any = None
        self._caches: dict[str, dict[str, tuple[str, ...]]] = {}
        self._known: dict[tuple[str, str], bool] = {}

    def _analyzer(self, lang: str) -> Any:
        m = self._morph.get(lang)
        if m is None:
            with self._lock:
                m = self._morph.get(lang)
                if m is None:
                    import pymorphy3

                    # it says at INFO which dictionary it loads, on every start
                    logging.getLogger("pymorphy3").setLevel(logging.WARNING)
                    m = self._morph[lang] = pymorphy3.MorphAnalyzer(lang=lang)
        return m

    def _english(self) -> Any:
        if self._stemmer is None:
            import snowballstemmer

            self._stemmer = snowballstemmer.stemmer("english")
        return self._stemmer

    def cache(self, lang: str) -> dict[str, tuple[str, ...]]:
        """The cache of ``lemmas(word, lang)`` (word -> lemmas)."""
        c = self._caches.get(lang)
        if c is None:
            c = self._caches.setdefault(lang, {})
        return c

    def lemmas(self, word: str, lang: str) -> tuple[str, ...]:
        cache = self.cache(lang)
        hit = cache.get(word)
        if hit is not None:
            return hit
        kind = script(word)
        if kind == "num" or len(word) > MAX_WORD_CHARS:
            result: tuple[str, ...] = (word,)
        elif kind == "lat":
            with self._lock:  # the Snowball stemmer keeps state
                result = (fold(self._english().stemWord(word)),)
        else:
            result = self._cyrillic(word, "uk" if lang == "uk" else "ru")
        if len(cache) >= self.CACHE_MAX:
            cache.clear()
        cache[word] = result
        return result

    def _cyrillic(self, word: str, lang: str) -> tuple[str, ...]:
        parses = self._analyzer(lang).parse(word)
        if not parses:
            return (word,)
        top = parses[0].score or 1.0
        out: list[str] = []
        for p in parses[:6]:
            # a reading far less likely than the best one is left out ("стали" is
            # "стать", not "сталь"); at most two readings are kept
            if p.score < 0.1 * top:
                continue
            form = fold(p.normal_form)
            if form not in out:
                out.append(form)
            if len(out) == 2:
                break
        return tuple(out) or (word,)

    def is_known(self, word: str, lang: str) -> bool:
        if script(word) != "cyr" or lang not in ("ru", "uk"):
            return False
        key = (lang, word)
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= self.CACHE_MAX:
                self._known.clear()
            known = self._known[key] = bool(self._analyzer(lang).word_is_known(word))
        return known


_default: MorphLemmatizer | None = None


def default_lemmatizer() -> MorphLemmatizer:
    """One shared :class:`MorphLemmatizer` per process (its dictionaries and cache)."""
    global _default
    if _default is None:
        _default = MorphLemmatizer()
    return _default


def detect_langs(text: str, lemmatizer: Lemmatizer | None = None) -> tuple[str, ...]:
    """The language(s) a query is most likely in: ``("uk",)``, ``("ru",)``, ``("en",)``,
    ``("ru", "uk")`` when Cyrillic text cannot be told apart, ``()`` for no letters.

    Letters decide first (і ї є ґ and the apostrophe inside a word are Ukrainian; ы э ъ ё
    Russian); Cyrillic text without them is read with both dictionaries and goes to the
    one that knows more of its words."""
    low = text[:2000].lower()
    cyr = len(_CYRILLIC.findall(low))
    lat = len(_LATIN.findall(low))
    if cyr == 0 and lat == 0:
        return ()
    if lat > cyr:
        return ("en",)
    uk = sum(1 for ch in low if ch in _UK_LETTERS) + len(_UK_APOSTROPHE.findall(low))
    ru = sum(1 for ch in low if ch in _RU_LETTERS)
    if uk > ru:
        return ("uk",)
    if ru > uk:
        return ("ru",)
    if lemmatizer is not None:
        cyr_words = [w for w in words(low)[:32] if script(w) == "cyr"]
        known_ru = sum(1 for w in cyr_words if lemmatizer.is_known(w, "ru"))
        known_uk = sum(1 for w in cyr_words if lemmatizer.is_known(w, "uk"))
        if known_uk > known_ru:
            return ("uk",)
        if known_ru > known_uk:
            return ("ru",)
    return ("ru", "uk")


def terms(text: str, lang: str, lemmatizer: Lemmatizer) -> list[str]:
    """The index terms of a text in a language: the lemmas of its words, in order (a
    word with two likely readings gives both)."""
    out: list[str] = []
    for w in words(text):
        out.extend(lemmatizer.lemmas(w, lang))
    return out


# Words that carry no topic: left out of a query that has other words (never out of
# the index, so a query of only such words still finds something). Chat greetings and
# politeness are here too: customers' questions are full of them.
STOPWORDS = frozenset(
    """
    и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её мне было
    вот от меня еще ещё нет о об из ему когда даже ну ли если уже или ни быть был него до вас вам ведь там
    потом себя ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без чего раз тоже себе под
    будет ж тогда кто этот того потому этого какой ним здесь этом мой тем чтобы нее сейчас были куда
    зачем всех можно при хоть после над через эти нас про всего них какая эту моя свою этой перед том
    такой им всегда между мой мои мою это
    здравствуйте добрый доброе день вечер утро подскажите пожалуйста спасибо хочу хотел хотела скажите
    і й та в у на з із зі до за від по що як це не ні але а або ж же чи щоб коли якщо тому бо для при про
    над під між через я ти ви ми він вона воно вони мене мені мій моя моє мої нас нам вас вам його її їх
    їм є був була було були буде бути вже ще так також тут там де хто який яка яке які цей ця ці той те
    дуже можна треба потрібно доброго дня вітаю підкажіть будь ласка дякую хочу хотів хотіла скажіть
    a an the and or but if of to in on at by for with from as is are was were be been being do does did
    i me my we our you your he she it its they them their this that these those how what when where why
    which who can could would should will may might must not no please hi hello thanks thank there here
    have has had get got want need so about into out up im i'm
    """.split()
)
