"""Reading the text of a written PDF, shared by the report tests of every wing."""

from __future__ import annotations

import re


def pdf_text(path) -> str:
    """The text of every page, whitespace (and no-break spaces) collapsed to single spaces."""
    import pypdf

    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))
