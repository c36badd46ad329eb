"""What went wrong while reading: problems are collected, never raised."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from corpus.safe_text import printable_path


@dataclass(frozen=True, slots=True)
class Problem:
    """One input that could not be read (or was read only in part), and why."""

    origin: str
    reason: str

    def to_json(self) -> str:
        """One JSON line for tools: ``{"origin": ..., "reason": ...}``."""
        return json.dumps({"origin": self.origin, "reason": self.reason}, ensure_ascii=False)


@dataclass(slots=True)
class ReadReport:
    """Counts and problems of one reading run; readers append to it as they go."""

    files_seen: int = 0
    articles_read: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, origin: str, reason: str) -> None:
        """Record that ``origin`` was skipped (or partly read) for ``reason``.

        Both are stored as valid UTF-8 text (undecodable file-name bytes as ``\\xNN``),
        so the problem can always be printed and written as JSON.
        """
        self.problems.append(Problem(printable_path(origin), printable_path(reason)))

    def problems_jsonl(self) -> str:
        """All problems as JSON lines (one object a line, newline-terminated)."""
        return "".join(problem.to_json() + "\n" for problem in self.problems)

    def summary(self) -> str:
        """A one-paragraph human summary of the run."""
        lines = [
            f"{self.articles_read} articles read from {self.files_seen} files, "
            f"{self.duplicates} duplicates dropped, {len(self.problems)} problems"
        ]
        reasons = Counter(problem.reason.split(":")[0] for problem in self.problems)
        lines.extend(f"  {count} x {reason}" for reason, count in reasons.most_common())
        return "\n".join(lines)
