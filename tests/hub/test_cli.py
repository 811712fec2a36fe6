"""The frontline-hub command line, run as a real process."""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import OperatorClient

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.hub.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_user_add_and_duplicate(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    ok = run_cli(
        "user",
        "add",
        "Olena",
        "--role",
        "operator",
        "--display-name",
        "Olena Koval",
        "--password-stdin",
        "--db",
        db,
        stdin="s3cret-pass\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "olena" in ok.stdout
    assert "s3cret-pass" not in ok.stdout + ok.stderr

    dup = run_cli("user", "add", "olena", "--role", "operator", "--password-stdin", "--db", db, stdin="x-other\n")
    assert dup.returncode == 2
    assert "already exists" in dup.stderr
    assert "Traceback" not in dup.stderr

    bad_role = run_cli("user", "add", "petro", "--role", "boss", "--password-stdin", "--db", db, stdin="pw-pw\n")
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr and "Traceback" not in bad_role.stderr

    short = run_cli("user", "add", "petro", "--role", "admin", "--password-stdin", "--db", db, stdin="x\n")
    assert short.returncode == 2 and "password" in short.stderr and "Traceback" not in short.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert (
        run_cli(
            "user",
            "add",
            "olena",
            "--role",
            "operator",
            "--password-stdin",
            "--db",
            db,
            stdin="s3cret-pass\n",
        ).returncode
        == 0
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.hub.cli",
            "serve",
            "--db",
            db,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    listening = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "listening on" in line:
                listening.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert listening.wait(30), "".join(lines)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b"ok"
        conn.close()

        async def login() -> str:
            async with OperatorClient.connected(f"ws://127.0.0.1:{port}") as op:
                data = await op.login("olena", "s3cret-pass")
                return str(data["operator"]["display_name"])

        assert asyncio.run(login()) == "olena"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
    log = "".join(lines)
    assert "s3cret-pass" not in log
    assert "hub stopped" in log


def test_demo_seed_twice(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    first = run_cli("demo-seed", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "4 operators and 23 conversations added" in first.stdout  # 20 customers, 3 returning
    second = run_cli("demo-seed", "--db", db)
    assert "0 operators and 0 conversations added" in second.stdout


def test_queue_add_member_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In-process (``cli.main``): the same parser and code as the installed command, without
    paying a Python start-up per call."""
    from app.hub.cli import main
    from app.storage import Store, make_engine, upgrade

    db = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(db)
    upgrade(engine)
    Store(engine).create_operator("olena", "x", "operator", "Olena")
    engine.dispose()

    def cli(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--db", db])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = cli("queue", "add", "First", "--first", "--strategy", "least_loaded", "--offer-timeout", "15")
    assert code == 0, err
    assert "first line 'first' (least_loaded)" in out
    hours = '{"mon": ["09:00-18:00"]}'
    assert cli("queue", "add", "billing", "--timezone", "Europe/Kyiv", "--hours", hours)[0] == 0
    assert cli("queue", "member", "add", "billing", "olena")[0] == 0
    code, out, err = cli("queue", "list")
    assert code == 0, err
    billing = [line for line in out.splitlines() if "\tbilling\t" in line]
    assert len(billing) == 1 and "olena" in billing[0] and "Europe/Kyiv" in billing[0]
    # bad input: a clear error, nothing changed
    code, _out, err = cli("queue", "add", "other", "--first")
    assert code == 2 and "already is a first line" in err
    code, _out, err = cli("queue", "add", "x", "--timezone", "Mars/Base", "--hours", hours)
    assert code == 2 and "unknown time zone" in err
    code, _out, err = cli("queue", "member", "add", "billing", "ghost")
    assert code == 2 and "no user named 'ghost'" in err
    assert len(cli("queue", "list")[1].splitlines()) == 2
