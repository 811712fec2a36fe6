"""Composition root of the desktop client: ``frontline`` and ``frontline demo``.

One event loop for everything (qasync): Qt events and the hub connection share it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.client.secrets import KeyringSecretStore, MemorySecretStore, SecretStore
from app.client.session import OperatorSession
from app.client.settings import Settings
from ui import i18n, theme
from ui.bridge.session_bridge import SessionBridge
from ui.controller import AppController

log = logging.getLogger("frontline")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="frontline", description="Frontline operator client")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help="UI language (default: the system's)")
    parser.add_argument("--theme", choices=("light", "dark"), help="colour theme")
    parser.add_argument("--hub", help="hub address to offer in the login dialog")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="embedded hub + demo data + simulated customers, logged in")
    demo.add_argument("--lang", dest="demo_lang", choices=i18n.LANGUAGES)
    demo.add_argument("--theme", dest="demo_theme", choices=("light", "dark"))
    demo.add_argument("--screenshot", metavar="FILE", help="save a PNG of the window once traffic arrived, then exit")
    demo.add_argument("--data-dir", help="where the demo hub keeps its database (default: a new temp folder)")
    demo.add_argument("--operator", default="olena", help="demo operator to log in as")
    demo.add_argument("--pace", type=float, default=20.0, help="mean seconds between new simulated chats")
    demo.add_argument("--show", choices=("templates", "template-prompt", "templates-dialog", "kb", "kb-search",
                                         "kb-editor", "card-note"),
                      help="with --screenshot: also open this part of the window (answer templates, KB, a card note)")
    demo.add_argument("--timeout", type=float, default=90.0, help="--screenshot gives up after this many seconds")
    args = parser.parse_args(argv)
    if args.command == "demo":
        args.lang = args.demo_lang or args.lang
        args.theme = args.demo_theme or args.theme
    return args


def make_app(args: argparse.Namespace, settings: Settings) -> QApplication:
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Frontline")
    app.setOrganizationName("Frontline")
    app.setQuitOnLastWindowClosed(False)  # the controller ends the run (a login dialog may follow a window)
    lang = i18n.pick_language(args.lang or settings.get("language") or None)
    app._frontline_translators = i18n.install(app, lang)  # type: ignore[attr-defined]
    theme.apply(app, args.theme or settings.get("theme"))
    return app


def secret_store() -> SecretStore:
    store = KeyringSecretStore()
    if not store.available:
        log.warning("no OS keyring available: sessions last for this run only")
        return MemorySecretStore(available=False)
    return store


async def run_client(args: argparse.Namespace, settings: Settings) -> int:
    # cache and outbox in the user data folder (platformdirs; $FRONTLINE_DATA_DIR overrides)
    session = OperatorSession(secret_store(), settings.device_id())
    bridge = SessionBridge(session)
    if args.hub:
        settings.set("hub_url", args.hub)
    controller = AppController(bridge, settings)
    await controller.start()
    await controller.done
    await session.close()
    return 0


async def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ui.demo import Demo

    demo = Demo(Path(args.data_dir), operator=args.operator, pace=args.pace)
    try:
        return await demo.run(settings, screenshot=args.screenshot, timeout=args.timeout,
                              show=args.show)
    finally:
        await demo.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "demo" and args.screenshot and not os.environ.get("QT_QPA_PLATFORM") \
            and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if args.command == "demo":
        # The demo keeps its hub database and its client settings together, away from a real setup.
        args.data_dir = args.data_dir or tempfile.mkdtemp(prefix="frontline-demo-")
        settings = Settings(config_dir=Path(args.data_dir) / "client")
    else:
        settings = Settings()
    app = make_app(args, settings)
    import qasync

    # Ctrl+C in the terminal closes the windows, which ends the run like a user would.
    signal.signal(signal.SIGINT, lambda *_: QApplication.closeAllWindows())
    loop = qasync.QEventLoop(app)
    # Blocking helpers (DNS lookups, the demo hub's start) run on plain Python threads:
    # qasync's QThread executor aborts the process if a thread outlives the QApplication.
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="frontline-io")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    coro = run_demo(args, settings) if args.command == "demo" else run_client(args, settings)
    try:
        code = loop.run_until_complete(coro)
    finally:
        executor.shutdown(wait=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
