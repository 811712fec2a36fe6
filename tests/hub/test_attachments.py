"""Attachments through a real hub: chunked upload over the websocket, a message that
carries files, download over HTTP with signed URLs; refusals with a clear reason."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
import zlib
from pathlib import Path

import pytest

from app.hub.files import sign
from app.protocol.messages import CustomerSend, FileUploadBegin, FileUploadChunk, SendMessage
from app.storage import Store, make_engine
from app.storage.files import SECRET_KEY
from app.storage.models import HubMeta
from tests.conftest import TestHub
from tests.helpers import (
    CommandFailed,
    CustomerClient,
    OperatorClient,
    file_urls,
    http_get,
    png_bytes,
    txn,
    upload,
)


async def _open_conversation(hub: TestHub, op: OperatorClient, cust: CustomerClient) -> int:
    sent = await cust.send("Hello, here is my receipt")
    await op.wait_conversation(lambda c: c.id == sent.conversation_id and c.status == "open")
    return sent.conversation_id


def _big_png(size: int) -> bytes:
    """A valid PNG of about ``size`` bytes (noise does not compress)."""
    width = 512
    rows = size // (width * 3) + 1
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(rows))
    ihdr = struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def test_both_ways_upload_send_and_download(hub: TestHub) -> None:
    acc = hub.accounts.operator
    customer_png = png_bytes(40, 30, (10, 120, 200))
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
            await op.login(acc.username, acc.password)
            await op.sync()
            conv_id = await _open_conversation(hub, op, cust)

            # the customer sends a picture with no text
            f = await upload(cust, customer_png, "receipt.png", "image/png")
            assert (f["mime"], f["size"], f["width"], f["height"]) == ("image/png", len(customer_png), 40, 30)
            data = await cust.request(
                CustomerSend(
                    txn_id=txn(), text="", attachments=[f["id"]]
                )
            )
            assert data["message"]["attachments"][0]["id"] == f["id"]  # type: ignore[index]
            seen = await op.wait_message(lambda m: m.conversation_id == conv_id and bool(m.attachments))
            (att,) = seen.message.attachments
            assert (att.name, att.mime, att.width) == ("receipt.png", "image/png", 40)
            urls = await file_urls(op, [att.id])
            status, headers, body = await http_get(hub.http_url + urls[str(att.id)])
            assert status == 200 and body == customer_png
            assert headers["content-type"] == "image/png"
            assert headers["content-disposition"].startswith("inline")

            # the operator answers with a PDF and a text
            g = await upload(op, pdf, "../../etc/Договір.pdf")
            assert g["name"] == "Договір.pdf"  # no directory part
            reply = await op.request(
                SendMessage(
                    txn_id=txn(), conversation_id=conv_id, text="Your contract", attachments=[g["id"]]
                )
            )
            assert reply["message"]["attachments"][0]["mime"] == "application/pdf"  # type: ignore[index]
            got = await cust.wait_message(lambda m: m.author == "operator")
            assert got.text == "Your contract" and got.attachments[0].id == g["id"]
            urls = await file_urls(cust, [g["id"]])
            status, headers, body = await http_get(hub.http_url + urls[str(g["id"])])
            assert status == 200 and body == pdf
            assert headers["content-disposition"].startswith("attachment")

            # the history (and a returning visitor's welcome) carries the files
            page = await op.history(conv_id)
            assert [len(m["attachments"]) for m in page["messages"] if "attachments" in m] == [1, 1]
        async with CustomerClient.connected(hub.ws_url, visitor_token=cust.visitor_token) as again:
            assert [a.id for m in again.welcome.messages for a in m.attachments] == [f["id"], g["id"]]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("data", "name", "code", "says"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "holiday.png", "file_type_not_allowed", "not allowed"),
        (png_bytes(), "photo.jpg", "file_type_not_allowed", "says it is JPEG but its content is PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "file_broken", "broken"),
        (
            # a tiny PNG whose header promises 60000 x 60000 pixels: a decompression bomb
            b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
            + struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0) + b"\x00" * 20,
            "bomb.png",
            "file_too_big",
            "30000×30000 pixels",
        ),
        (b"GIF89a\x00", "tiny.gif", "file_broken", "broken"),
    ],
    ids=["exe-renamed-png", "type-mismatch", "broken-header", "decompression-bomb", "truncated-gif"],
)
def test_refused_files_say_why(hub: TestHub, data: bytes, name: str, code: str, says: str) -> None:
    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as cust:
            with pytest.raises(CommandFailed) as err:
                await upload(cust, data, name)
            assert err.value.code == code
            assert says in err.value.text
            # nothing was kept: the spool is empty and no file is stored
            files_dir = Path(hub.db_url.removeprefix("sqlite:///")).parent / "files"
            assert list((files_dir / ".uploads").iterdir()) == []
            # the connection is fine afterwards
            sent = await cust.send("still here")
            assert sent.text == "still here"

    asyncio.run(scenario())


def test_too_big_is_refused_before_any_byte(hub: TestHub) -> None:
    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as cust:
            with pytest.raises(CommandFailed) as err:
                await cust.request(FileUploadBegin(txn_id=txn(), name="scan.pdf", size=11 * 1024 * 1024))
            assert err.value.code == "file_too_big"
            assert "11.0 MiB, the limit is 10.0 MiB" in err.value.text
            # a client that lies about the size cannot send more than it announced
            began = await cust.request(FileUploadBegin(txn_id=txn(), name="a.png", size=10))
            with pytest.raises(CommandFailed) as err:
                await cust.request(
                    FileUploadChunk(
                        txn_id=txn(), upload_id=str(began["upload_id"]), offset=0,
                        data=base64.b64encode(png_bytes()).decode(),
                    )
                )
            assert err.value.code == "file_too_big"

    asyncio.run(scenario())


def test_upload_cut_in_the_middle_resumes(hub: TestHub) -> None:
    big = _big_png(200_000)  # four chunks

    async def scenario() -> None:
        cust = await CustomerClient.connect(hub.ws_url)
        token = cust.visitor_token
        first_txn = txn()
        part = await upload(cust, big, "scan.png", txn_id=first_txn, stop_after=64 * 1024)
        assert part["offset"] == 64 * 1024
        cust.ws.transport.abort()  # the link is cut
        await cust.wait_closed()

        async with CustomerClient.connected(hub.ws_url, visitor_token=token) as again:
            # begin with the same txn_id: the same upload, and where to go on from
            began = await again.request(FileUploadBegin(txn_id=first_txn, name="scan.png", size=len(big)))
            assert began["upload_id"] == part["upload_id"] and began["offset"] == 64 * 1024
            # a chunk sent past the hub's offset is refused with the offset to use
            with pytest.raises(CommandFailed) as err:
                await again.request(
                    FileUploadChunk(txn_id=txn(), upload_id=str(began["upload_id"]), offset=3 * 64 * 1024, data="")
                )
            assert err.value.code == "upload_offset" and str(64 * 1024) in err.value.text
            f = await upload(again, big, "scan.png", txn_id=first_txn)
            assert f["size"] == len(big)
            urls = await file_urls(again, [f["id"]])
            status, _h, body = await http_get(hub.http_url + urls[str(f["id"])])
            assert status == 200 and body == big

    asyncio.run(scenario())


def _secret(hub: TestHub) -> bytes:
    engine = make_engine(hub.db_url)
    try:
        with Store(engine)._sessions() as s:
            row = s.get(HubMeta, SECRET_KEY)
            assert row is not None
            return bytes.fromhex(row.value)
    finally:
        engine.dispose()


def test_signed_urls_expire_and_cannot_be_tampered_with(hub: TestHub) -> None:
    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as cust:
            f = await upload(cust, png_bytes(), "a.png")
            other = await upload(cust, png_bytes(5, 5), "b.png")
            url = (await file_urls(cust, [f["id"]]))[str(f["id"])]
            assert (await http_get(hub.http_url + url))[0] == 200
            # another file's id with this file's signature
            forged = url.replace(f"/files/{f['id']}?", f"/files/{other['id']}?")
            status, _h, body = await http_get(hub.http_url + forged)
            assert status == 403 and b"bad signature" in body
            # a changed expiry
            exp = url.split("exp=")[1].split("&")[0]
            status, _h, _b = await http_get(hub.http_url + url.replace(f"exp={exp}", f"exp={int(exp) + 3600}"))
            assert status == 403
            # a correctly signed URL that has expired (signed with the hub's own key)
            past = int(time.time()) - 5
            expired = f"/files/{f['id']}?exp={past}&sig={sign(_secret(hub), f['id'], past)}"
            status, _h, body = await http_get(hub.http_url + expired)
            assert status == 403 and b"expired" in body
            # no signature at all
            assert (await http_get(hub.http_url + f"/files/{f['id']}"))[0] == 403

    asyncio.run(scenario())


def test_a_customer_cannot_reach_another_conversations_file(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with (
            OperatorClient.connected(hub.ws_url) as op,
            CustomerClient.connected(hub.ws_url) as alice,
            CustomerClient.connected(hub.ws_url) as bob,
        ):
            await op.login(acc.username, acc.password)
            await op.sync()
            await _open_conversation(hub, op, alice)
            f = await upload(alice, png_bytes(), "passport.png")
            await alice.request(CustomerSend(txn_id=txn(), text="my passport", attachments=[f["id"]]))
            # bob asks for a URL: left out
            assert await file_urls(bob, [f["id"]]) == {}
            # bob cannot attach alice's file to his own message
            with pytest.raises(CommandFailed) as err:
                await bob.request(CustomerSend(txn_id=txn(), text="look", attachments=[f["id"]]))
            assert err.value.code == "forbidden"
            # the operator can read it (the conversation is theirs to see), alice too
            assert str(f["id"]) in await file_urls(op, [f["id"]])
            assert str(f["id"]) in await file_urls(alice, [f["id"]])

    asyncio.run(scenario())


def test_files_nobody_sent_are_swept_and_shared_bytes_stay(hub: TestHub) -> None:
    """An upload never sent is forgotten after a day (row and bytes); bytes another
    (sent) file shares stay; a sent file stays."""
    picture = png_bytes(9, 9)

    async def scenario() -> tuple[int, int, int]:
        async with CustomerClient.connected(hub.ws_url) as cust:
            sent = await upload(cust, picture, "sent.png")
            await cust.request(CustomerSend(txn_id=txn(), text="", attachments=[sent["id"]]))
            same_bytes = await upload(cust, picture, "again.png")  # never sent, same content
            alone = await upload(cust, png_bytes(3, 3), "alone.png")  # never sent
            return int(sent["id"]), int(same_bytes["id"]), int(alone["id"])

    sent_id, same_id, alone_id = asyncio.run(scenario())
    engine = make_engine(hub.db_url)
    try:
        from datetime import timedelta

        from app.storage.files import FileStore
        from app.storage.repo import utcnow

        files = FileStore(Store(engine)._sessions, Path(hub.db_url.removeprefix("sqlite:///")).parent / "files")
        alone_path = files.get(alone_id).path  # type: ignore[union-attr]
        assert files.sweep_orphans(utcnow() - timedelta(hours=1)) == 0  # too young
        assert files.sweep_orphans(utcnow() + timedelta(seconds=1)) == 2
        assert files.get(same_id) is None and files.get(alone_id) is None
        kept = files.get(sent_id)
        assert kept is not None and kept.path.read_bytes() == picture  # shared bytes stay
        assert not alone_path.exists()
    finally:
        engine.dispose()


def test_desktop_upload_cut_by_a_lost_link_goes_on_after_the_reconnect(hub: TestHub, tmp_path: Path) -> None:
    """The desktop client (app.client, no Qt) through a proxy that cuts the link after the
    first chunk: the session reconnects, the upload goes on from the hub's offset, the
    file arrives whole (sent once: the hub has each byte once)."""
    from app.client.secrets import MemorySecretStore
    from app.client.session import OperatorSession
    from tests.faults.proxy import FaultProxy

    acc = hub.accounts.operator
    big = _big_png(300_000)

    async def scenario() -> None:
        async with FaultProxy("127.0.0.1", hub.port) as proxy:
            session = OperatorSession(MemorySecretStore(), "dev-files", data_dir=tmp_path / "data")
            session.reconnect_first_delay = 0.02
            await session.login(proxy.url, acc.username, acc.password)
            seen: list[int] = []
            cut: list[int] = []

            def progress(sent: int, size: int) -> None:
                seen.append(sent)
                if len(seen) == 1:
                    cut.append(proxy.cut())  # after the first chunk is on the hub

            try:
                info = await session.files.upload(big, "scan.png", "image/png", progress=progress)
            finally:
                await session.close()
            assert cut == [1]  # the link was really cut
            assert info.size == len(big)
            assert seen[0] == 64 * 1024 and seen[-1] == len(big)
            assert sorted(seen) == seen  # never went back to 0: it resumed
            async with OperatorClient.connected(hub.ws_url) as op:
                await op.login(acc.username, acc.password)
                urls = await file_urls(op, [info.id])
                assert (await http_get(hub.http_url + urls[str(info.id)]))[2] == big

    asyncio.run(scenario())
