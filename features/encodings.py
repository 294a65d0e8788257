"""Which text encoding a CSV export is in, decided so that text is never silently turned into mojibake.

Rule: a file that decodes as UTF-8 everywhere (with or without a byte-order
mark) is UTF-8. Otherwise the candidates are the two encodings spreadsheet
exports come in: CP932 (Shift-JIS as Japanese Excel writes it, half-width
katakana included) and Windows-1252 (Western-European Excel: ``€``, curly
quotes). A candidate must decode the whole file; when both do, the one whose
text reads as plausible (``charset_normalizer``'s mess ratio on the lines that
are not plain ASCII) must be clearly better than the other. When it is not,
the file's encoding is not guessed: the run stops and asks for
``data.encoding``. A Windows-1252 file without its five typographic bytes
(0x80-0x9F) is reported as Latin-1, which reads it to the same text.

A named ``data.encoding`` is checked against the whole file as well: a byte it
cannot decode is an error naming the line, never a replacement character.
"""

from __future__ import annotations

import codecs
from pathlib import Path

CANDIDATES: tuple[str, ...] = ("cp932", "cp1252")
NAMES = {"cp932": "CP932 (Shift-JIS, Japanese Excel)", "cp1252": "Windows-1252 (Western-European Excel)",
         "latin-1": "Latin-1", "utf-8": "UTF-8"}
_CHUNK = 1 << 22
_SAMPLE_BYTES = 1 << 20
_MAX_MESS = 0.2      # above this mess ratio a decoding does not read as text
_MARGIN = 0.1        # the better decoding must beat the other by this much


class EncodingError(ValueError):
    """The file's encoding cannot be told, or the named one does not decode it."""


def first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """``(line, byte offset)`` of the first byte ``encoding`` cannot decode, or None if the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, line = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                return line + chunk[: max(exc.start, 0)].count(b"\n"), bad
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line, offset
    return None


def _sample(path: Path) -> bytes:
    """What the candidates are judged on: the file's start, then its lines that hold non-ASCII bytes (a megabyte)."""
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES // 2)
        out, size = [head], len(head)
        for raw in fh:
            if any(b >= 0x80 for b in raw):
                out.append(raw)
                size += len(raw)
                if size >= _SAMPLE_BYTES:
                    break
    return b"".join(out)


def _mess(sample: bytes, encoding: str) -> float:
    """charset_normalizer's mess ratio of ``sample`` read as ``encoding`` (1.0 when it rejects the reading)."""
    import charset_normalizer

    match = charset_normalizer.from_bytes(sample, cp_isolation=[encoding]).best()
    return 1.0 if match is None else float(match.chaos)


def _has_typographic_bytes(path: Path) -> bool:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if any(0x80 <= b <= 0x9F for b in chunk):
                return True
    return False


def _ask(path: Path, why: str) -> EncodingError:
    return EncodingError(f"{path}: {why}; set data.encoding in params.yaml to the file's encoding "
                         "(for example cp932 for a Japanese Excel export, cp1252 for a Western-European one)")


def detect(path: Path, declared: str = "auto") -> str:
    """The Python codec name to read ``path`` with (``utf-8``, ``cp932``, ``cp1252``, ``latin-1`` or the named one).

    Raises:
        EncodingError: naming the file and what to set, when the encoding cannot be told
            or the named one does not decode the file.
    """
    if declared != "auto":
        codec = codecs.lookup(declared).name
        bad = first_undecodable(path, codec)
        if bad is not None:
            raise EncodingError(f"{path}: line {bad[0]} (byte {bad[1]:,}) is not valid {declared} "
                                f"(data.encoding); the file is in another encoding")
        return "utf-8" if codec in ("utf-8", "utf-8-sig") else codec
    if first_undecodable(path, "utf-8") is None:
        return "utf-8"
    fits = [c for c in CANDIDATES if first_undecodable(path, c) is None]
    if not fits:
        raise _ask(path, "not valid UTF-8, CP932 or Windows-1252")
    sample = _sample(path)
    mess = {c: _mess(sample, c) for c in fits}
    best = min(fits, key=lambda c: mess[c])
    others = [mess[c] for c in fits if c != best]
    if mess[best] > _MAX_MESS or any(m - mess[best] < _MARGIN for m in others):
        line = next((raw for raw in sample.splitlines() if any(b >= 0x80 for b in raw)), b"")
        readings = "; ".join(f"as {NAMES[c]} a line reads {line.decode(c, 'replace')[:60]!r}" for c in fits)
        raise _ask(path, f"not valid UTF-8, and its encoding cannot be told for sure ({readings})")
    if best == "cp1252" and not _has_typographic_bytes(path):
        return "latin-1"
    return best


def transcode(path: Path, encoding: str, dest: Path) -> Path:
    """Write a UTF-8 copy of ``path`` (read with ``encoding``) to ``dest``, streaming; returns ``dest``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as src, dest.open("w", encoding="utf-8", newline="") as out:
        while chunk := src.read(_CHUNK):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    return dest
