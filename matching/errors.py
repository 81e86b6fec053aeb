"""Domain errors. The service maps each to one HTTP status and the one error shape."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a client's input: where (a dotted path) and why."""

    field: str
    reason: str
    line: int | None = None  # for bulk imports: the line of the file the problem is on


class DomainError(Exception):
    def __init__(self, detail: str, problems: list[Problem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidInput(DomainError):
    @classmethod
    def of(cls, problems: list[Problem]) -> "InvalidInput":
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return cls(f"{first.field}: {first.reason}{more}", problems)
