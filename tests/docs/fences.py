"""The fenced code blocks of the README and the documentation site, and the shell commands inside them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(?P<word>[A-Za-z_][A-Za-z0-9_]*)['\"]?")
_OPERATORS = {"&&", "||", "|", ";", "&", "(", ")", ";;", "|&"}
_REDIRECTIONS = {">", ">>", "<", "<<", "<<<", ">&", "<&", "2>", "&>"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (the fence's line, 1-based), its language and its text."""

    path: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        """`file:line` of the opening fence, relative to the repository, for failure messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One simple command of a shell block: its words (quotes removed) and the line it starts on."""

    block: Block
    line: int
    words: list[str]

    @property
    def where(self) -> str:
        """`file:line` of the command, for failure messages."""
        return f"{self.block.path.relative_to(ROOT)}:{self.line}"

    def __str__(self) -> str:
        return shlex.join(self.words)


def documents() -> list[Path]:
    """The README and every page of the site."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def blocks(path: Path) -> Iterator[Block]:
    """Every fenced block of a Markdown file, nested in a list or not."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        language = opening["info"].strip().split(" ")[0].split("{")[0].lower()
        yield Block(path, start + 1, language, "\n".join(body) + "\n")
        index += 1


def all_blocks(*languages: str) -> list[Block]:
    """The blocks of every document in one of these languages."""
    return [block for path in documents() for block in blocks(path) if block.language in languages]


def commands(block: Block) -> Iterator[Command]:
    """The simple commands of a shell block: continuation lines joined, comments and here-documents left out,
    leading `NAME=value` assignments and redirections dropped, split at `&&`, `|`, `;` and `&`."""
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        first = index
        logical = lines[index]
        while logical.endswith("\\") and index + 1 < len(lines):
            index += 1
            logical = logical[:-1] + " " + lines[index]
        index += 1
        heredoc = _HEREDOC.search(logical)
        if heredoc is not None:
            while index < len(lines) and lines[index].strip() != heredoc["word"]:
                index += 1
            index += 1
        lexer = shlex.shlex(logical, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        skip_next = False
        for token in [*lexer, ";"]:
            if skip_next:
                skip_next = False
            elif token in _OPERATORS:
                while words and _ASSIGNMENT.match(words[0]):
                    words.pop(0)
                if words and words[0] != "export":
                    yield Command(block, block.line + 1 + first, words)
                words = []
            elif token in _REDIRECTIONS:
                skip_next = True
            else:
                words.append(token)
