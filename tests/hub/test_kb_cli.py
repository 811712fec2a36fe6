"""``frontline-hub kb``: import (idempotent, broken files named and skipped), search
(one query, and one query per line of stdin), synonyms, delete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from app.storage import Store, make_engine
from tests.hub.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
DEMO_KB = ROOT / "resources" / "demo" / "kb"


def count_articles(db: str) -> int:
    engine = make_engine(db)
    try:
        return Store(engine).kb.count()
    finally:
        engine.dispose()


def test_import_twice_updates_and_never_duplicates(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    folder = tmp_path / "kb"
    shutil.copytree(DEMO_KB, folder)
    first = run_cli("kb", "import", str(folder), "--db", db, "--json")
    assert first.returncode == 0, first.stderr
    lines = [json.loads(x) for x in first.stdout.splitlines()]
    assert len(lines) == 72 and {x["action"] for x in lines} == {"created"}
    assert count_articles(db) == 72

    changed = folder / "kb-018.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Возврат денег", "Возврат средств", 1), "utf-8")
    second = run_cli("kb", "import", str(folder), "--db", db, "--json")
    assert second.returncode == 0, second.stderr
    actions = {x["id"]: x["action"] for x in map(json.loads, second.stdout.splitlines())}
    assert actions["kb-018"] == "updated"
    assert [a for a in actions.values() if a != "unchanged"] == ["updated"]
    assert count_articles(db) == 72
    third = run_cli("kb", "import", str(folder), "--db", db)
    assert "0 created, 0 updated, 72 unchanged; 0 files failed" in third.stdout

    found = run_cli("kb", "search", "возврат средств за полис", "--db", db, "--json", "--limit", "1")
    (hit,) = [json.loads(x) for x in found.stdout.splitlines()]
    assert hit["id"] == "kb-018" and hit["title"].startswith("Возврат средств")
    assert set(hit) == {"id", "title", "score", "snippet", "lang"}


def test_broken_files_are_named_and_the_rest_imports(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("kb-001.md", "kb-059.md", "kb-061.md"):
        shutil.copy(DEMO_KB / name, folder / name)
    (folder / "broken.md").write_text("no front matter here", encoding="utf-8")
    (folder / "bad-lang.md").write_text("---\nid: x1\ntitle: T\nlang: de\n---\nText\n", encoding="utf-8")
    done = run_cli("kb", "import", str(folder), "--db", db)
    assert done.returncode == 1
    assert "broken.md: not imported: no front matter" in done.stderr
    assert "bad-lang.md: not imported: lang 'de'" in done.stderr
    assert "3 articles: 3 created" in done.stdout and "2 files failed" in done.stdout
    assert count_articles(db) == 3
    missing = run_cli("kb", "import", str(tmp_path / "nope"), "--db", db)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


def test_search_reads_queries_from_stdin_in_order(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert run_cli("kb", "import", str(DEMO_KB), "--db", db).returncode == 0
    queries = ["забыл пароль", "", "'; DROP TABLE kb_articles; --", "забув пароль", "how to change my password"]
    done = run_cli("kb", "search", "-", "--db", db, "--json", "--limit", "2", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(answers) == len(queries)
    assert answers[0][0]["id"] == "kb-059"
    assert answers[1] == [] and answers[2] == []
    assert answers[3][0]["id"] == "kb-061"
    assert answers[4][0]["id"] == "kb-063"
    only_en = run_cli("kb", "search", "пароль", "--db", db, "--json", "--lang", "en")
    assert only_en.returncode == 0 and only_en.stdout == ""


def test_synonyms_and_delete(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert run_cli("kb", "import", str(DEMO_KB), "--db", db).returncode == 0
    assert run_cli("kb", "search", "рефанд", "--db", db, "--json").stdout == ""
    added = run_cli("kb", "synonyms", "add", "Рефанд, возврат денег", "--db", db)
    assert added.returncode == 0 and "рефанд, возврат денег" in added.stdout
    run_cli("kb", "synonyms", "add", "возврат денег,refund", "--db", db)  # merged into the same group
    listed = run_cli("kb", "synonyms", "list", "--db", db, "--json")
    assert [json.loads(x) for x in listed.stdout.splitlines()] == [["возврат денег", "refund", "рефанд"]]
    assert run_cli("kb", "synonyms", "add", "одно", "--db", db).returncode == 2
    hits = [json.loads(x) for x in run_cli("kb", "search", "рефанд", "--db", db, "--json").stdout.splitlines()]
    assert hits and hits[0]["id"] in {"kb-018", "kb-047"}
    assert run_cli("kb", "delete", "kb-018", "--db", db).returncode == 0
    assert run_cli("kb", "delete", "kb-018", "--db", db).returncode == 2
    assert count_articles(db) == 71
