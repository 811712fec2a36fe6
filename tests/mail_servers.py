"""Real mail servers on 127.0.0.1 for the e-mail channel tests.

- :class:`Dovecot`: a private Debian dovecot (``/usr/sbin/dovecot``, package
  dovecot-imapd, installed by scripts/test) run as the current user on a free port, with
  its own configuration, passwd-file and Maildir in a temporary folder: no root, no
  system service. Test mail is delivered by IMAP APPEND (as another mail program would
  put it there).
- :class:`SmtpSink`: aiosmtpd as the SMTP server the hub sends replies to; it keeps what
  it received, and can refuse recipients (550) or answer 421 (down) on command, require a
  login, or STARTTLS.
- :func:`make_certificate`: a self-signed certificate (openssl) for the TLS tests.
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

DOVECOT = "/usr/sbin/dovecot"
USER = "support@shop.test"
PASSWORD = "imap-pa55 \"quoted\""


def dovecot_missing() -> str:
    """Why dovecot cannot run here ("" when it can)."""
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} is missing (Debian package dovecot-imapd; scripts/test installs it)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl): (certificate, key). The
    certificate is its own CA: the hub is given it with ``--tls-ca-file``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o644)  # dovecot reads it as its own user here
    return cert, key


@dataclass
class Dovecot:
    """A private dovecot; ``idle=False`` leaves IDLE out of its CAPABILITY (a server
    without IMAP IDLE, for the polling fallback)."""

    idle: bool = True
    tls: tuple[Path, Path] | None = None  # (certificate, key): STARTTLS on ``port``, TLS on ``ssl_port``
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="frontline-dovecot-")))
    port: int = 0
    ssl_port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def _config(self) -> str:
        user = getpass.getuser()
        group = grp.getgrgid(os.getgid()).gr_name
        uid, gid = os.getuid(), os.getgid()
        as_root = uid == 0
        if as_root:
            # dovecot runs no login or mail process as root: its own users (dovenull,
            # dovecot, made by the Debian package) log in, the mail belongs to nobody
            mail_user = pwd.getpwnam("nobody")
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            self.root.chmod(0o755)
        (self.root / "run").mkdir(exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)
        home = self.root / "home"
        home.mkdir(exist_ok=True)
        if as_root:
            os.chown(home, uid, gid)
        # passwd-file: user:{PLAIN}password:uid:gid::home
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}\n")
        users = (
            ""
            if as_root
            else f"""default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""
        )
        caps = ""
        if not self.idle:
            caps = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT UIDPLUS NAMESPACE\n"
        ssl = "ssl = no"
        if self.tls is not None:
            ssl = f"ssl = yes\nssl_cert = <{self.tls[0]}\nssl_key = <{self.tls[1]}"
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
{caps}"""

    def start(self) -> Dovecot:
        for _ in range(5):
            self.port = free_port()
            self.ssl_port = free_port() if self.tls is not None else 0
            (self.root / "dovecot.conf").write_text(self._config())
            self.proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
                time.sleep(0.05)  # waiting for a child process to listen: no event to wait on
            self.stop(keep=True)
        log = self.log()
        self.stop()
        raise RuntimeError(f"dovecot did not start: {log}")

    def log(self) -> str:
        out = ""
        if self.proc is not None and self.proc.stdout is not None and self.proc.poll() is not None:
            out = self.proc.stdout.read().decode("utf-8", "replace")
        path = self.root / "dovecot.log"
        return out + (path.read_text(errors="replace") if path.exists() else "")

    def stop(self, keep: bool = False) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ the mailbox, as a mail program sees it

    def _imap(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, mail: bytes | EmailMessage, folder: str = "INBOX") -> None:
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=policy.SMTP)
        imap = self._imap()
        try:
            typ, data = imap.append(folder, "", None, raw)  # type: ignore[arg-type]
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID -> flags of every mail in the folder."""
        imap = self._imap()
        try:
            imap.select(folder)
            _typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            out: dict[int, str] = {}
            for item in data:
                if isinstance(item, bytes) and b"UID" in item:
                    text = item.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    out[uid] = text.split("FLAGS (")[1].split(")")[0]
            return out
        finally:
            imap.logout()


def mail(
    sender: str,
    subject: str,
    text: str | None = "",
    *,
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = USER
    m["Subject"] = subject
    m["Message-ID"] = message_id or f"<{os.urandom(6).hex()}@customer.test>"
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in (headers or {}).items():
        m[k] = v
    if text is not None:
        m.set_content(text)
        if html is not None:
            m.add_alternative(html, subtype="html")
    elif html is not None:
        m.set_content(html, subtype="html")
    for name, mime, data in attachments or []:
        maintype, subtype = mime.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


# ----------------------------------------------------------------------------- SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Any:
        return message_from_bytes(self.data, policy=policy.default)


class SmtpSink:
    """aiosmtpd on 127.0.0.1: keeps what it received; ``refuse`` recipients get 550,
    ``down`` makes every transaction answer 421 (the server is unavailable)."""

    def __init__(self, auth: tuple[str, str] | None = None, tls: tuple[Path, Path] | None = None) -> None:
        self.auth = auth  # (user, password) the server requires (AUTH PLAIN/LOGIN)
        self.tls = tls  # (certificate, key): the server offers STARTTLS and requires it
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self.down = False
        self.attempts = 0
        self._lock = threading.Lock()
        self.controller: Any = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self._lock:
            self.attempts += 1
        if self.down:
            return "421 4.3.2 Service not available, try again later"
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        kw: dict[str, Any] = {}
        if self.auth is not None:
            from aiosmtpd.smtp import AuthResult, LoginPassword

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
                ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self.auth
                return AuthResult(success=ok, handled=False)  # failed: aiosmtpd answers 535

            kw = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
        if self.tls is not None:
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            kw.update(tls_context=context, require_starttls=True)
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, on purpose
            warnings.simplefilter("ignore", UserWarning)
            self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), **kw)
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.rcpt_tos]
