"""``frontline-hub``: run the hub, manage accounts, seed demo data.

    frontline-hub serve [--db URL] [--host H] [--port P] [--bot-first-line] [--public-url URL]
    frontline-hub user add NAME --role operator|supervisor|admin [--display-name X] [--password-stdin]
    frontline-hub demo-seed [--db URL]
    frontline-hub queue add NAME [--first] [--strategy round_robin|least_loaded|manual] [--offer-timeout S]
                               [--first-response S] [--next-response S] [--timezone TZ] [--hours JSON]
    frontline-hub queue list
    frontline-hub queue set QUEUE --bot-first-line on|off
    frontline-hub queue member add QUEUE USERNAME
    frontline-hub field add KEY LABEL [--type text|number|date]
    frontline-hub field list
    frontline-hub channel add telegram --token-env VAR | --token-file PATH [--mode polling|webhook]
                               [--public-url URL] [--api-url URL] [--poll-timeout S] [--disabled]
    frontline-hub channel add whatsapp --phone-number-id ID --token-env VAR --app-secret-env VAR
                               --verify-token-env VAR (or the *-file forms) [--public-url URL]
                               [--api-url URL] [--api-version vNN.N] [--waba-id ID]
                               [--templates-refresh S] [--disabled]
    frontline-hub channel add email --imap-host H [--imap-port P] --imap-user U
                               --imap-password-env VAR | --imap-password-file PATH
                               --smtp-host H [--smtp-port P] [--smtp-user U] [--smtp-password-env VAR | -file PATH]
                               --from-address ADDR [--from-name NAME] [--imap-folder INBOX]
                               [--tls none|starttls|ssl] [--smtp-tls ...] [--tls-ca-file PATH]
                               [--poll-interval S] [--no-idle]
    frontline-hub channel status [--json]
    frontline-hub channel remove NAME
    frontline-hub kb import DIR [--visibility internal|public] [--json]
    frontline-hub kb search QUERY|- [--lang L] [--tag T] [--visibility V] [--limit N] [--json]
    frontline-hub kb synonyms add "word1,word2,..." | list [--json]
    frontline-hub kb delete ID
    frontline-hub kb bot-stats [--json]

``--db`` defaults to $FRONTLINE_HUB_DB, else a SQLite file in the user data folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.domain.files import DEFAULT_TYPES, TYPE_NAMES
from app.hub.accounts import ROLES, DuplicateUser, create_operator

EXIT_USAGE = 2
DB_ENV = "FRONTLINE_HUB_DB"
WEBHOOK_PORT_ENV = "FRONTLINE_HUB_WEBHOOK_PORT"
WEBHOOK_HOST_ENV = "FRONTLINE_HUB_WEBHOOK_HOST"

log = logging.getLogger("frontline.hub")


def default_db_url() -> str:
    env = os.environ.get(DB_ENV)
    if env:
        return env
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("frontline-hub", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'hub.db'}"


def _fail(message: str) -> int:
    print(f"frontline-hub: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="frontline-hub", description="The Frontline hub.")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    sub = p.add_subparsers(dest="command", required=True)

    def db_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--db", default=None, help=f"database URL (default: ${DB_ENV} or a file in the user data dir)"
        )

    serve = sub.add_parser("serve", help="run the hub")
    db_arg(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--widget-dir", type=Path, default=None, help="folder of the web chat widget files")
    env_port = os.environ.get(WEBHOOK_PORT_ENV, "")
    serve.add_argument(
        "--webhook-port",
        type=int,
        default=int(env_port) if env_port.isdigit() else None,
        help=f"port of the channels' webhook listener (Telegram in webhook mode; default ${WEBHOOK_PORT_ENV}); "
        "none without it",
    )
    serve.add_argument(
        "--webhook-host",
        default=os.environ.get(WEBHOOK_HOST_ENV) or None,
        help=f"address of the webhook listener (default ${WEBHOOK_HOST_ENV}, else --host)",
    )
    serve.add_argument(
        "--files-dir",
        type=Path,
        default=None,
        help="where attachments are kept (default: 'files' next to the SQLite database; "
        "with PostgreSQL a directory every hub node shares)",
    )
    serve.add_argument("--max-file-mb", type=float, default=10.0, help="largest attachment, MiB (default 10)")
    serve.add_argument(
        "--file-types",
        default=",".join(DEFAULT_TYPES),
        help="attachment types taken, detected by content (default: %(default)s; "
        f"known: {', '.join(TYPE_NAMES)})",
    )
    serve.add_argument(
        "--public-url",
        type=_public_url,
        default=os.environ.get("FRONTLINE_PUBLIC_URL") or None,
        help="the address customers open the hub's HTTP side at, for links to public knowledge-base "
        "articles (e.g. https://help.example.com; default $FRONTLINE_PUBLIC_URL, else http://HOST:PORT)",
    )
    serve.add_argument(
        "--bot-first-line",
        action="store_true",
        help="a hub WITHOUT lines: the web chat bot offers confident public articles "
        "(with lines: frontline-hub queue set LINE --bot-first-line on)",
    )

    user = sub.add_parser("user", help="manage operator accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    db_arg(add)

    queue = sub.add_parser("queue", help="manage lines (queues) and their members")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True)
    qadd = queue_sub.add_parser("add", help="create a line")
    qadd.add_argument("name")
    qadd.add_argument("--first", action="store_true", help="the first line (new chats land here)")
    qadd.add_argument("--strategy", default="round_robin", choices=["round_robin", "least_loaded", "manual"])
    qadd.add_argument("--offer-timeout", type=float, default=20.0, help="seconds to accept an offer")
    qadd.add_argument("--first-response", type=int, default=90, help="first-response target, seconds")
    qadd.add_argument("--next-response", type=int, default=300, help="next-response target, seconds")
    qadd.add_argument("--timezone", default="UTC")
    qadd.add_argument("--hours", default="", help='business hours, e.g. \'{"mon": ["09:00-18:00"]}\'')
    db_arg(qadd)
    qlist = queue_sub.add_parser("list", help="show the lines")
    db_arg(qlist)
    qset = queue_sub.add_parser("set", help="change a line's settings")
    qset.add_argument("queue")
    qset.add_argument(
        "--bot-first-line",
        required=True,
        choices=["on", "off"],
        help="web chat: offer a public article that answers a new chat's first message (off by default)",
    )
    db_arg(qset)
    qmember = queue_sub.add_parser("member", help="line members")
    qmember_sub = qmember.add_subparsers(dest="member_command", required=True)
    qmadd = qmember_sub.add_parser("add", help="add an operator to a line")
    qmadd.add_argument("queue")
    qmadd.add_argument("username")
    db_arg(qmadd)

    field = sub.add_parser("field", help="custom fields of the customer card")
    field_sub = field.add_subparsers(dest="field_command", required=True)
    fadd = field_sub.add_parser("add", help="define a custom field (e.g. policy number, tax id)")
    fadd.add_argument("key", help="stable key: a letter, then letters, digits or _ (e.g. policy_no)")
    fadd.add_argument("label", help="what operators see (e.g. 'Policy number')")
    fadd.add_argument("--type", default="text", choices=["text", "number", "date"], help="value type (default text)")
    db_arg(fadd)
    flist = field_sub.add_parser("list", help="show the custom fields")
    db_arg(flist)

    channel = sub.add_parser("channel", help="channels: Telegram, WhatsApp, e-mail")
    channel_sub = channel.add_subparsers(dest="channel_command", required=True)
    cadd = channel_sub.add_parser("add", help="add a channel, or change its settings (the running hub follows)")
    cadd.add_argument("kind", choices=["telegram", "whatsapp", "email"])
    token = cadd.add_mutually_exclusive_group()
    token.add_argument("--token-env", help="environment variable of the hub that holds the bot / access token")
    token.add_argument("--token-file", help="file that holds the bot / access token (readable by the hub only)")
    cadd.add_argument("--mode", default=None, choices=["polling", "webhook"], help="Telegram (default polling)")
    cadd.add_argument("--public-url", default="", help="webhook mode: https address of the webhook listener")
    cadd.add_argument(
        "--api-url",
        default=None,
        help="API address (default https://api.telegram.org, or https://graph.facebook.com for WhatsApp)",
    )
    cadd.add_argument("--poll-timeout", type=int, default=25, help="long-poll timeout, seconds (Telegram polling)")
    cadd.add_argument("--phone-number-id", default="", help="WhatsApp: the Phone number ID from Meta's API setup")
    cadd.add_argument("--api-version", default="v21.0", help="WhatsApp: the Graph API version (default v21.0)")
    cadd.add_argument(
        "--waba-id",
        default="",
        help="WhatsApp: the WhatsApp Business Account ID (its approved message templates are offered to operators)",
    )
    cadd.add_argument(
        "--templates-refresh",
        type=float,
        default=None,
        help="WhatsApp: how often the templates are fetched again, seconds (default 3600)",
    )
    for secret, what in (("app-secret", "the Meta app secret"), ("verify-token", "the webhook verify token")):
        group = cadd.add_mutually_exclusive_group()
        group.add_argument(f"--{secret}-env", help=f"WhatsApp: environment variable that holds {what}")
        group.add_argument(f"--{secret}-file", help=f"WhatsApp: file that holds {what}")
    mail = cadd.add_argument_group("e-mail (channel add email)")
    mail.add_argument("--imap-host", default="", help="IMAP server of the support mailbox")
    mail.add_argument("--imap-port", type=int, default=None, help="default 993 with --tls ssl, else 143")
    mail.add_argument("--imap-user", default="", help="IMAP login")
    mail.add_argument("--imap-password-env", default="", help="environment variable that holds the IMAP password")
    mail.add_argument("--imap-password-file", default="", help="file that holds the IMAP password")
    mail.add_argument("--imap-folder", default="INBOX", help="folder to read (default INBOX)")
    mail.add_argument("--smtp-host", default="", help="SMTP server replies go out through")
    mail.add_argument("--smtp-port", type=int, default=None, help="default 465 (ssl), 587 (starttls) or 25 (none)")
    mail.add_argument("--smtp-user", default="", help="SMTP login (none: send without logging in)")
    mail.add_argument("--smtp-password-env", default="", help="its password's variable (default: the IMAP one)")
    mail.add_argument("--smtp-password-file", default="", help="its password's file (default: the IMAP one)")
    mail.add_argument("--from-address", default="", help="the support address replies come from")
    mail.add_argument("--from-name", default="", help="display name of the support address (e.g. 'Acme Support')")
    mail.add_argument("--tls", default="ssl", choices=["none", "starttls", "ssl"], help="IMAP (and SMTP) TLS")
    mail.add_argument("--smtp-tls", default=None, choices=["none", "starttls", "ssl"], help="SMTP TLS (default: --tls)")
    mail.add_argument("--tls-ca-file", default="", help="CA certificate(s) to check the servers by (an office CA)")
    mail.add_argument("--poll-interval", type=float, default=60, help="seconds between polls without IMAP IDLE")
    mail.add_argument("--no-idle", action="store_true", help="poll even when the server offers IMAP IDLE")
    cadd.add_argument("--disabled", action="store_true", help="store the settings but do not run the channel")
    db_arg(cadd)
    cstatus = channel_sub.add_parser("status", help="show channels, their state, last error and outbox")
    cstatus.add_argument("--json", action="store_true", help="one JSON object (for monitoring)")
    db_arg(cstatus)
    cremove = channel_sub.add_parser("remove", help="remove a channel (its conversations and outbox stay)")
    cremove.add_argument("name")
    db_arg(cremove)

    kb = sub.add_parser("kb", help="the knowledge base: import, search, synonyms")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kimport = kb_sub.add_parser("import", help="import a folder of Markdown articles (again: updates, no duplicates)")
    kimport.add_argument("dir", type=Path)
    kimport.add_argument(
        "--visibility",
        default="internal",
        choices=["internal", "public"],
        help="for files whose front matter does not say (default internal)",
    )
    kimport.add_argument("--json", action="store_true", help="one JSON line per article")
    db_arg(kimport)
    ksearch = kb_sub.add_parser("search", help="search the knowledge base ('-': one query per line of stdin)")
    ksearch.add_argument("query")
    ksearch.add_argument("--lang", default=None, choices=["ru", "uk", "en"])
    ksearch.add_argument("--tag", action="append", default=[], help="only articles with this tag (repeatable)")
    ksearch.add_argument("--visibility", default=None, choices=["internal", "public"])
    ksearch.add_argument("--limit", type=int, default=10)
    ksearch.add_argument("--no-fallback", action="store_true", help="no Russian hits for Ukrainian queries and back")
    ksearch.add_argument("--json", action="store_true", help="JSON lines (with '-': one line of hits per query)")
    db_arg(ksearch)
    ksyn = kb_sub.add_parser("synonyms", help="synonym groups (words or phrases that mean the same)")
    ksyn_sub = ksyn.add_subparsers(dest="syn_command", required=True)
    ksadd = ksyn_sub.add_parser("add", help='add a group: "word1,word2,..." (merged with groups sharing a word)')
    ksadd.add_argument("words")
    db_arg(ksadd)
    kslist = ksyn_sub.add_parser("list", help="show the groups")
    kslist.add_argument("--json", action="store_true")
    db_arg(kslist)
    ksclear = ksyn_sub.add_parser("clear", help="remove every group")
    db_arg(ksclear)
    kdel = kb_sub.add_parser("delete", help="delete an article")
    kdel.add_argument("id")
    db_arg(kdel)
    kstats = kb_sub.add_parser("bot-stats", help="the web chat bot's offers and what customers made of them")
    kstats.add_argument("--json", action="store_true", help="one JSON object")
    db_arg(kstats)

    seed = sub.add_parser("demo-seed", help="create demo operators (password 'demo') and conversations")
    db_arg(seed)
    return p


def _file_types(raw: str) -> tuple[str, ...]:
    types = tuple(t.strip().lower() for t in raw.split(",") if t.strip())
    unknown = [t for t in types if t not in TYPE_NAMES]
    if unknown or not types:
        what = ", ".join(unknown) or "(none given)"
        raise SystemExit(f"--file-types: unknown {what}; known: {', '.join(TYPE_NAMES)}")
    return types


def _public_url(value: str) -> str:
    """An http(s) base address without query or fragment, trailing "/" dropped."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"--public-url {value!r}: give an http:// or https:// address, e.g. https://help.example.com"
        )
    return value.strip().rstrip("/")


async def _serve(args: argparse.Namespace) -> int:
    from app.hub.server import Hub, HubConfig

    hub = Hub(
        HubConfig(
            db_url=args.db,
            host=args.host,
            port=args.port,
            widget_dir=args.widget_dir,
            webhook_host=args.webhook_host,
            webhook_port=args.webhook_port,
            files_dir=args.files_dir,
            max_file_bytes=int(args.max_file_mb * 1024 * 1024),
            file_types=_file_types(args.file_types),
            bot_first_line=args.bot_first_line,
            public_url=args.public_url or "",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(sig, stop.set)
    await hub.start()
    print(f"frontline-hub listening on {hub.ws_url} (web chat: {hub.http_url}/)", file=sys.stderr, flush=True)
    print(f"frontline-hub: public article links start with {hub.public_base}/kb/", file=sys.stderr, flush=True)
    if hub.webhook_url:
        print(f"frontline-hub: channel webhooks on {hub.webhook_url}/channels/", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await hub.stop()
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    second = getpass.getpass("Repeat the password: ")
    if first != second:
        raise ValueError("the passwords do not match")
    return first


def _user_add(args: argparse.Namespace) -> int:
    try:
        password = _read_password(args)
        info = create_operator(args.db, args.name, password, args.role, args.display_name)
    except DuplicateUser:
        return _fail(f"a user named {args.name.strip().lower()!r} already exists")
    except ValueError as exc:
        return _fail(str(exc))
    print(f"created {info.role} {info.username!r} ({info.display_name}), id {info.id}")
    return 0


def _demo_seed(args: argparse.Namespace) -> int:
    from app.hub.demo import seed_demo

    result = seed_demo(args.db)
    print(
        f"demo data: {result.operators_created} operators and "
        f"{result.conversations_created} conversations added; "
        f"accounts {', '.join(result.usernames)} with password {result.password!r}"
    )
    return 0


def _queue(args: argparse.Namespace) -> int:
    from app.storage import Store, make_engine, upgrade

    engine = make_engine(args.db)
    try:
        upgrade(engine)
        store = Store(engine)
        if args.queue_command == "add":
            info = store.create_queue(
                args.name,
                kind="first" if args.first else "second",
                strategy=args.strategy,
                offer_timeout_s=args.offer_timeout,
                first_response_s=args.first_response,
                next_response_s=args.next_response,
                timezone=args.timezone,
                hours=args.hours,
            ).value
            print(f"created {info.kind} line {info.name!r} ({info.strategy}), id {info.id}")
        elif args.queue_command == "set":
            on = args.bot_first_line == "on"
            store.kb_bot.set_queue(args.queue, on)
            print(f"line {' '.join(args.queue.split()).lower()!r}: bot first line {'on' if on else 'off'}")
        elif args.queue_command == "member":
            info = store.add_queue_member(args.queue, args.username).value
            print(f"line {info.name!r} members: {', '.join(str(m) for m in info.members)}")
        else:
            names = {o.id: o.username for o in store.sync_state().operators}
            for q in store.queues():
                members = ", ".join(names.get(m, str(m)) for m in q.members) or "(no members)"
                hours = "always open" if not q.hours else f"{q.timezone} {q.hours}"
                print(
                    f"{q.id}\t{q.name}\t{q.kind}\t{q.strategy}\toffer {q.offer_timeout_s:g}s\t"
                    f"SLA {q.first_response_s}/{q.next_response_s}s\t{hours}\t"
                    f"bot {'on' if q.bot_first_line else 'off'}\t{members}"
                )
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        engine.dispose()
    return 0


def _field(args: argparse.Namespace) -> int:
    from app.storage import Store, make_engine, upgrade

    engine = make_engine(args.db)
    try:
        upgrade(engine)
        cards = Store(engine).customers
        if args.field_command == "add":
            made = cards.add_field(args.key, args.label, args.type)
            print(f"created {made.type} field {made.key!r} ({made.label})")
        else:
            for f in cards.fields():
                print(f"{f.key}\t{f.type}\t{f.label}")
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        engine.dispose()
    return 0


def _channel(args: argparse.Namespace) -> int:
    from app.storage import Store, make_engine, upgrade
    from app.storage.channels import ChannelStore

    engine = make_engine(args.db)
    try:
        upgrade(engine)
        channels = ChannelStore(Store(engine))
        if args.channel_command == "add":
            return _channel_add(args, channels)
        if args.channel_command == "remove":
            if not channels.remove(args.name):
                return _fail(f"no channel named {args.name!r}")
            print(f"removed channel {args.name!r} (its conversations and waiting replies are kept)")
            return 0
        return _channel_status(args, channels)
    finally:
        engine.dispose()


def _channel_add(args: argparse.Namespace, channels: Any) -> int:
    from app.hub.channels.manager import ADAPTERS

    if args.kind == "whatsapp":
        return _whatsapp_add(args, channels)
    if args.kind == "email":
        return _email_add(args, channels)
    if not args.token_env and not args.token_file:
        return _fail("telegram needs --token-env VAR or --token-file PATH (where the bot token is)")
    settings: dict[str, Any] = {
        "mode": args.mode or "polling",
        "api_url": args.api_url or "https://api.telegram.org",
        "poll_timeout_s": args.poll_timeout,
    }
    args.mode = settings["mode"]
    if args.token_env:
        settings["token_env"] = args.token_env
    else:
        settings["token_file"] = str(Path(args.token_file).resolve())
    if args.public_url:
        settings["public_url"] = args.public_url
    try:
        settings = ADAPTERS[args.kind].check_settings(settings)
        record, created = channels.configure(args.kind, args.kind, settings, enabled=not args.disabled)
    except ValueError as exc:
        return _fail(str(exc))
    where = f"${args.token_env}" if args.token_env else settings["token_file"]
    print(
        f"{'added' if created else 'updated'} channel {record.name!r} ({args.mode}"
        f"{', disabled' if args.disabled else ''}); the hub reads the bot token from {where}"
    )
    if args.mode == "webhook":
        print(
            f"Telegram will POST to {settings['public_url']}/channels/{record.name}/<secret path>: "
            "forward /channels/ to the hub's --webhook-port"
        )
    return 0


def _whatsapp_add(args: argparse.Namespace, channels: Any) -> int:
    from app.hub.channels.manager import ADAPTERS

    if args.mode not in (None, "webhook"):
        return _fail("WhatsApp receives by webhook only (leave out --mode)")
    settings: dict[str, Any] = {
        "mode": "webhook",
        "phone_number_id": args.phone_number_id,
        "api_version": args.api_version,
    }
    if args.waba_id:
        settings["waba_id"] = args.waba_id
    if args.templates_refresh is not None:
        settings["templates_refresh_s"] = args.templates_refresh
    if args.api_url:
        settings["api_url"] = args.api_url
    wheres = []
    for name in ("token", "app_secret", "verify_token"):
        env, path = getattr(args, f"{name}_env"), getattr(args, f"{name}_file")
        if env:
            settings[f"{name}_env"] = env
            wheres.append(f"${env}")
        elif path:
            settings[f"{name}_file"] = str(Path(path).resolve())
            wheres.append(settings[f"{name}_file"])
    if args.public_url:
        settings["public_url"] = args.public_url.rstrip("/")
    try:
        settings = ADAPTERS["whatsapp"].check_settings(settings)
        record, created = channels.configure("whatsapp", "whatsapp", settings, enabled=not args.disabled)
    except ValueError as exc:
        return _fail(str(exc))
    print(
        f"{'added' if created else 'updated'} channel {record.name!r} (phone number id {settings['phone_number_id']}"
        f"{', WABA id ' + settings['waba_id'] if settings.get('waba_id') else ', no WABA id: no templates'}"
        f"{', disabled' if args.disabled else ''}); the hub reads the access token, app secret and verify token "
        f"from {', '.join(wheres)}"
    )
    base = settings.get("public_url") or "https://<your hub>"
    print(
        "In Meta's app dashboard (WhatsApp > Configuration) set the callback URL to "
        f"{base}/channels/{record.name}/webhook with the same verify token and subscribe to the 'messages' "
        "field; forward /channels/ to the hub's --webhook-port"
    )
    return 0


def _email_add(args: argparse.Namespace, channels: Any) -> int:
    from app.hub.channels.manager import ADAPTERS

    if args.imap_password_env and args.imap_password_file:
        return _fail("give --imap-password-env or --imap-password-file, not both")
    if args.smtp_password_env and args.smtp_password_file:
        return _fail("give --smtp-password-env or --smtp-password-file, not both")
    settings: dict[str, Any] = {
        "imap_host": args.imap_host,
        "imap_user": args.imap_user,
        "imap_folder": args.imap_folder,
        "smtp_host": args.smtp_host,
        "smtp_user": args.smtp_user,
        "from_address": args.from_address,
        "from_name": args.from_name,
        "tls": args.tls,
        "smtp_tls": args.smtp_tls or args.tls,
        "poll_interval_s": args.poll_interval,
        "idle": not args.no_idle,
    }
    if args.tls_ca_file:
        settings["tls_ca_file"] = str(Path(args.tls_ca_file).resolve())
    if args.imap_port is not None:
        settings["imap_port"] = args.imap_port
    if args.smtp_port is not None:
        settings["smtp_port"] = args.smtp_port
    # the IMAP password is the channel's secret (the manager reads token_env / token_file)
    if args.imap_password_env:
        settings["token_env"] = args.imap_password_env
    elif args.imap_password_file:
        settings["token_file"] = str(Path(args.imap_password_file).resolve())
    if args.smtp_password_env:
        settings["smtp_password_env"] = args.smtp_password_env
    elif args.smtp_password_file:
        settings["smtp_password_file"] = str(Path(args.smtp_password_file).resolve())
    try:
        settings = ADAPTERS["email"].check_settings(settings)
        record, created = channels.configure("email", "email", settings, enabled=not args.disabled)
    except ValueError as exc:
        return _fail(str(exc))
    where = f"${args.imap_password_env}" if args.imap_password_env else settings["token_file"]
    how = "IMAP IDLE when offered" if settings["idle"] else f"polling every {settings['poll_interval_s']} s"
    print(
        f"{'added' if created else 'updated'} channel {record.name!r} ({settings['imap_user']} at "
        f"{settings['imap_host']}:{settings['imap_port']}, {how}; replies from {settings['from_address']} through "
        f"{settings['smtp_host']}:{settings['smtp_port']}{', disabled' if args.disabled else ''}); "
        f"the hub reads the password from {where}"
    )
    return 0


def _channel_status(args: argparse.Namespace, channels: Any) -> int:
    import json

    rows = channels.status()
    if args.json:
        out = {
            st.channel.name: {
                "kind": st.channel.kind,
                "enabled": st.channel.enabled,
                "mode": st.channel.settings.get("mode", "imap" if st.channel.kind == "email" else ""),
                "state": st.channel.state,
                "since": _when(st.channel.state_since),
                "last_error": st.channel.last_error,
                "last_ok_at": _when(st.channel.last_ok_at),
                "outbox": {"waiting": st.pending, "failed": st.failed, "sent": st.sent},
                "oldest_waiting_at": _when(st.oldest_pending_at),
            }
            for st in rows
        }
        print(json.dumps({"channels": out}, indent=2))
        return 0
    if not rows:
        print("no channels (add one: frontline-hub channel add telegram --token-env FRONTLINE_TG_TOKEN)")
        return 0
    for st in rows:
        c = st.channel
        state = c.state if c.enabled else "disabled"
        mode = c.settings.get("mode", "")
        if c.kind == "email":
            mode = f"{c.settings.get('imap_user', '')}@{c.settings.get('imap_host', '')}"
        print(
            f"{c.name}\t{mode}\t{state} since {_when(c.state_since) or '-'}\t"
            f"outbox: {st.pending} waiting, {st.failed} failed, {st.sent} sent"
        )
        if st.oldest_pending_at is not None:
            print(f"  oldest waiting reply: {_when(st.oldest_pending_at)}")
        if c.last_ok_at is not None:
            print(f"  last worked: {_when(c.last_ok_at)}")
        if c.last_error:
            print(f"  last error: {c.last_error}")
    return 0


def _kb(args: argparse.Namespace) -> int:
    from app.storage import Store, make_engine, upgrade

    engine = make_engine(args.db)
    try:
        upgrade(engine)
        kb = Store(engine).kb
        if args.kb_command == "bot-stats":
            return _kb_bot_stats(args, Store(engine))
        if args.kb_command == "import":
            return _kb_import(args, kb)
        if args.kb_command == "search":
            return _kb_search(args, kb)
        if args.kb_command == "delete":
            if not kb.delete(None, args.id).value[0]:
                return _fail(f"no article {args.id!r}")
            print(f"deleted {args.id}")
            return 0
        if args.syn_command == "add":
            groups = kb.add_synonyms(args.words.split(","))
        elif args.syn_command == "clear":
            groups = kb.set_synonyms([])
        else:
            groups = kb.synonyms()
            if args.json:
                for g in groups:
                    print(json.dumps(g, ensure_ascii=False))
                return 0
        for g in groups:
            print(", ".join(g))
        return 0
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        engine.dispose()


def _kb_bot_stats(args: argparse.Namespace, store: Any) -> int:
    st = store.kb_bot.stats()
    figures = {
        "conversations": st.conversations,
        "offered": st.offered,
        "helped": st.helped,
        "handed_over": st.handed_over,
        "helped_after_reply": st.helped_after_reply,
        "no_answer": st.pending,
        "answered_share": round(st.answered_share, 4),
        "helped_share": round(st.helped_share, 4),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"web conversations: {st.conversations}")
    print(f"bot offers:        {st.offered}")
    print(f"  helped:          {st.helped} ({st.helped_share:.0%} of offers)")
    print(f"  handed over:     {st.handed_over}")
    print(f"  helped after an operator's reply: {st.helped_after_reply}")
    print(f"  no answer yet:   {st.pending}")
    print(f"answered by the bot: {st.answered_share:.1%} of web conversations")
    return 0


def _kb_import(args: argparse.Namespace, kb: Any) -> int:
    """Every readable file is imported; each broken one is named on stderr and makes the
    exit status 1 (the others are imported all the same)."""
    from app.search import load_markdown_dir

    if not args.dir.is_dir():
        return _fail(f"{args.dir} is not a folder")
    articles, errors = load_markdown_dir(args.dir, default_visibility=args.visibility)
    for name, why in errors:
        print(f"frontline-hub: {name}: not imported: {why}", file=sys.stderr)
    results = kb.import_articles(articles).value
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for r in results:
        counts[r.action] += 1
        if args.json:
            print(json.dumps({"id": r.id, "action": r.action}, ensure_ascii=False))
    if args.json:
        for name, why in errors:
            print(json.dumps({"file": name, "action": "failed", "error": why}, ensure_ascii=False))
    else:
        print(
            f"{len(results)} articles: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged; {len(errors)} files failed"
        )
    return 1 if errors else 0


def _kb_search(args: argparse.Namespace, kb: Any) -> int:
    from app.search import SearchIndex

    index = SearchIndex(kb.synonyms())
    index.add_many(kb.articles())

    def run(query: str) -> list[Any]:
        return index.search(
            query,
            lang=args.lang,
            tags=args.tag,
            visibility=args.visibility,
            limit=args.limit,
            fallback=not args.no_fallback,
        )

    def as_json(h: Any) -> dict[str, Any]:
        return {"id": h.id, "title": h.title, "score": h.score, "snippet": h.snippet, "lang": h.lang}

    if args.query == "-":
        for line in sys.stdin:
            hits = run(line.rstrip("\n"))
            if args.json:
                print(json.dumps([as_json(h) for h in hits], ensure_ascii=False), flush=True)
            else:
                print("\t".join(h.id for h in hits), flush=True)
        return 0
    for h in run(args.query):
        if args.json:
            print(json.dumps(as_json(h), ensure_ascii=False))
        else:
            print(f"{h.id}\t{h.score:.3f}\t{h.lang}\t{h.title}\n\t{h.snippet}")
    return 0


def _when(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%SZ")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "db", "") is None:
        args.db = default_db_url()
    try:
        if args.command == "serve":
            try:
                return asyncio.run(_serve(args))
            except KeyboardInterrupt:
                return 0
            except OSError as exc:
                return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
        if args.command == "user":
            return _user_add(args)
        if args.command == "queue":
            return _queue(args)
        if args.command == "field":
            return _field(args)
        if args.command == "channel":
            return _channel(args)
        if args.command == "kb":
            return _kb(args)
        if args.command == "demo-seed":
            return _demo_seed(args)
    except KeyboardInterrupt:
        return 130
    return _fail(f"unknown command {args.command!r}")  # pragma: no cover - argparse refuses it first


if __name__ == "__main__":
    sys.exit(main())
