"""Plain HTTP on the hub port: health check, widget files, no way out of the widget folder."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from app.hub.embedded import EmbeddedHub
from tests.conftest import TestHub

WIDGET = Path(__file__).resolve().parents[2] / "resources" / "widget"


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)  # sent as written: no client-side normalisation
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_healthz(hub: TestHub) -> None:
    status, headers, body = get(hub.port, "/healthz")
    assert (status, body) == (200, b"ok")
    assert headers["content-type"].startswith("text/plain")


@pytest.mark.skipif(not (WIDGET / "index.html").is_file(), reason="the widget is not in the tree")
def test_widget_files_with_content_types(hub: TestHub) -> None:
    status, headers, body = get(hub.port, "/")
    assert status == 200 and body == (WIDGET / "index.html").read_bytes()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    for name, ctype in (("widget.js", "text/javascript"), ("widget.css", "text/css")):
        if (WIDGET / name).is_file():
            status, headers, body = get(hub.port, f"/widget/{name}")
            assert status == 200 and body == (WIDGET / name).read_bytes()
            assert headers["content-type"].startswith(ctype)


@pytest.mark.parametrize(
    "path",
    [
        "/widget/../../pyproject.toml",
        "/widget/%2e%2e/%2e%2e/pyproject.toml",
        "/widget/..%2f..%2fpyproject.toml",
        "/widget/%2fetc%2fpasswd",
        "/widget/..\\..\\pyproject.toml",
        "/widget/.hidden",
        "/widget/",
        "/widget/nope.js",
        "/etc/passwd",
        "/ws/other",
        "/favicon.ico",
    ],
)
def test_everything_else_is_404(hub: TestHub, path: str) -> None:
    status, _, body = get(hub.port, path)
    assert status == 404
    assert b"[project]" not in body and b"root:" not in body


def test_placeholder_when_widget_missing(tmp_path: Path) -> None:
    (tmp_path / "widget").mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    with EmbeddedHub(f"sqlite:///{tmp_path / 'h.db'}", widget_dir=tmp_path / "widget") as hub:
        status, _, body = get(hub.port, "/")
        assert status == 200 and b"widget is not installed" in body
        assert get(hub.port, "/widget/../secret.txt")[0] == 404
        assert get(hub.port, "/widget/%2e%2e/secret.txt")[0] == 404
