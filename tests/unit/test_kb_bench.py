"""The knowledge-base benchmarks' inputs: the evaluation set is well-formed, the generator is
deterministic, and ``bench.kb_search`` runs end to end on a small corpus.

(The benchmarks themselves are not tests: their figures go to docs/performance.md.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import kb_relevance, kb_search
from bench._kb import KB_DIR, KINDS, LANGS, read_corpus, read_eval, read_synonyms

ROOT = Path(__file__).resolve().parents[2]


def test_evaluation_set_is_well_formed() -> None:
    docs = {d.id: d for d in read_corpus()}
    assert len(docs) == 72 and {p.stem for p in KB_DIR.glob("*.md")} == set(docs)
    queries = read_eval()
    assert len(queries) >= 120
    assert len({q.qid for q in queries}) == len(queries), "query ids must be unique"
    for q in queries:
        assert q.query.strip(), q.qid
        assert q.lang in LANGS and q.kind in KINDS, q.qid
        assert q.relevant, f"{q.qid} names no article"
        assert set(q.relevant) <= set(docs), f"{q.qid} names unknown articles {set(q.relevant) - set(docs)}"
        answer_langs = {docs[i].lang for i in q.relevant}
        if q.kind == "uk_to_ru":
            # the point of the kind: a Ukrainian question whose only answers are Russian
            assert q.lang == "uk" and answer_langs == {"ru"}, q.qid
        else:
            assert answer_langs == {q.lang}, f"{q.qid}: answers in {answer_langs}, query in {q.lang}"
    by_lang = Counter(q.lang for q in queries)
    by_kind = Counter(q.kind for q in queries)
    assert set(by_lang) == set(LANGS) and min(by_lang.values()) >= 30, by_lang
    assert set(by_kind) == set(KINDS) and min(by_kind.values()) >= 10, by_kind
    # chat queries are typed as in a chat: lower case, no punctuation
    for q in queries:
        if q.kind == "chat":
            assert q.query == q.query.lower() and not any(c in q.query for c in ".,?!"), q.qid


def test_synonym_file_parses_into_groups() -> None:
    groups = read_synonyms()
    assert len(groups) >= 30
    assert all(len(g) >= 2 and all(t.strip() == t and t for t in g) for g in groups)


def test_synonym_file_imports_into_the_hub_knowledge_base(tmp_path: Path) -> None:
    """What an admin does with the file: each line through ``frontline-hub kb synonyms add``
    (KbStore.add_synonyms, which merges groups sharing an entry): nothing refused, nothing lost."""
    from app.storage import Store, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    try:
        upgrade(engine)
        kb = Store(engine).kb
        for group in read_synonyms():
            kb.add_synonyms(group)
        stored = {e for g in kb.synonyms() for e in g}
    finally:
        engine.dispose()
    assert stored == {e.lower() for g in read_synonyms() for e in g}


def test_fts_expression_quotes_every_word() -> None:
    assert kb_relevance.fts_match_expression("") == ""
    assert kb_relevance.fts_match_expression('a "b NEAR c* -d:') == '"a" OR """b" OR "NEAR" OR "c*" OR "-d:"'
    base = kb_relevance.Fts5Baseline(read_corpus())
    # syntax characters, SQL and unbalanced quotes give results or nothing, never an error
    for q in ['"', "пароль*", "NEAR(", "'; DROP TABLE kb; --", "a:b -c", "x" * 10_000]:
        base.search(q, None)
    assert base.search("пароль", ("ru",))[0] in {"kb-059", "kb-060"}


def test_generator_is_deterministic() -> None:
    vocabs = kb_search.vocabularies()
    a = kb_search.generate_corpus(300, seed=7, vocabs=vocabs)
    b = kb_search.generate_corpus(300, seed=7, vocabs=vocabs)
    c = kb_search.generate_corpus(300, seed=8, vocabs=vocabs)
    assert a == b and a != c
    assert len({x.id for x in a}) == 300
    assert {x.lang for x in a} == {"ru", "uk", "en"}
    words = [len(x.body.split()) for x in a]
    assert 100 <= min(words) and max(words) <= 140
    qa = kb_search.generate_queries(a, 100, seed=7, vocabs=vocabs)
    assert qa == kb_search.generate_queries(b, 100, seed=7, vocabs=vocabs)
    assert {q.kind for q in qa} == set(kb_search.KINDS)
    assert all(q.text.strip() for q in qa)


def test_generator_inflects_and_misspells() -> None:
    vocabs = kb_search.vocabularies()
    assert {"полиса", "полисы", "полисами"} <= set(vocabs["ru"].forms["полиса"])
    assert "поверненням" in vocabs["uk"].forms["повернення"]
    articles = kb_search.generate_corpus(200, seed=1, vocabs=vocabs)
    queries = kb_search.generate_queries(articles, 100, seed=1, vocabs=vocabs)
    known = {w for v in vocabs.values() for forms in v.forms.values() for w in forms} | {
        w for v in vocabs.values() for w in v.words
    }
    typos = [q for q in queries if q.kind == "typo"]
    # every typo query carries at least one word that is in no form of the vocabulary
    assert sum(any(w not in known for w in q.text.split()) for q in typos) >= len(typos) * 0.8


@pytest.mark.timeout(120)
def test_kb_search_runs_end_to_end_on_500_articles() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.kb_search", "--articles", "500", "--queries", "50", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["bench"] == "kb_search" and summary["articles"] == 500 and summary["queries"] == 50
    for key in ("build_s", "p50_ms", "p95_ms", "first_run_p95_cpu_ms", "tantivy_p95_ms"):
        assert summary[key] > 0, key
    # both engines find the article a query was drawn from most of the time: the numbers are about real searches
    assert summary["found_at_10"] >= 0.5 and summary["tantivy_found_at_10"] >= 0.5
