"""Refresh the translation catalogues from the sources and compile them.

    .venv/bin/python scripts/i18n.py          # lupdate (keeps existing translations) + lrelease
    .venv/bin/python scripts/i18n.py --check  # fail if a catalogue is stale or has unfinished entries

Catalogues: resources/i18n/frontline_<lang>.ts (edited by translators, e.g. in Qt Linguist),
compiled to frontline_<lang>.qm, which ship with the app.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "resources" / "i18n"
LANGS = ("ru", "uk")


def tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}", path=str(Path(sys.executable).parent)) or shutil.which(f"pyside6-{name}")
    if not found:
        raise SystemExit(f"pyside6-{name} not found: install PySide6 into this environment")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py"))


def unfinished(ts: Path) -> list[str]:
    """Source strings of a catalogue that have no finished translation."""
    missing = []
    for msg in ET.parse(ts).getroot().iter("message"):
        tr = msg.find("translation")
        if tr is None:
            continue
        kind = tr.get("type")
        if kind in ("obsolete", "vanished"):
            continue
        has_text = bool((tr.text or "").strip()) or tr.find("numerusform") is not None
        if kind == "unfinished" or not has_text:
            missing.append(msg.findtext("source") or "")
    return missing


def update(target_dir: Path) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        ts = target_dir / f"frontline_{lang}.ts"
        subprocess.run([tool("lupdate"), "-no-obsolete", "-locations", "none", *sources(), "-ts", str(ts)],
                       cwd=ROOT, check=True, capture_output=True)


def release(src_dir: Path) -> None:
    for lang in LANGS:
        ts = src_dir / f"frontline_{lang}.ts"
        subprocess.run([tool("lrelease"), str(ts), "-qm", str(I18N / f"frontline_{lang}.qm")],
                       check=True, capture_output=True)


def check() -> int:
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGS:
            shutil.copy(I18N / f"frontline_{lang}.ts", Path(tmp) / f"frontline_{lang}.ts")
        update(Path(tmp))
        for lang in LANGS:
            fresh = Path(tmp) / f"frontline_{lang}.ts"
            if fresh.read_bytes() != (I18N / f"frontline_{lang}.ts").read_bytes():
                problems.append(f"frontline_{lang}.ts is stale: run scripts/i18n.py")
            for source in unfinished(fresh):
                problems.append(f"{lang}: not translated: {source!r}")
            if not (I18N / f"frontline_{lang}.qm").exists():
                problems.append(f"frontline_{lang}.qm is missing: run scripts/i18n.py")
    for p in problems:
        print(p)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        return check()
    update(I18N)
    release(I18N)
    for lang in LANGS:
        left = unfinished(I18N / f"frontline_{lang}.ts")
        print(f"{lang}: {len(left)} unfinished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
