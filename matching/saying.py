"""A sentence kept as a message id and its fields until the reader's language is known.

The domain decides what is wrong long before the service knows who reads it, so a problem carries
`Said` (id + fields) next to its English text; the error handlers render it once more for a Chinese
reader. Field values may themselves be `Said` (a reason inside a detail) or `Term` (a word of the
catalogue's TERMS, such as a side's label); anything else is shown as it is, in both languages.
"""

from dataclasses import dataclass
from typing import Protocol

from matching.messages import Lang, render, term


class Sayable(Protocol):
    def render(self, lang: Lang) -> str: ...


@dataclass(frozen=True, slots=True)
class Term:
    """A word that is translated (`college` → 院校); its English is the word itself."""

    word: str

    def render(self, lang: Lang) -> str:
        return self.word if lang == "en" else term(lang, self.word)


@dataclass(frozen=True, slots=True)
class Said:
    message_id: str
    fields: tuple[tuple[str, object], ...] = ()

    def render(self, lang: Lang) -> str:
        values = {name: value.render(lang) if _sayable(value) else value  # type: ignore[attr-defined]
                  for name, value in self.fields}
        return render(lang, self.message_id, **values)

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True, slots=True)
class Verbatim:
    """Text with no message id (an exception from elsewhere): the same in every language."""

    text: str

    def render(self, lang: Lang) -> str:
        return self.text


def _sayable(value: object) -> bool:
    return callable(getattr(value, "render", None)) and not isinstance(value, str)


def say(message_id: str, **fields: object) -> Said:
    return Said(message_id, tuple(fields.items()))


def said_of(exc: BaseException) -> Sayable:
    """What an exception says: its `said` when it has one, else its text as it is."""
    said: Sayable | None = getattr(exc, "said", None)
    return said if said is not None else Verbatim(str(exc))



@dataclass(frozen=True, slots=True)
class Alternatives:
    """'a', 'b' or 'c' / 'a'、'b' 或 'c' (`quote`: each in single quotes, as a value the reader typed)."""

    choices: tuple[str, ...]
    quote: bool = True

    def render(self, lang: Lang) -> str:
        shown = [f"'{c}'" if self.quote else c for c in self.choices]
        if len(shown) < 2:
            return "".join(shown)
        last = " 或 " if lang == "zh" else " or "
        return ("、" if lang == "zh" else ", ").join(shown[:-1]) + last + shown[-1]


@dataclass(frozen=True, slots=True)
class Series:
    """a, b, c / a、b、c: names listed (columns, codes), shown as they are."""

    items: tuple[str, ...]

    def render(self, lang: Lang) -> str:
        return ("、" if lang == "zh" else ", ").join(self.items)


NOTHING = Verbatim("")
