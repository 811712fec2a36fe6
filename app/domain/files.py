"""Attachment rules, pure (no I/O beyond reading the file handed in): what a file is by
its first bytes (never by its name or the type a sender declares), whether the hub takes
it (type allowed, size, image dimensions), and a safe file name.

docs/architecture.md, "Files", says why the checks are these.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from app.domain.errors import DomainError
from app.protocol import ErrorCode

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MiB
DEFAULT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
# An image whose header promises more pixels than this is refused: decoding it would take
# width*height*4 bytes (a 1 KiB PNG can declare 60000x60000 = 14 GB): a decompression bomb.
DEFAULT_MAX_PIXELS = 40_000_000
MAX_SIDE = 30_000
NAME_MAX = 120

TYPE_NAMES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}
EXTENSIONS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}
_EXT_TO_TYPE = {ext: mime for mime, exts in EXTENSIONS.items() for ext in exts}


class FileRejected(DomainError):
    """A file the hub does not take; ``code`` says why (file_too_big, file_type_not_allowed,
    file_broken), ``text`` says it to a person."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class FilePolicy:
    """What the hub takes (``frontline-hub serve --max-file-mb --file-types``)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    types: tuple[str, ...] = DEFAULT_TYPES
    max_pixels: int = DEFAULT_MAX_PIXELS

    def check_size(self, size: int) -> None:
        if size < 1:
            raise FileRejected(ErrorCode.FILE_BROKEN, "the file is empty")
        if size > self.max_bytes:
            raise FileRejected(
                ErrorCode.FILE_TOO_BIG,
                f"the file is too big: {human_size(size)}, the limit is {human_size(self.max_bytes)}",
            )

    def allowed_text(self) -> str:
        return ", ".join(TYPE_NAMES.get(t, t) for t in self.types)


@dataclass(frozen=True)
class Checked:
    """What a file was found to be."""

    mime: str
    width: int | None = None
    height: int | None = None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < MiB:
        return f"{size / 1024:.0f} KiB"
    return f"{size / MiB:.1f} MiB"


def sniff(head: bytes) -> str | None:
    """The type of a file by its first bytes (16 are enough), or None when it is none of
    the types the hub knows."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def declared_type(name: str, mime: str) -> str | None:
    """The type a sender claims by the declared MIME type, else by the name's extension;
    None when it claims nothing the hub knows (then only the content decides)."""
    mime = mime.split(";", 1)[0].strip().lower()
    if mime == "image/jpg":
        mime = "image/jpeg"
    if mime in TYPE_NAMES:
        return mime
    dot = name.rfind(".")
    return _EXT_TO_TYPE.get(name[dot:].lower()) if dot >= 0 else None


def check_head(head: bytes, name: str, declared_mime: str, policy: FilePolicy) -> str:
    """The early check on the first bytes (an upload's first chunk): the detected type, or
    :class:`FileRejected` when it is not allowed or not what the sender says it is."""
    mime = sniff(head)
    if mime is None or mime not in policy.types:
        what = f"{TYPE_NAMES[mime]} files are" if mime else "this kind of file is"
        raise FileRejected(
            ErrorCode.FILE_TYPE_NOT_ALLOWED,
            f"{what} not allowed: only {policy.allowed_text()}",
        )
    claimed = declared_type(name, declared_mime)
    if claimed is not None and claimed != mime:
        raise FileRejected(
            ErrorCode.FILE_TYPE_NOT_ALLOWED,
            f"the file says it is {TYPE_NAMES[claimed]} but its content is {TYPE_NAMES[mime]}",
        )
    return mime


def check_file(f: BinaryIO, size: int, name: str, declared_mime: str, policy: FilePolicy) -> Checked:
    """The whole check of a complete file (open for reading, at any position): size, type
    by content, agreement with the declared type, and for images the dimensions in their
    header (a broken header or a decompression bomb is refused)."""
    policy.check_size(size)
    f.seek(0)
    head = f.read(64)
    mime = check_head(head, name, declared_mime, policy)
    if mime == "application/pdf":
        return Checked(mime)
    dims = image_size(f, mime)
    if dims is None:
        raise FileRejected(ErrorCode.FILE_BROKEN, f"the {TYPE_NAMES[mime]} image is broken: its header cannot be read")
    width, height = dims
    if width < 1 or height < 1:
        raise FileRejected(ErrorCode.FILE_BROKEN, f"the {TYPE_NAMES[mime]} image is broken: it has no size")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > policy.max_pixels:
        raise FileRejected(
            ErrorCode.FILE_TOO_BIG,
            f"the image is too large: {width}×{height} pixels, "
            f"the limit is {policy.max_pixels // 1_000_000} megapixels",
        )
    return Checked(mime, width, height)


def image_size(f: BinaryIO, mime: str) -> tuple[int, int] | None:
    """(width, height) from an image's header, None when the header is broken."""
    try:
        f.seek(0)
        if mime == "image/png":
            head = f.read(33)
            # signature, then the IHDR chunk: length 13, "IHDR", width, height
            if len(head) < 24 or head[12:16] != b"IHDR":
                return None
            w, h = struct.unpack(">II", head[16:24])
            return w, h
        if mime == "image/gif":
            head = f.read(10)
            if len(head) < 10:
                return None
            w, h = struct.unpack("<HH", head[6:10])
            return w, h
        if mime == "image/webp":
            return _webp_size(f.read(30))
        if mime == "image/jpeg":
            return _jpeg_size(f)
    except (OSError, struct.error):
        return None
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 30:
        return None
    chunk = head[12:16]
    if chunk == b"VP8 ":  # lossy: a key frame's start code, then 14-bit sizes
        if head[23:26] != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14-bit (size - 1) each
        if head[20] != 0x2F:
            return None
        b = int.from_bytes(head[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit (size - 1) each
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    """Walk the JPEG segments (seeking past each) to the frame header (SOFn)."""
    f.seek(2)
    for _ in range(1000):
        marker = f.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        kind = marker[1]
        while kind == 0xFF:  # fill bytes
            nxt = f.read(1)
            if not nxt:
                return None
            kind = nxt[0]
        if kind in (0xD8, 0x01) or 0xD0 <= kind <= 0xD7:  # no length
            continue
        if kind in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None
        raw = f.read(2)
        if len(raw) < 2:
            return None
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            return None
        if kind in _SOF:
            body = f.read(5)
            if len(body) < 5:
                return None
            h, w = struct.unpack(">HH", body[1:5])
            return w, h
        f.seek(length - 2, 1)
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(name: str, mime: str) -> str:
    """A file name safe to show, store and offer for saving on any system: no directory
    part, no control or reserved characters, no leading dots, at most ``NAME_MAX``
    characters, and an extension that matches the content (``photo`` → ``photo.png``)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().strip(".").strip()
    exts = EXTENSIONS.get(mime, ())
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if exts and f".{ext.lower()}" not in exts:
        stem, ext = (name if name else ""), exts[0][1:]
    stem = stem.strip() or "file"
    if re.fullmatch(r"(?i)(con|prn|aux|nul|com\d|lpt\d)", stem):
        stem = f"_{stem}"
    suffix = f".{ext}" if ext else ""
    return stem[: NAME_MAX - len(suffix)] + suffix
