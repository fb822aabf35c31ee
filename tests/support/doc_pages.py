"""Read a docs page as steps: ``sh`` command blocks and ``# <path>`` file blocks, in page order.

Used by the tests that build a project from a page (tutorial, quick start), so the
page and what the test runs cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BLOCK = re.compile(r"```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)
FILE_HEADER = re.compile(r"# (?P<path>\S+)(?P<append> \(append\))?\n")


@dataclass(frozen=True)
class FileBlock:
    path: str
    append: bool
    body: str

    def write(self, project: Path) -> None:
        """Write (or append) the block's text to its file under ``project``."""
        target = project / self.path
        if self.append:
            target.write_text(target.read_text() + "\n" + self.body)
        else:
            target.write_text(f"# {self.path}\n{self.body}")


def steps(page: Path) -> list[FileBlock | str]:
    """File blocks and shell command lines (comments dropped), in the page's order."""
    found: list[FileBlock | str] = []
    for block in BLOCK.finditer(page.read_text()):
        if block["lang"] == "python":
            header = FILE_HEADER.match(block["body"])
            if header:
                found.append(FileBlock(header["path"], bool(header["append"]), block["body"][header.end() :]))
        elif block["lang"] == "sh":
            lines = (line.split(" #", 1)[0].strip() for line in block["body"].splitlines())
            found.extend(line for line in lines if line)
    return found


def file_blocks(page: Path) -> list[FileBlock]:
    return [step for step in steps(page) if isinstance(step, FileBlock)]
