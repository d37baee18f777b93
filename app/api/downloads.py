"""The Content-Disposition of a download (RFC 6266): a plain ASCII `filename`, plus the
name in UTF-8 as `filename*` (RFC 5987) when the name has letters beyond ASCII."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_STEM = 64


def attachment(filename: str, name: str | None = None) -> str:
    """`filename` is already safe ASCII ('model.zip'); `name` is what the file is named
    after (a run's name: any text). Its letters and digits of every script are kept, the
    rest (separators, dots, quotes, controls, emoji) becomes '_'. ('model.zip', '名前 🚀')
    -> attachment; filename="model.zip"; filename*=UTF-8''%E5%90%8D%E5%89%8D.zip
    """
    header = f'attachment; filename="{filename}"'
    if name is None:
        return header
    extension = filename.rpartition(".")[2]
    stem = re.sub(r"[^\w-]+", "_", unicodedata.normalize("NFC", name)).strip("_-")[:MAX_STEM]
    if not stem.isascii():
        header += f"; filename*=UTF-8''{quote(f'{stem}.{extension}', safe='')}"
    return header
