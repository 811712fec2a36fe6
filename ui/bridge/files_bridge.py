"""Attachments between the widgets and the operator session (app/client/files.py):
uploads with progress and cancel, a reply with files, images decoded off the UI thread
for the message list (kept in memory, least recently used go), files opened or saved.
A child of SessionBridge (``bridge.files``); widgets never touch the network.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from qasync import asyncSlot

from app.client.connection import CommandFailed, ConnectionLost
from app.client.files import UploadCancelled
from app.client.session import OperatorSession
from app.protocol.messages import AttachmentInfo

log = logging.getLogger(__name__)

THUMB_MAX = (240, 180)  # the largest thumbnail in the message list (logical pixels)
THUMBS_KEPT = 300


def thumb_size(att: AttachmentInfo) -> tuple[int, int]:
    """The thumbnail's size from the hub's width/height: known before the bytes are, so a
    row never changes height when its image arrives."""
    w, h = att.width or THUMB_MAX[0], att.height or THUMB_MAX[1]
    scale = min(1.0, THUMB_MAX[0] / w, THUMB_MAX[1] / h)
    return max(24, round(w * scale)), max(24, round(h * scale))


def _decode(data: bytes, size: tuple[int, int]) -> QImage:
    img = QImage.fromData(data)
    if img.isNull():
        return img
    return img.scaled(size[0] * 2, size[1] * 2, Qt.AspectRatioMode.KeepAspectRatio,
                      Qt.TransformationMode.SmoothTransformation)


class FilesBridge(QObject):
    upload_progressed = Signal(str, int, int)  # key, bytes sent, size
    upload_finished = Signal(str, object)  # key, AttachmentInfo
    upload_failed = Signal(str, str)  # key, human text (empty when cancelled)
    sent = Signal(object)  # MessageInfo: a reply with files is stored
    send_failed = Signal(int, str)  # conversation id, human text
    image_loaded = Signal(int)  # file id: its thumbnail is ready (image())
    file_ready = Signal(int, str, bool)  # file id, local path, to be opened (else: saved there)
    file_failed = Signal(int, str)  # file id, human text

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._thumbs: OrderedDict[int, QImage] = OrderedDict()
        self._loading: set[int] = set()
        self._failed: set[int] = set()
        self._cancelled: set[str] = set()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ uploads

    @property
    def max_bytes(self) -> int:
        return self.session.files.max_bytes

    def failure_text(self, exc: Exception) -> str:
        if isinstance(exc, ConnectionLost):
            return self.tr("the connection to the hub is down")
        if isinstance(exc, CommandFailed):
            texts = {
                "file_too_big": self.tr("the file is too big (the limit is %1 MB)").replace(
                    "%1", str(self.max_bytes // (1024 * 1024))
                ),
                "file_type_not_allowed": self.tr("this type of file is not allowed (images and PDF only)"),
                "file_broken": self.tr("the file is damaged"),
                "conflict": self.tr("too many uploads at once"),
                "forbidden": self.tr("this conversation belongs to another operator"),
                "empty_text": self.tr("the message is empty"),
            }
            return texts.get(exc.code, exc.text)
        return str(exc)

    @asyncSlot(str, str)
    async def upload_path(self, key: str, path: str) -> None:
        try:
            data = await asyncio.get_running_loop().run_in_executor(None, _read_limited, path, self.max_bytes)
        except OSError as exc:
            self.upload_failed.emit(key, self.tr("the file cannot be read: %1").replace("%1", exc.strerror or ""))
            return
        except _TooBig:
            self.upload_failed.emit(key, self.failure_text(CommandFailed("file_too_big", "")))
            return
        await self._upload(key, data, Path(path).name)

    @asyncSlot(str, bytes, str)
    async def upload_data(self, key: str, data: bytes, name: str) -> None:
        await self._upload(key, data, name)

    async def _upload(self, key: str, data: bytes, name: str) -> None:
        mime = mimetypes.guess_type(name)[0] or ""
        try:
            info = await self.session.files.upload(
                data,
                name,
                mime,
                progress=lambda sent, size: self.upload_progressed.emit(key, sent, size),
                cancelled=lambda: key in self._cancelled,
            )
        except UploadCancelled:
            self.upload_failed.emit(key, "")
        except (CommandFailed, ConnectionLost) as exc:
            self.upload_failed.emit(key, self.failure_text(exc))
        else:
            self._thumbs_put_later(info, data)
            self.upload_finished.emit(key, info)
        finally:
            self._cancelled.discard(key)

    def cancel(self, key: str) -> None:
        self._cancelled.add(key)

    @asyncSlot(int, str, list)
    async def send(self, conversation_id: int, text: str, file_ids: list[int]) -> None:
        try:
            msg = await self.session.files.send(conversation_id, text, file_ids)
        except (CommandFailed, ConnectionLost) as exc:
            self.send_failed.emit(conversation_id, self.tr("The message was not sent: %1").replace(
                "%1", self.failure_text(exc)))
        else:
            self.sent.emit(msg)

    # ------------------------------------------------------------------ images and files

    def image(self, file_id: int) -> QImage | None:
        img = self._thumbs.get(file_id)
        if img is not None:
            self._thumbs.move_to_end(file_id)
        return img

    def image_failed(self, file_id: int) -> bool:
        return file_id in self._failed

    def request_image(self, att: AttachmentInfo) -> None:
        """Ask for a thumbnail (the delegate does, while painting): fetched and decoded in
        the background, ``image_loaded`` when ready. Asked again meanwhile: nothing."""
        if att.id in self._thumbs or att.id in self._loading or att.id in self._failed:
            return
        self._loading.add(att.id)
        self._spawn(self._load_image(att))

    async def _load_image(self, att: AttachmentInfo) -> None:
        try:
            data = await self.session.files.fetch(att.id)
            img = await asyncio.get_running_loop().run_in_executor(None, _decode, data, thumb_size(att))
            if img.isNull():
                raise ValueError("not decodable")
        except Exception as exc:  # shown as "image not available" in the bubble
            log.info("image %d could not be shown: %s", att.id, exc)
            self._failed.add(att.id)
        else:
            self._put(att.id, img)
        finally:
            self._loading.discard(att.id)
        self.image_loaded.emit(att.id)

    def _thumbs_put_later(self, info: AttachmentInfo, data: bytes) -> None:
        if info.mime.startswith("image/"):
            async def decode() -> None:
                img = await asyncio.get_running_loop().run_in_executor(None, _decode, data, thumb_size(info))
                if not img.isNull():
                    self._put(info.id, img)
                    self.image_loaded.emit(info.id)

            self._spawn(decode())

    def _put(self, file_id: int, img: QImage) -> None:
        self._thumbs[file_id] = img
        while len(self._thumbs) > THUMBS_KEPT:
            self._thumbs.popitem(last=False)

    @asyncSlot(object, str)
    async def save_file(self, att: AttachmentInfo, path: str) -> None:
        """Write the file where the operator chose (``path``), or, with no path, to a
        temporary folder of this run (to open it with the system's viewer)."""
        opened = not path
        try:
            data = await self.session.files.fetch(att.id)
            if not path:
                if self._tmp is None:
                    self._tmp = tempfile.TemporaryDirectory(prefix="frontline-")
                path = str(Path(self._tmp.name) / f"{att.id}-{Path(att.name).name}")
            await asyncio.get_running_loop().run_in_executor(None, Path(path).write_bytes, data)
        except (CommandFailed, ConnectionLost, OSError) as exc:
            self.file_failed.emit(att.id, self.failure_text(exc))
        else:
            self.file_ready.emit(att.id, path, opened)


class _TooBig(Exception):
    pass


def _read_limited(path: str, limit: int) -> bytes:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _TooBig()
    return data
