"""Safe YAML reading for checklist files: a small node tree with line numbers.

The tree is built from PyYAML's event stream, never from ``yaml.load``: no tag
is ever constructed, so ``!!python/object/apply:os.system`` and friends are
refused instead of run.  Anchors and aliases are refused too (a "billion
laughs" file is rejected before anything is expanded), and so is nesting deeper
than :data:`MAX_DEPTH` (libyaml's composer would otherwise crash on it).
Building the tree from events is iterative, so no input can exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from granskning.errors import InputError, format_location

MAX_DEPTH = 50

# Explicit tags we accept: they only restate what a plain value already is.
_HARMLESS_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
)

# PyYAML's (English) problem texts for the mistakes people make most, in Swedish.
_TOO_DEEP = f"för djup nästling (mer än {MAX_DEPTH} nivåer)"
# Never the library's English words: its wording changes between releases.
_UNKNOWN_PROBLEM = "ogiltig YAML (kontrollera indrag, kolon, citattecken och parenteser här)"
_PROBLEMS_SV = {
    "mapping values are not allowed here": (
        "kolon på fel ställe (fel indrag, eller en text med ': ' som behöver citattecken)"
    ),
    "mapping values are not allowed in this context": (
        "kolon på fel ställe (fel indrag, eller en text med ': ' som behöver citattecken)"
    ),
    "found character that cannot start any token": (
        "ett tecken som inte får inleda ett värde (tabbtecken för indrag? använd mellanslag)"
    ),
    "found character '\\t' that cannot start any token": (
        "tabbtecken går inte att använda för indrag; använd mellanslag"
    ),
    "could not find expected ':'": "kolon saknas efter nyckeln",
    "did not find expected key": "oväntat indrag eller en rad som inte hör hemma här",
    "did not find expected '-' indicator": "oväntat indrag i en lista",
    "found unexpected end of stream": "filen tar slut mitt i en text; saknas ett citattecken?",
    "did not find expected ',' or ']'": "listan inom [ ] är inte avslutad",
    "did not find expected ',' or '}'": "uppställningen inom { } är inte avslutad",
    "found a tab character that violates indentation": (
        "tabbtecken går inte att använda för indrag; använd mellanslag"
    ),
    "found unknown escape character": "okänd escape-sekvens med \\ inom dubbla citattecken",
    "expected a single document in the stream": "filen får bara innehålla ett YAML-dokument",
}


class ChecklistFileError(InputError):
    """One problem in a checklist file: ``fil, rad 14, nyckel "visas_om": …`` (exit 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message, file=file, row=line)
        self.line = line
        self.key = key
        if key is not None:
            loc = format_location(self.file, line, None).removesuffix(": ")
            loc = f'{loc}, nyckel "{key}"' if loc else f'nyckel "{key}"'
            self.message = f"{loc}: {message}"
            self.args = (self.message,)


@dataclass(slots=True)
class Node:
    """A YAML node: ``kind`` is "scalar", "seq" or "map"; ``line`` counts from 1.

    A scalar's ``value`` is its text exactly as written (no type conversion),
    ``quoted`` tells whether it was written within quotes.  A sequence holds a
    list of nodes, a mapping a list of (key node, value node) pairs in file order.
    """

    kind: str
    line: int
    value: object = None
    quoted: bool = False
    items: list = field(default_factory=list)

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and not self.quoted and self.value in ("", "~", "null", "Null", "NULL")


def parse(text: str, *, source: str | None = None) -> Node | None:
    """Return the node tree of one YAML document (None for an empty file).

    Raises :class:`ChecklistFileError` for broken YAML (with the line from the
    YAML error), tags, anchors, aliases and too deep nesting.
    """
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[Node] = []
    root: Node | None = None
    pending_key: list[Node | None] = []
    documents = 0
    try:
        for event in yaml.parse(text, Loader=loader_cls):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ChecklistFileError(_PROBLEMS_SV["expected a single document in the stream"],
                                             file=source, line=line)
                continue
            _refuse_event(event, source, line)
            tag = getattr(event, "tag", None)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise ChecklistFileError(_TOO_DEEP, file=source, line=line)
                node = Node("map" if isinstance(event, yaml.MappingStartEvent) else "seq", line)
                _attach(node, stack, pending_key)
                stack.append(node)
                pending_key.append(None)
                if root is None:
                    root = node
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                pending_key.pop()
            elif isinstance(event, yaml.ScalarEvent):
                quoted = event.style in ("'", '"') or (tag is not None and tag.endswith(":str"))
                node = Node("scalar", line, event.value, quoted=quoted)
                if not stack:
                    root = node
                else:
                    _attach(node, stack, pending_key)
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, text, source) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ChecklistFileError(f"otillåtet tecken (kod {exc.character!r}) i filen",
                                 file=source, line=line) from None
    except yaml.YAMLError:
        if _flow_depth(text) > MAX_DEPTH:
            raise ChecklistFileError(_TOO_DEEP, file=source) from None
        raise ChecklistFileError(_UNKNOWN_PROBLEM, file=source) from None
    return root


def _refuse_event(event: yaml.Event, source: str | None, line: int) -> None:
    """Raise ChecklistFileError for an alias, an anchor or a tag that is not harmless."""
    if isinstance(event, yaml.AliasEvent):
        raise ChecklistFileError(
            f"alias (*{event.anchor}) stöds inte i checklistor; skriv ut värdet i stället",
            file=source, line=line)
    if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
        raise ChecklistFileError(
            f"ankare (&{event.anchor}) stöds inte i checklistor; skriv ut värdet där det behövs",
            file=source, line=line)
    tag = getattr(event, "tag", None)
    if tag is not None and tag != "!" and tag not in _HARMLESS_TAGS:
        raise ChecklistFileError(
            f"YAML-taggen {tag.replace('tag:yaml.org,2002:', '!!')} är inte tillåten i checklistor",
            file=source, line=line)


def _marked_error(exc: yaml.MarkedYAMLError, text: str, source: str | None) -> ChecklistFileError:
    """Return the Swedish error for a YAML syntax error, with the line it points at."""
    problem = (exc.problem or exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    if problem == "found unexpected end of stream" and exc.context_mark is not None:
        mark = exc.context_mark  # where the unclosed quote starts
    line = mark.line + 1 if mark is not None else None
    if problem not in _PROBLEMS_SV and _flow_depth(text) > MAX_DEPTH:
        # The YAML library may refuse deep nesting itself, in its own words and before
        # our event check sees it (PyYAML 6.0.4 looks ahead in flow collections).
        return ChecklistFileError(_TOO_DEEP, file=source, line=line)
    return ChecklistFileError(_PROBLEMS_SV.get(problem, _UNKNOWN_PROBLEM), file=source, line=line)


def to_python(node: Node | None) -> object:
    """Return plain Python values for a node tree (what ``yaml.safe_load`` gives, minus tags).

    Plain scalars are typed by YAML's own resolver (numbers, booleans, null, dates);
    quoted scalars stay text.  Used for protocol files, which want typed values but
    the same refusals and Swedish messages as checklists.
    """
    if node is None:
        return None
    if node.kind == "map":
        return {to_python(k): to_python(v) for k, v in node.items}
    if node.kind == "seq":
        return [to_python(item) for item in node.items]
    if node.quoted:
        return node.value
    return _typed(str(node.value))


def _typed(text: str) -> object:
    tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return text
    constructor = yaml.SafeLoader.yaml_constructors.get(tag)
    if constructor is None:
        return text
    try:
        return constructor(yaml.SafeLoader(""), yaml.ScalarNode(tag, text))
    except (ValueError, OverflowError, yaml.YAMLError):
        return text


def _flow_depth(text: str) -> int:
    """Return the deepest nesting of [ ] and { } outside quotes and comments (a rough count, used only to explain a refusal)."""
    depth = deepest = 0
    quote = ""
    comment = False
    for ch in text:
        if comment:
            comment = ch != "\n"
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _attach(node: Node, stack: list[Node], pending_key: list[Node | None]) -> None:
    if not stack:
        return
    parent = stack[-1]
    if parent.kind == "seq":
        parent.items.append(node)
    elif pending_key[-1] is None:
        pending_key[-1] = node
    else:
        parent.items.append((pending_key[-1], node))
        pending_key[-1] = None
