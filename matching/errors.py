"""Domain errors. The service maps each to one HTTP status and the one error shape."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a client's input: where (a dotted path) and why."""

    field: str
    reason: str
    line: int | None = None  # for bulk imports: the line of the file the problem is on


class DomainError(Exception):
    """`message`: the detail as a `matching.messages` id and its fields, for readers of another
    language; `detail` is its English text."""

    def __init__(self, detail: str, problems: list[Problem] | None = None,
                 message: tuple[str, dict[str, object]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        self.message = message


class NotFound(DomainError):
    @classmethod
    def missing(cls, label: str, ident: int | str) -> "NotFound":
        return cls(f"{label} {ident} does not exist", message=("error.not_found", {"label": label, "id": ident}))


class Conflict(DomainError):
    pass


class InvalidInput(DomainError):
    @classmethod
    def of(cls, problems: list[Problem]) -> "InvalidInput":
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return cls(f"{first.field}: {first.reason}{more}", problems,
                   message=("error.invalid", {"field": first.field, "reason": first.reason, "more": len(problems) - 1}))
