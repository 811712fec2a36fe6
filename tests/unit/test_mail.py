"""E-mail as the hub reads and writes it (app/domain/mail.py): no servers, just mail."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.mail import (
    QUOTE_NOTE,
    REFS_MAX,
    build_reply,
    html_to_text,
    mail_key,
    parse_mail,
    reply_subject,
    trim_quoted,
)


def _mail(text: str | None = "hello", **headers: str) -> bytes:
    m = EmailMessage()
    m["From"] = headers.pop("From", "Olena <olena@example.com>")
    m["To"] = "support@shop.test"
    m["Subject"] = headers.pop("Subject", "Question")
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    if text is not None:
        m.set_content(text)
    return m.as_bytes()


def test_sender_subject_and_thread_headers() -> None:
    raw = _mail(
        "Where is my order?",
        From="=?utf-8?b?0J7Qu9C10L3QsCDQmtC+0LLQsNC70Yw=?= <Olena.Koval@Example.COM>",
        Subject="=?utf-8?q?=D0=97=D0=B0=D0=BC=D0=BE=D0=B2=D0=BB=D0=B5=D0=BD=D0=BD=D1=8F?= 42",
        Message_ID="<m3@example.com>",
        In_Reply_To="<m2@shop.test>",
        References="<m1@example.com> <m2@shop.test>",
    )
    p = parse_mail(raw)
    assert (p.from_name, p.from_address) == ("Олена Коваль", "Olena.Koval@example.com")  # as the card stores it
    assert p.subject == "Замовлення 42"
    assert p.message_id == "m3@example.com"
    assert p.refs == ("m1@example.com", "m2@shop.test")
    assert p.text == "Where is my order?"
    assert p.auto_reply == "" and p.problems == []


def test_quoted_history_is_trimmed_and_the_whole_text_kept() -> None:
    body = (
        "Thanks, and the invoice?\n\n"
        "On Mon, 30 Nov 2026 at 10:00, Shop Support\n<support@shop.test> wrote:\n"
        "> It ships tomorrow.\n>\n> > Where is my order?\n"
    )
    p = parse_mail(_mail(body))
    assert p.text == f"Thanks, and the invoice?\n\n{QUOTE_NOTE}"
    assert p.trimmed and "> It ships tomorrow." in p.full_text
    assert trim_quoted("Дякую!\n\n30.11.2026 Служба підтримки пише:\n> Відправлено") == ("Дякую!", True)
    assert trim_quoted("Спасибо\n\nпн, 30 нояб. 2026 г. Support <s@x.test> пишет:\n> ok")[0] == "Спасибо"
    outlook = "See below\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold text"
    assert trim_quoted(outlook) == ("See below", True)
    # an answer written into the quote keeps the quoted lines it answers
    inline = "> What is the order number?\n42\n> And the date?\nMonday"
    assert trim_quoted(inline) == (inline, False)
    # only a quote (a forward without words): kept whole rather than shown empty
    assert trim_quoted("> forwarded text") == ("> forwarded text", False)


def test_html_is_turned_into_text_and_never_kept_as_html() -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<script>document.write('x')</script><p>Hello&nbsp;&amp; welcome,<br>second line</p>"
        "<div>Open <a href='https://x.test/a?b=1&amp;c=2'>your account</a> or "
        "<a href='mailto:help@x.test'>help@x.test</a></div>"
        "<table><tr><td>Order</td><td>42</td></tr></table>"
        "<blockquote>older mail</blockquote><noscript>no</noscript></body></html>"
    )
    text = html_to_text(html)
    assert text == (
        "Hello & welcome,\nsecond line\n\nOpen your account (https://x.test/a?b=1&c=2) or help@x.test\n"
        "Order  42\n> older mail"
    )
    m = EmailMessage()
    m["From"] = "a@b.test"
    m["Subject"] = "html"
    m.set_content(html, subtype="html")
    p = parse_mail(m.as_bytes())
    assert p.html_only and "<" not in p.text and "document.write" not in p.text
    assert p.text.endswith(QUOTE_NOTE)  # the blockquote is quoted history


def test_text_plain_is_preferred_over_html_and_attachments_are_listed() -> None:
    m = EmailMessage()
    m["From"] = "a@b.test"
    m["Subject"] = "files"
    m.set_content("see the files")
    m.add_alternative("<p>HTML version</p>", subtype="html")
    m.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="invoice 7.pdf")
    m.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="photo.png")
    p = parse_mail(m.as_bytes())
    assert p.text == "see the files\n[attachment: invoice 7.pdf]\n[attachment: photo.png]"
    assert [(a.name, a.mime, a.size) for a in p.attachments] == [
        ("invoice 7.pdf", "application/pdf", 12),
        ("photo.png", "image/png", 7),
    ]


def test_attachments_come_out_decoded_and_inline_pictures_without_a_name_are_kept_unlisted() -> None:
    m = EmailMessage()
    m["From"] = "a@b.test"
    m.set_content("look")
    m.add_alternative('<p>look <img src="cid:logo1@b"></p>', subtype="html")
    html = m.get_payload()[1]
    html.add_related(b"\x89PNG-logo", maintype="image", subtype="png", cid="<logo1@b>")
    m.add_attachment(b"%PDF-1.4 bytes", maintype="application", subtype="pdf", filename="a.pdf")
    m.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream", disposition="inline", cid="<v@b>")
    p = parse_mail(m.as_bytes())
    assert p.text == "look\n[attachment: a.pdf]" and p.shown == "look"
    logo, pdf = p.attachments
    assert (logo.named, logo.inline, logo.mime, logo.data) == (False, True, "image/png", b"\x89PNG-logo")
    assert logo.name.startswith("image-") and logo.name.endswith(".png")
    assert (pdf.named, pdf.name, pdf.data, pdf.size) == (True, "a.pdf", b"%PDF-1.4 bytes", 14)


def test_reply_with_files_is_multipart_mixed_with_the_text_first() -> None:
    mail = build_reply(
        from_address="support@shop.test",
        from_name="Shop Support",
        to="c@example.com",
        subject="Re: plan",
        text="Here it is.",
        message_id="r2@shop.test",
        attachments=[("plan.png", "image/png", b"\x89PNG..."), ("Умови.pdf", "application/pdf", b"%PDF-1.4")],
    )
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    text, png, pdf = parsed.iter_parts()
    assert text.get_content_type() == "text/plain" and text.get_content().strip() == "Here it is."
    assert (png.get_filename(), png.get_content_type(), png.get_content()) == ("plan.png", "image/png", b"\x89PNG...")
    assert (pdf.get_filename(), pdf.get_content_disposition(), pdf.get_content()) == (
        "Умови.pdf", "attachment", b"%PDF-1.4",
    )


def test_broken_encodings_give_replacement_characters_and_problems_never_an_error() -> None:
    latin1_unlabelled = (
        b"From: x@y.test\r\nSubject: caf\xe9\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 cr\xe8me\r\n"
    )
    p = parse_mail(latin1_unlabelled)
    assert p.subject == "caf\ufffd"
    assert p.text == "caf\ufffd cr\ufffdme"
    assert "8-bit bytes in the Subject header" in p.problems
    assert any("no charset and not UTF-8" in x for x in p.problems)

    bad_qp = (
        b"From: x@y.test\r\nContent-Type: text/plain; charset=windows-1251\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=CF=F0=E8=E2=E5=F2 =ZZ=\r\n"
    )
    assert parse_mail(bad_qp).text.startswith("Привет")

    no_from = b"Subject: nobody\r\n\r\ntext"
    assert parse_mail(no_from).from_address == ""
    bad_from = b"From: not an address <@@>\r\n\r\ntext"
    p = parse_mail(bad_from)
    assert p.from_address == "" and any("not an e-mail address" in x for x in p.problems)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    p = parse_mail(b"From: a@b.test\r\nContent-Type: text/plain\r\n" + raw)
    assert isinstance(p.text, str)
    p = parse_mail(raw)
    assert isinstance(p.text, str)


def _auto(**headers: str) -> str:
    return parse_mail(_mail("x", **headers)).auto_reply


def test_automatic_mail_is_recognised_and_a_persons_mail_is_not() -> None:
    assert _auto(Auto_Submitted="auto-replied").startswith("Auto-Submitted")
    assert _auto(Auto_Submitted="no") == ""
    assert _auto(Precedence="bulk") == "Precedence: bulk"
    assert _auto(X_Autoreply="yes") == "X-Autoreply header"
    assert _auto(Return_Path="<>").startswith("bounce")
    assert _auto(From="MAILER-DAEMON@mx.test").startswith("bounce")
    assert _auto(Subject="Out of Office: back on Monday").startswith("automatic subject")
    assert _auto(Subject="Автоматический ответ: отпуск").startswith("automatic subject")
    assert _auto(Subject="Re: out of office hours question") == ""


def test_reply_is_a_proper_mail() -> None:
    refs = [f"m{i}@x.test" for i in range(30)]
    mail = build_reply(
        from_address="support@shop.test",
        from_name="Shop Support",
        to="Olena.Koval@example.com",
        subject=reply_subject("Замовлення 42"),
        text="Вже в дорозі.",
        message_id="r1@shop.test",
        in_reply_to="m29@x.test",
        refs=refs,
    )
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert str(parsed["From"]) == "Shop Support <support@shop.test>"
    assert str(parsed["Subject"]) == "Re: Замовлення 42"
    assert str(parsed["Message-ID"]) == "<r1@shop.test>"
    assert str(parsed["In-Reply-To"]) == "<m29@x.test>"
    chain = str(parsed["References"]).split()
    assert len(chain) == REFS_MAX and chain[0] == "<m0@x.test>" and chain[-1] == "<m29@x.test>"
    assert parsed.get_content_type() == "text/plain" and parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().splitlines() == ["Вже в дорозі."]
    assert reply_subject("RE: Order") == "RE: Order"
    assert reply_subject("") == "Re: your message"


def test_mail_keys_fit_the_message_key_column() -> None:
    assert len(mail_key("x" * 900 + "@example.com", "1:2")) <= 64
    assert mail_key("a@b", "1:2") == mail_key("a@b", "9:9")  # the same mail in another place
    assert mail_key("", "17:5") == "uid:17:5"
