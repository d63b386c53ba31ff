"""Text for reports: the standard Swedish texts in ``reports/`` and a small Markdown reader.

The Markdown subset is what inspectors write in a word processor and save as
text: headings (``#``, ``##``, ``###``), paragraphs, bullet lists (``- `` or
``* ``), quotes (``> ``), ``**bold**`` and ``*italic*``.  Everything else is
printed as written.  HTML comments (``<!-- … -->``) are left out.  Text is
escaped before the bold/italic markup is added, so nothing in a file can
inject markup into the PDF.
"""

from __future__ import annotations

import re
from pathlib import Path

from granskning import resources as bundled
from granskning.errors import InputError
from granskning.report.document import Block, Bullets, Heading, Paragraph

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def reports_dir() -> Path:
    """Return the directory of the standard report texts shipped with the tool."""
    return bundled.directory("reports")


def escape(text: str) -> str:
    """Return text safe for reportlab's paragraph markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str) -> str:
    """Return escaped text with **bold** and *italic* turned into <b> and <i>."""
    out = _BOLD.sub(r"<b>\1</b>", escape(text))
    return _ITALIC.sub(r"<i>\1</i>", out)


def parse_markdown(text: str, *, base_level: int = 1) -> list[Block]:
    """Return the blocks of a Markdown text; the file's top heading level becomes ``base_level``."""
    text = _COMMENT.sub("", text.replace("\r\n", "\n"))
    levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6})\s", text, re.MULTILINE)]
    shift = base_level - min(levels) if levels else 0
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []
    quote: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Paragraph(inline(" ".join(para))))
            para.clear()
        if items:
            blocks.append(Bullets(tuple(inline(i) for i in items)))
            items.clear()
        if quote:
            blocks.append(Paragraph(inline(" ".join(quote)), style="quote"))
            quote.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", line)
        bullet = re.match(r"^[-*•]\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            level = min(3, max(1, len(heading.group(1)) + shift))
            blocks.append(Heading(heading.group(2).strip(), level))
        elif bullet:
            if para or quote:
                flush()
            items.append(bullet.group(1))
        elif line.startswith(">"):
            if para or items:
                flush()
            quote.append(line.lstrip("> ").strip())
        elif items and raw.startswith((" ", "\t")):
            items[-1] += " " + line
        else:
            if items or quote:
                flush()
            para.append(line)
    flush()
    return blocks


def read_markdown(path: str | Path, *, base_level: int = 1) -> list[Block]:
    """Return the blocks of a Markdown file (UTF-8), with Swedish errors for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise InputError("filen finns inte.", file=path)
    raw = path.read_bytes()
    if len(raw) > 2_000_000:
        raise InputError("filen är större än 2 MB; är det rätt fil?", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("filen är inte sparad som UTF-8.", file=path, row=line) from None
    return parse_markdown(text, base_level=base_level)


def chapters(blocks: list[Block]) -> list[tuple[str, list[Block]]]:
    """Return (chapter title, its blocks) for each level-1 heading, in order."""
    out: list[tuple[str, list[Block]]] = []
    for b in blocks:
        if isinstance(b, Heading) and b.level == 1:
            out.append((b.text, []))
        elif out:
            out[-1][1].append(b)
    return out


def standard_text(name: str) -> list[tuple[str, list[Block]]]:
    """Return the chapters of a bundled standard text (``reports/<name>.md``)."""
    return chapters(read_markdown(reports_dir() / f"{name}.md"))


def quality_areas_missing(blocks: list[Block]) -> list[str]:
    """Return the quality areas (SKR/Socialstyrelsen) an analysis text has no heading for."""
    areas = ("Trygghet och säkerhet", "Självbestämmande och integritet", "Helhetssyn och samordning",
             "Kunskapsbaserad verksamhet", "Tillgänglighet", "Effektivitet")
    titles = " ".join(b.text.casefold() for b in blocks if isinstance(b, Heading))
    return [a for a in areas if a.split()[0].casefold() not in titles]
