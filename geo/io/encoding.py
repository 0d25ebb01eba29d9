"""Decode the bytes of a CSV file: UTF-16, UTF-8 or GB18030/GBK, and never a mix of them."""

from __future__ import annotations

from ..errors import InputError

__all__: list[str] = []


def _decode(data: bytes, what: str, where: str) -> str:
    """The file's text: UTF-16 (with its BOM), UTF-8 (with or without BOM) or GB18030/GBK.

    The file must be in ONE encoding throughout. Nearly any bytes decode as GB18030, so a
    UTF-8 file with a few GBK rows (pasted from another export) would come out garbled
    without a word (北辰诊所 as 鍖楄景璇婃墍). So: when UTF-8 decoding fails at line k
    while the text before it already holds UTF-8 multi-byte characters (or a UTF-8 BOM), the
    file is refused as mixed, naming line k. When the first non-ASCII text is not UTF-8, the
    file is read as GB18030, strictly.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        bom = data.startswith(b"\xef\xbb\xbf")
        body = data[3:] if bom else data
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc.start
        if bom or any(b >= 0x80 for b in body[:bad]):
            line = _line_number(body, bad)
            earlier = ("the file starts with a UTF-8 byte-order mark" if bom and body[:bad].isascii()
                       else "earlier lines are")
            raise InputError(
                f"{what} file {where}: line {line} is not UTF-8 while {earlier} (mixed "
                "encodings, e.g. rows pasted from a GBK file); fix the garbled rows from that "
                "line on, then save the file as 'CSV UTF-8' from Excel or WPS."
            )
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what} file {where}: line {_line_number(body, exc.start)} is neither UTF-8 "
                "nor GBK/GB18030 text. Open it in Excel or WPS and save it as 'CSV UTF-8', or "
                "as .xlsx."
            ) from None
        utf8_line = _utf8_line_in_gbk(body)
        if utf8_line is not None:
            raise InputError(
                f"{what} file {where}: line {utf8_line} is UTF-8 Chinese text while earlier lines are "
                "GBK (mixed encodings); fix the rows of the other encoding, then save the file "
                "as 'CSV UTF-8' from Excel or WPS."
            )
        return text
    raise InputError(
        f"{what} file {where} is not a text file in UTF-8, UTF-16 or GBK/GB18030 encoding. "
        "Open it in Excel or WPS and save it as 'CSV UTF-8', or as .xlsx."
    )


def _utf8_line_in_gbk(body: bytes) -> int | None:
    """First line of a GBK file that is clearly UTF-8 Chinese text instead, or None.

    "Clearly": the line is valid UTF-8, holds at least two CJK ideographs and no other
    non-ASCII characters except CJK and full-width punctuation. GBK text that happens to be
    valid UTF-8 almost never decodes to ideographs only (every run of Chinese characters
    would have to split into 3-byte UTF-8 sequences), so a GBK file is not refused by chance.
    """
    for k, raw in enumerate(body.split(b"\n"), 1):
        if raw.isascii():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        wide = [c for c in line if ord(c) >= 0x80]
        ideographs = sum("\u4e00" <= c <= "\u9fff" for c in wide)
        if ideographs >= 2 and all(
            "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in wide
        ):
            return k
    return None


def _line_number(data: bytes, offset: int) -> int:
    """1-based line (as a text editor counts them) holding byte ``offset`` of ``data``."""
    return data.count(b"\n", 0, offset) + 1

