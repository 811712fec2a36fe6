"""The e-mail channel end to end, with real servers on 127.0.0.1: a private Debian
dovecot (IMAP, IDLE) that the hub reads, aiosmtpd (SMTP) that receives the hub's
replies, and a real hub with operators on websockets. The channel is configured with
the CLI, as office IT would."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import TypeVar

import pytest

from app.hub.channels.email import EmailAdapter
from app.hub.cli import main as hub_cli
from app.protocol.messages import (
    CustomerChanges,
    CustomerGet,
    CustomerUpdate,
    MergeProposed,
    MessageCreated,
    SendMessage,
)
from app.storage import Store, make_engine
from app.storage.channels import ChannelStatus, ChannelStore
from app.storage.email import EmailStore
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import (
    CustomerClient,
    OperatorClient,
    file_urls,
    http_get,
    jpeg_header,
    png_bytes,
    txn,
    upload,
    wait_until,
)
from tests.mail_servers import PASSWORD, USER, Dovecot, SmtpSink, dovecot_missing, mail, make_certificate

pytestmark = [
    pytest.mark.skipif(bool(dovecot_missing()), reason=dovecot_missing() or "dovecot is here"),
    # aiosmtpd warns about AUTH without TLS: on loopback in a test, on purpose
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

T = TypeVar("T")
PASSWORD_ENV = "FRONTLINE_TEST_IMAP_PASSWORD"
SUPPORT = "support@shop.test"
FAST_CHANNELS = {
    "channel_refresh_s": 0.1,
    "channel_sweep_s": 0.1,
    "channel_retry_base_s": 0.05,
    "channel_retry_max_s": 0.4,
}


@dataclass
class MailSetup:
    hub: TestHub
    imap: Dovecot
    smtp: SmtpSink
    db_url: str

    def add_channel(self, *extra: str) -> None:
        code = hub_cli(
            [
                "channel", "add", "email",
                "--imap-host", "127.0.0.1", "--imap-port", str(self.imap.port), "--imap-user", USER,
                "--imap-password-env", PASSWORD_ENV,
                "--smtp-host", "127.0.0.1", "--smtp-port", str(self.smtp.port),
                "--from-address", SUPPORT, "--from-name", "Shop Support", "--tls", "none",
                "--db", self.db_url, *extra,
            ]
        )
        assert code == 0

    def status(self) -> ChannelStatus:
        engine = make_engine(self.db_url)
        try:
            (st,) = ChannelStore(Store(engine)).status()
            return st
        finally:
            engine.dispose()

    def adapter(self) -> EmailAdapter:
        manager = self.hub.hub.channels
        assert manager is not None
        adapter = manager._running["email"].adapter
        assert isinstance(adapter, EmailAdapter)
        return adapter

    def thread(self, conversation_id: int) -> list[tuple[str, str, str]]:
        engine = make_engine(self.db_url)
        try:
            return EmailStore(Store(engine)).messages(conversation_id)
        finally:
            engine.dispose()


def _setup(
    hub_db_url: str, idle: bool, *extra: str, smtp_auth: tuple[str, str] | None = None
) -> Iterator[MailSetup]:
    imap = Dovecot(idle=idle).start()
    smtp = SmtpSink(auth=smtp_auth).start()
    accounts = create_test_accounts(hub_db_url)
    hub = TestHub(hub_db_url, accounts, **FAST_CHANNELS)
    setup = MailSetup(hub, imap, smtp, hub_db_url)
    setup.add_channel(*extra)
    hub.start()
    try:
        yield setup
    finally:
        hub.stop()
        smtp.stop()
        imap.stop()


@pytest.fixture
def email_channel(hub_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSetup]:
    """dovecot with IDLE; the channel polls only every hour, so a mail that arrives at
    once came by IDLE."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    yield from _setup(hub_db_url, True, "--poll-interval", "3600")


@pytest.fixture
def email_polling(hub_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSetup]:
    """dovecot that does not offer IDLE: the channel polls every 0.2 s."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    yield from _setup(hub_db_url, False, "--poll-interval", "0.2")


SMTP_PASSWORD_ENV = "FRONTLINE_TEST_SMTP_PASSWORD"
SMTP_PASSWORD = "smtp-secret-4711"


@pytest.fixture
def email_smtp_auth(hub_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSetup]:
    """The SMTP server requires a login; the hub is given a wrong SMTP password first."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "not-the-password")
    yield from _setup(
        hub_db_url, True, "--poll-interval", "3600", "--smtp-user", "relay",
        "--smtp-password-env", SMTP_PASSWORD_ENV, smtp_auth=("relay", SMTP_PASSWORD),
    )


async def until(read: Callable[[], Awaitable[T]], pred: Callable[[T], bool], timeout: float = 10) -> T:
    """``wait_until`` for a condition that must be read over the wire."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if pred(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.02)


async def _login(setup: MailSetup, op: OperatorClient) -> None:
    acc = setup.hub.accounts.operator
    await op.login(acc.username, acc.password)
    await op.sync()


def test_mail_in_reply_out_and_the_customers_answer_threads_into_the_same_conversation(
    email_channel: MailSetup,
) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp
    first_id = "<order-42-first@customer.test>"

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            await wait_until(lambda: setup.adapter().idle_active)
            imap.deliver(mail("Олена Коваль <Olena.Koval@Customer.TEST>", "Order 42", "Where is my order?",
                              message_id=first_id))
            conv = (await op.wait_conversation(lambda c: c.channel == "email" and c.status == "open")).conversation
            assert conv.assignee_id == op.operator_id
            assert (conv.customer.name, conv.customer.channel) == ("Олена Коваль", "email")
            seen = await op.wait_message(lambda m: m.conversation_id == conv.id and m.author == "customer")
            assert seen.message.text == "Subject: Order 42\n\nWhere is my order?"

            # the card has the address (domain lower-cased, as the card stores it) and the identity
            card = await op.request(CustomerGet(txn_id=txn(), customer_id=conv.customer.id))
            assert card["customer"]["emails"] == ["Olena.Koval@customer.test"]
            assert [(i["channel"], i["label"]) for i in card["customer"]["identities"]] == [
                ("email", "Olena.Koval@customer.test")
            ]

            await op.send_message(conv.id, "Вже в дорозі, буде завтра.")
            await wait_until(lambda: len(smtp.received) == 1)
            (got,) = smtp.received
            assert got.rcpt_tos == ["Olena.Koval@customer.test"]
            assert got.mail_from == SUPPORT
            reply = got.message
            assert parseaddr(str(reply["From"])) == ("Shop Support", SUPPORT)
            assert str(reply["To"]) == "Olena.Koval@customer.test"
            assert str(reply["Subject"]) == "Re: Order 42"
            assert str(reply["In-Reply-To"]) == first_id
            assert str(reply["References"]) == first_id
            assert reply.get_content_type() == "text/plain"
            assert reply.get_content_charset() == "utf-8"
            assert reply.get_content().strip() == "Вже в дорозі, буде завтра."
            our_id = str(reply["Message-ID"])
            assert our_id.endswith("@shop.test>")

            # the customer answers our mail, quoting it: the same conversation, quote trimmed
            answer = mail(
                "Olena Koval <Olena.Koval@customer.test>",
                "Re: Order 42",
                f"Thank you! And the invoice?\n\nOn Mon, 30 Nov 2026 Shop Support <{SUPPORT}> wrote:\n"
                "> Вже в дорозі, буде завтра.\n",
                in_reply_to=our_id,
                references=f"{first_id} {our_id}",
            )
            imap.deliver(answer)
            got2 = await op.wait_message(lambda m: m.author == "customer" and "invoice" in m.text)
            assert got2.message.conversation_id == conv.id
            assert got2.message.text == "Thank you! And the invoice?\n\n[quoted text hidden]"

            # the second reply continues the chain
            await op.send_message(conv.id, "Invoice attached tomorrow.")
            await wait_until(lambda: len(smtp.received) == 2)
            second = smtp.received[1].message
            assert str(second["Subject"]) == "Re: Order 42"
            assert str(second["In-Reply-To"]) == str(answer["Message-ID"])
            assert str(second["References"]).split() == [first_id, our_id, str(answer["Message-ID"])]

            # a new mail from the same address without thread headers: the open conversation
            imap.deliver(mail("Olena.Koval@customer.test", "One more thing", "Also, my address changed."))
            more = await op.wait_message(lambda m: "address changed" in m.text)
            assert more.message.conversation_id == conv.id

        await wait_until(lambda: setup.status().sent == 2)
        st = setup.status()
        assert (st.channel.state, st.pending, st.sent, st.failed) == ("up", 0, 2, 0)
        # every mail stored is flagged \Seen on the server, none moved or deleted
        await wait_until(lambda: all("\\Seen" in f for f in imap.flags().values()) and len(imap.flags()) == 3)
        directions = [d for d, _id, _s in setup.thread(conv.id)]
        assert directions == ["in", "out", "in", "out", "in"]

    asyncio.run(scenario())


def test_mail_attachments_are_kept_in_hub_storage_and_refused_ones_are_said(email_channel: MailSetup) -> None:
    """A customer's attached photo and PDF, and a picture inline in the body, arrive as
    attachments that download with the same bytes; a file over the limit and a program
    named .pdf are listed with the reason, and the mail's text still arrives."""
    setup, imap = email_channel, email_channel.imap
    jpeg = jpeg_header(1024, 768)
    pdf = b"%PDF-1.7\n1 0 obj\n%%EOF\n"
    inline_png = png_bytes(16, 8)
    big = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            await wait_until(lambda: setup.adapter().idle_active)
            m = mail("Olena Koval <olena@customer.test>", "Broken part", "Photo and invoice attached.",
                     attachments=[("part.jpg", "image/jpeg", jpeg), ("invoice 77.pdf", "application/pdf", pdf)])
            # a screenshot pasted into the body: inline, with a Content-ID and no file name
            m.add_attachment(inline_png, maintype="image", subtype="png", disposition="inline", cid="<shot1@c>")
            imap.deliver(m)
            first = await op.wait_message(lambda m: m.author == "customer")
            assert first.message.text == "Subject: Broken part\n\nPhoto and invoice attached."
            photo, invoice, shot = first.message.attachments
            assert (photo.name, photo.mime, photo.width, photo.height, photo.size) == (
                "part.jpg", "image/jpeg", 1024, 768, len(jpeg),
            )
            assert (invoice.name, invoice.mime, invoice.size) == ("invoice 77.pdf", "application/pdf", len(pdf))
            assert (shot.mime, shot.width, shot.height) == ("image/png", 16, 8)
            urls = await file_urls(op, [photo.id, invoice.id, shot.id])
            assert (await http_get(setup.hub.http_url + urls[str(photo.id)]))[2] == jpeg
            assert (await http_get(setup.hub.http_url + urls[str(invoice.id)]))[2] == pdf
            assert (await http_get(setup.hub.http_url + urls[str(shot.id)]))[2] == inline_png

            imap.deliver(mail("olena@customer.test", "Re: Broken part", "Here are the rest.",
                              in_reply_to=str(m["Message-ID"]),
                              attachments=[("scan.pdf", "application/pdf", big),
                                           ("setup.pdf", "application/pdf", b"MZ\x90\x00" + b"\x00" * 300),
                                           ("ok.pdf", "application/pdf", pdf)]))
            second = await op.wait_message(lambda m: m.author == "customer" and "rest" in m.text, timeout=30)
            assert second.message.conversation_id == first.message.conversation_id
            assert second.message.text == (
                "Here are the rest.\n"
                "[attachment scan.pdf not stored: too big (11.0 MiB), the limit is 10.0 MiB]\n"
                "[attachment setup.pdf not stored: this kind of file is not allowed: only PNG, JPEG, GIF, WebP, PDF]"
            )
            (ok,) = second.message.attachments
            assert (ok.name, ok.size) == ("ok.pdf", len(pdf))
            history = await op.history(first.message.conversation_id)
            assert [len(h.get("attachments") or []) for h in history["messages"]] == [3, 1]

    asyncio.run(scenario())


def test_operator_files_go_out_as_attachments_of_the_reply(email_channel: MailSetup) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp
    png = png_bytes(30, 20)
    pdf = b"%PDF-1.4\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            await wait_until(lambda: setup.adapter().idle_active)
            imap.deliver(mail("olena@customer.test", "The plan", "Send me the plan please."))
            conv = (await op.wait_conversation(lambda c: c.channel == "email" and c.status == "open")).conversation
            image = await upload(op, png, "plan.png")
            doc = await upload(op, pdf, "Умови договору.pdf")
            await op.request(
                SendMessage(
                    txn_id=txn(), conversation_id=conv.id, text="Here it is.", attachments=[image["id"], doc["id"]]
                )
            )
            await wait_until(lambda: len(smtp.received) == 1)
            reply = smtp.received[0].message
            assert str(reply["Subject"]) == "Re: The plan"
            assert reply.get_content_type() == "multipart/mixed"
            text_part, *files = list(reply.iter_parts())
            assert text_part.get_content_type() == "text/plain"
            assert text_part.get_content().strip() == "Here it is."
            assert [(f.get_filename(), f.get_content_type(), f.get_content_disposition()) for f in files] == [
                ("plan.png", "image/png", "attachment"), ("Умови договору.pdf", "application/pdf", "attachment"),
            ]
            assert [f.get_content() for f in files] == [png, pdf]
        await wait_until(lambda: setup.status().sent == 1)

    asyncio.run(scenario())


def test_a_reply_to_a_resolved_conversation_opens_a_new_one_that_keeps_the_mail_thread(
    email_channel: MailSetup,
) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("taras@customer.test", "Refund", "I want a refund", message_id="<r1@customer.test>"))
            conv = (await op.wait_conversation(lambda c: c.channel == "email")).conversation
            await op.send_message(conv.id, "Done.")
            await wait_until(lambda: len(smtp.received) == 1)
            ours = str(smtp.received[0].message["Message-ID"])
            await op.resolve(conv.id)
            imap.deliver(mail("taras@customer.test", "Re: Refund", "It did not arrive", in_reply_to=ours,
                              references=f"<r1@customer.test> {ours}"))
            new = (await op.wait_conversation(lambda c: c.channel == "email" and c.id != conv.id)).conversation
            assert new.customer.id == conv.customer.id
            await op.send_message(new.id, "Checking again.")
            await wait_until(lambda: len(smtp.received) == 2)
            again = smtp.received[1].message
            assert str(again["Subject"]) == "Re: Refund"
            assert str(again["References"]).split()[:2] == ["<r1@customer.test>", ours]

    asyncio.run(scenario())


def test_idle_delivers_at_once_and_polling_is_the_fallback(
    email_channel: MailSetup, hub_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With IDLE the channel polls only hourly, yet a mail arrives within seconds."""
    setup, imap = email_channel, email_channel.imap
    caplog.set_level(logging.INFO, logger="frontline.hub.channels.email")

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            await wait_until(lambda: setup.adapter().idle_active)
            loop = asyncio.get_running_loop()
            start = loop.time()
            imap.deliver(mail("fast@customer.test", "Quick", "Are you there?"))
            await op.wait_message(lambda m: "Are you there?" in m.text, timeout=10)
            assert loop.time() - start < 10  # nowhere near the hourly poll
        assert "by IMAP IDLE" in caplog.text

    asyncio.run(scenario())


def test_a_server_without_idle_is_polled(email_polling: MailSetup, caplog: pytest.LogCaptureFixture) -> None:
    setup, imap = email_polling, email_polling.imap
    caplog.set_level(logging.INFO, logger="frontline.hub.channels.email")

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            await wait_until(lambda: setup.status().channel.state == "up")
            imap.deliver(mail("slow@customer.test", "Polled", "found by a poll"))
            await op.wait_message(lambda m: "found by a poll" in m.text)
            imap.deliver(mail("slow@customer.test", "Polled", "and the next one"))
            await op.wait_message(lambda m: "and the next one" in m.text)
            assert not setup.adapter().idle_active
        assert "polling every 0.2 s" in caplog.text

    asyncio.run(scenario())


def test_html_only_mail_is_shown_as_text_without_tags_or_script(email_channel: MailSetup) -> None:
    setup, imap = email_channel, email_channel.imap
    html = (
        "<html><head><style>p { color: red }</style><script>alert('x')</script></head><body>"
        "<p>Hello,<br>my parcel <b>never</b> came.</p>"
        "<p>Tracking: <a href=\"https://track.test/?id=77\">click here</a></p>"
        "<ul><li>order 77</li><li>paid</li></ul>"
        "<img src=\"https://evil.test/pixel.gif\" onerror=\"alert(1)\"></body></html>"
    )

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("html@customer.test", "Parcel", None, html=html))
            got = await op.wait_message(lambda m: m.author == "customer")
            text = got.message.text
            assert text == (
                "Subject: Parcel\n\nHello,\nmy parcel never came.\n\n"
                "Tracking: click here (https://track.test/?id=77)\n\n- order 77\n- paid"
            )
            for bad in ("<", ">", "alert", "color", "evil.test"):
                assert bad not in text

    asyncio.run(scenario())


BROKEN = (
    b"From: =?koi8-r?B?7MXO?= <broken@customer.test>\r\n"
    b"To: support@shop.test\r\n"
    b"Subject: \xd0\x97\xd0\xb0\xd0\xbc\xd0\xbe\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8f \xff\xfe\r\n"
    b"Message-ID: <broken-1@customer.test>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Price: 100 \xe2\x82\xac, then bad bytes: \xff\xfe\xfd end\r\n"
    b"--\r\n"
)
BAD_BASE64 = (
    b"From: base64@customer.test\r\n"
    b"Subject: bad base64\r\n"
    b"Content-Type: text/plain; charset=no-such-charset\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"SGVsbG8gd29ybGQ!!!*\r\n"
)


def test_broken_encodings_arrive_with_replacement_characters_and_the_next_mail_still_arrives(
    email_channel: MailSetup, caplog: pytest.LogCaptureFixture
) -> None:
    setup, imap = email_channel, email_channel.imap
    caplog.set_level(logging.WARNING, logger="frontline.hub.channels.email")

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(BROKEN)
            imap.deliver(BAD_BASE64)
            imap.deliver(mail("fine@customer.test", "Fine", "a normal mail after them"))
            await op.wait_message(lambda m: "a normal mail after them" in m.text)
            texts = {e.message.text for e in op.frames(MessageCreated) if e.message.author == "customer"}
            broken = next(t for t in texts if "Price" in t)
            assert broken.startswith("Subject: Замовлення \ufffd")
            assert "Price: 100 €, then bad bytes: \ufffd" in broken
            b64 = next(t for t in texts if "bad base64" in t)
            assert "Hello world" in b64  # what could be read was read
        logged = caplog.text
        assert "8-bit bytes in the Subject header" in logged
        assert "undecodable bytes replaced" in logged
        assert "unknown charset 'no-such-charset'" in logged
        assert setup.status().channel.state == "up"

    asyncio.run(scenario())


def test_automatic_mail_opens_no_conversation_and_is_not_answered(email_channel: MailSetup) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("boss@customer.test", "Out of Office: Re: Order", "I am away until Monday",
                              headers={"Auto-Submitted": "auto-replied"}))
            imap.deliver(mail("news@shop-news.test", "Our sale", "50% off", headers={"Precedence": "bulk"}))
            imap.deliver(mail("MAILER-DAEMON@mx.test", "Undelivered Mail Returned to Sender", "bounce"))
            imap.deliver(mail("ooo@customer.test", "Automatic reply: hello", "away"))
            imap.deliver(mail("person@customer.test", "Question", "a real question"))
            await op.wait_message(lambda m: "a real question" in m.text)
            await wait_until(lambda: len(imap.flags()) == 5 and all("\\Seen" in f for f in imap.flags().values()))
            state = await op.sync()
            assert [c["customer"]["name"] for c in state["conversations"]] == ["person@customer.test"]
            customers = [e for e in op.frames(MessageCreated) if e.message.author == "customer"]
            assert len(customers) == 1
        assert smtp.received == [] and smtp.attempts == 0

    asyncio.run(scenario())


def test_a_restart_neither_imports_again_nor_skips(email_channel: MailSetup) -> None:
    setup, imap, hub = email_channel, email_channel.imap, email_channel.hub

    async def texts(op: OperatorClient) -> list[str]:
        out = []
        state = await op.sync()
        for c in state["conversations"]:
            page = await op.history(c["id"])
            out += [m["text"] for m in page["messages"] if m["author"] == "customer"]
        return sorted(out)

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("a@customer.test", "A", "first"))
            first_b = mail("b@customer.test", "B", "second")
            imap.deliver(first_b)
            await wait_until(lambda: len([e for e in op.frames(MessageCreated)]) >= 2)
        cursor_before = setup.status().channel.cursor
        # the hub stops at once although the channel sits in IMAP IDLE (the task is cancelled)
        await wait_until(lambda: setup.adapter().idle_active)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(hub.stop)
        assert loop.time() - started < 3
        assert setup.status().channel.state == "stopped"
        imap.deliver(mail("c@customer.test", "C", "while the hub was down"))
        hub.start()
        async with OperatorClient.connected(hub.ws_url) as op:
            await _login(setup, op)
            expected = ["Subject: A\n\nfirst", "Subject: B\n\nsecond", "Subject: C\n\nwhile the hub was down"]
            # the mail may have been stored before this login: read the histories until it is there
            await until(lambda: texts(op), lambda got: got == expected)
        validity, _, last = setup.status().channel.cursor.partition(":")
        assert validity == cursor_before.partition(":")[0] and int(last) == 3

        # the cursor lost (an admin reset it): the mails are taken again by UNSEEN - none are,
        # and a mail fetched twice is stored once (its Message-ID is its key)
        hub.stop()
        engine = make_engine(setup.db_url)
        try:
            ChannelStore(Store(engine)).set_cursor("email", "")
        finally:
            engine.dispose()
        imap.deliver(mail("d@customer.test", "D", "after the reset"))
        again = mail("b@customer.test", "B", "second")  # a mail delivered into the box a second time
        again.replace_header("Message-ID", first_b["Message-ID"])
        imap.deliver(again)
        hub.start()
        async with OperatorClient.connected(hub.ws_url) as op:
            await _login(setup, op)
            await until(lambda: texts(op), lambda got: len(got) >= 4)
            await wait_until(lambda: len(imap.flags()) == 5 and all("\\Seen" in f for f in imap.flags().values()))
            assert await texts(op) == [*expected, "Subject: D\n\nafter the reset"]

    asyncio.run(scenario())


def test_smtp_550_makes_a_system_note_and_the_next_reply_goes_out(email_channel: MailSetup) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("gone@customer.test", "Hi", "hello"))
            conv = (await op.wait_conversation(lambda c: c.channel == "email")).conversation
            smtp.refuse.add("gone@customer.test")
            await op.send_message(conv.id, "are you still there?")
            note = await op.wait_message(lambda m: m.author == "system" and m.conversation_id == conv.id)
            assert note.message.internal
            assert note.message.text == (
                "Not delivered through e-mail: the mail server refused gone@customer.test: "
                "550 5.1.1 <gone@customer.test>: Recipient address rejected: User unknown"
            )
            smtp.refuse.clear()
            await op.send_message(conv.id, "second try")
            await wait_until(lambda: len(smtp.to("gone@customer.test")) == 1)
            assert smtp.to("gone@customer.test")[0].message.get_content().strip() == "second try"
        await wait_until(lambda: setup.status().sent == 1)
        st = setup.status()
        assert (st.pending, st.sent, st.failed, st.channel.state) == (0, 1, 1, "up")

    asyncio.run(scenario())


def test_smtp_down_the_reply_waits_and_is_delivered_once(email_channel: MailSetup) -> None:
    setup, imap, smtp = email_channel, email_channel.imap, email_channel.smtp

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("wait@customer.test", "Hi", "hello"))
            conv = (await op.wait_conversation(lambda c: c.channel == "email")).conversation
            smtp.down = True
            await op.send_message(conv.id, "one")
            await op.send_message(conv.id, "two")
            await wait_until(lambda: setup.status().channel.state == "retrying")
            await wait_until(lambda: smtp.attempts >= 2)  # tried again, with backoff
            st = setup.status()
            assert (st.pending, st.sent) == (2, 0)
            assert "421" in st.channel.last_error
            smtp.down = False
            await wait_until(lambda: len(smtp.to("wait@customer.test")) == 2, timeout=10)
        await wait_until(lambda: setup.status().sent == 2)
        bodies = [r.message.get_content().strip() for r in smtp.to("wait@customer.test")]
        assert bodies == ["one", "two"]  # each once, in order
        ids = [str(r.message["Message-ID"]) for r in smtp.to("wait@customer.test")]
        assert len(set(ids)) == 2

    asyncio.run(scenario())


def test_a_web_chat_customer_with_the_same_address_gets_a_merge_proposal(email_channel: MailSetup) -> None:
    setup, imap = email_channel, email_channel.imap

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op, CustomerClient.connected(
            setup.hub.ws_url, name="Iryna"
        ) as web:
            await _login(setup, op)
            web_conv = (await web.send("hi from the site")).conversation_id
            await op.wait_conversation(lambda c: c.id == web_conv)
            state = await op.sync()
            web_customer = next(c for c in state["conversations"] if c["id"] == web_conv)["customer"]["id"]
            await op.request(CustomerUpdate(txn_id=txn(), customer_id=web_customer,
                                            changes=CustomerChanges(add_emails=["Iryna@Example.com"])))
            imap.deliver(mail("Iryna <Iryna@EXAMPLE.com>", "Same person", "written by mail"))
            proposed = await op.wait_frame(MergeProposed, lambda e: e.candidate_id == web_customer)
            assert proposed.reasons == ["email:Iryna@example.com"]

    asyncio.run(scenario())


def test_wrong_imap_password_means_down_and_the_password_never_reaches_a_log(
    email_channel: MailSetup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    setup = email_channel
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        await wait_until(lambda: setup.status().channel.state == "up")
        monkeypatch.setenv(PASSWORD_ENV, "wrong-password-123")
        await wait_until(lambda: setup.status().channel.state == "down", timeout=10)
        assert "IMAP login refused" in setup.status().channel.last_error
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        await wait_until(lambda: setup.status().channel.state == "up", timeout=10)

    asyncio.run(scenario())
    for secret in (PASSWORD, "wrong-password-123"):
        assert secret not in caplog.text
        assert secret not in setup.status().channel.last_error


def test_channel_status_cli_shows_the_mailbox(email_channel: MailSetup, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    async def scenario() -> None:
        await wait_until(lambda: email_channel.status().channel.state == "up")

    asyncio.run(scenario())
    capsys.readouterr()
    assert hub_cli(["channel", "status", "--db", email_channel.db_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"email\t{USER}@127.0.0.1\tup since ")
    assert "outbox: 0 waiting, 0 failed, 0 sent" in out
    assert hub_cli(["channel", "status", "--json", "--db", email_channel.db_url]) == 0
    data = json.loads(capsys.readouterr().out)["channels"]["email"]
    assert (data["kind"], data["mode"], data["state"]) == ("email", "imap", "up")
    # refused settings change nothing
    assert hub_cli(["channel", "add", "email", "--imap-host", "h", "--imap-user", "u", "--imap-password-env", "X",
                    "--smtp-host", "h", "--from-address", "not an address", "--db", email_channel.db_url]) == 2
    assert "from-address" in capsys.readouterr().err
    assert hub_cli(["channel", "add", "email", "--imap-host", "h", "--imap-user", "u",
                    "--smtp-host", "h", "--from-address", "a@b.test", "--db", email_channel.db_url]) == 2
    assert "IMAP password" in capsys.readouterr().err
    assert email_channel.status().channel.settings["imap_host"] == "127.0.0.1"


def test_smtp_login_refused_means_down_and_a_fixed_password_sends_the_waiting_reply(
    email_smtp_auth: MailSetup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    setup, imap, smtp = email_smtp_auth, email_smtp_auth.imap, email_smtp_auth.smtp
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with OperatorClient.connected(setup.hub.ws_url) as op:
            await _login(setup, op)
            imap.deliver(mail("auth@customer.test", "Hi", "hello"))
            conv = (await op.wait_conversation(lambda c: c.channel == "email")).conversation
            await op.send_message(conv.id, "after the login")
            await wait_until(lambda: setup.status().channel.state == "down")
            st = setup.status()
            assert st.channel.last_error.startswith("SMTP login refused: 535")
            assert (st.pending, st.sent) == (1, 0) and smtp.received == []
            # office IT fixes the password: read at the next try, no restart
            monkeypatch.setenv(SMTP_PASSWORD_ENV, SMTP_PASSWORD)
            await wait_until(lambda: len(smtp.received) == 1, timeout=10)
        await wait_until(lambda: setup.status().sent == 1)
        assert smtp.received[0].message.get_content().strip() == "after the login"

    asyncio.run(scenario())
    for secret in (SMTP_PASSWORD, "not-the-password", PASSWORD):
        assert secret not in caplog.text
        assert secret not in setup.status().channel.last_error


@pytest.mark.parametrize(("imap_tls", "smtp_tls"), [("ssl", "starttls"), ("starttls", "none")])
def test_tls_to_both_servers_with_the_offices_own_ca(
    hub_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, imap_tls: str, smtp_tls: str
) -> None:
    """IMAP over TLS (port 993 style) or STARTTLS, SMTP with STARTTLS, certificates checked
    against the CA file the admin gave (a self-signed one here); a server whose certificate
    is not trusted is refused."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    cert = make_certificate(tmp_path)
    imap = Dovecot(tls=cert).start()
    smtp = SmtpSink(tls=cert if smtp_tls == "starttls" else None).start()
    accounts = create_test_accounts(hub_db_url)
    hub = TestHub(hub_db_url, accounts, **FAST_CHANNELS)
    setup = MailSetup(hub, imap, smtp, hub_db_url)
    port = imap.ssl_port if imap_tls == "ssl" else imap.port
    setup.add_channel("--tls", imap_tls, "--imap-port", str(port), "--smtp-tls", smtp_tls,
                      "--tls-ca-file", str(cert[0]))
    hub.start()
    try:
        async def scenario() -> None:
            async with OperatorClient.connected(hub.ws_url) as op:
                await _login(setup, op)
                imap.deliver(mail("tls@customer.test", "Secure", "over TLS"))
                conv = (await op.wait_conversation(lambda c: c.channel == "email")).conversation
                await op.send_message(conv.id, "answered over TLS")
                await wait_until(lambda: len(smtp.received) == 1)
            # without the CA the same server is not trusted: down, with the reason
            setup.add_channel("--tls", imap_tls, "--imap-port", str(port), "--smtp-tls", smtp_tls)
            await wait_until(lambda: "CERTIFICATE_VERIFY_FAILED" in setup.status().channel.last_error, timeout=10)
            assert setup.status().channel.state in ("retrying", "down")

        asyncio.run(scenario())
    finally:
        hub.stop()
        smtp.stop()
        imap.stop()
    assert smtp.received[0].message.get_content().strip() == "answered over TLS"
