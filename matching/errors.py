"""Domain errors. The service maps each to one HTTP status and the one error shape."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from matching.messages import Lang, render, term
from matching.saying import Said, Sayable


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a client's input: where (a dotted path) and why.

    `said` is the reason again for readers of another language (None: `reason` is all there is)."""

    field: str
    reason: str
    line: int | None = None  # for bulk imports: the line of the file the problem is on
    said: Sayable | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, field: str, said: Sayable, line: int | None = None) -> "Problem":
        return cls(field, said.render("en"), line, said)

    def reason_in(self, lang: Lang) -> str:
        return self.said.render(lang) if self.said is not None and lang != "en" else self.reason


Message = tuple[str, Mapping[str, object]] | Sayable


class DomainError(Exception):
    """`message`: the detail for readers of another language, as a `Said` or as a `matching.messages`
    id and its fields (string fields read as TERMS); `detail` is its English text."""

    def __init__(self, detail: str, problems: list[Problem] | None = None, message: Message | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        self.message = message

    @classmethod
    def said(cls, said: Said, problems: list[Problem] | None = None) -> Self:
        return cls(said.render("en"), problems, said)


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
        reason = first.said if first.said is not None else first.reason
        return cls(f"{first.field}: {first.reason}{more}", problems,
                   message=("error.invalid", {"field": first.field, "reason": reason, "more": len(problems) - 1}))


def localised(lang: Lang, detail: str, message: Message | None) -> str:
    """A detail in the reader's language; English (or a detail with no message) as it is."""
    if lang == "en" or message is None:
        return detail
    if not isinstance(message, tuple):
        return message.render(lang)
    message_id, fields = message
    values = {k: v.render(lang) if hasattr(v, "render") else term(lang, v) if isinstance(v, str) else v
              for k, v in fields.items()}
    if message_id == "error.invalid":
        more = int(str(fields.get("more", 0) or 0))
        text = render(lang, "error.field", field=fields["field"], reason=values["reason"])
        return text + (render(lang, "error.more", count=more) if more else "")
    return render(lang, message_id, **values)

