"""pydantic's validation errors as reasons a person reads: pydantic's English, or ours in Chinese.

The Chinese comes from the catalogue by the error's type (`pydantic.<type>`), with the error's context
as fields. Two types carry English text of their own in the context: `value_error` (our validators'
messages, found by their English in the catalogue's `value.*` ids) and `json_invalid` (the JSON
parser's message, whose few phrases are translated and whose line and column are kept).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matching.messages import CATALOGUE, Lang, render
from matching.saying import said_of

# Our validators' messages (the `value.*` ids) by their English, which is what pydantic keeps.
VALUE_ERRORS = {texts["en"]: message_id for message_id, texts in CATALOGUE.items() if message_id.startswith("value.")}

# serde_json's messages (pydantic's JSON parser) → catalogue id; "at line L column C" is kept apart.
_JSON_AT = re.compile(r"^(?P<what>.*?) at line (?P<line>\d+) column (?P<column>\d+)$")
JSON_SYNTAX = {
    "EOF while parsing": "json.eof",
    "expected value": "json.expected_value",
    "expected `,` or `}`": "json.expected_comma",
    "expected `,` or `]`": "json.expected_comma",
    "expected `:`": "json.expected_colon",
    "key must be a string": "json.key_string",
    "trailing characters": "json.trailing",
    "trailing comma": "json.trailing_comma",
    "invalid escape": "json.invalid_escape",
    "invalid number": "json.invalid_number",
    "control character": "json.control_character",
    "invalid unicode code point": "json.invalid_unicode",
    "lone leading surrogate": "json.invalid_unicode",
}


@dataclass(frozen=True, slots=True)
class PydanticReason:
    """One pydantic error's reason; renders in a language like `matching.saying.Said`."""

    kind: str
    english: str
    context: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, err: Mapping[str, Any]) -> "PydanticReason":
        return cls(str(err.get("type", "")), str(err.get("msg", "invalid")), tuple((err.get("ctx") or {}).items()))

    def render(self, lang: Lang) -> str:
        if lang == "en":
            return self.english
        ctx = dict(self.context)
        if self.kind == "value_error" and "error" in ctx:
            return _value_error(lang, ctx["error"])
        if self.kind == "json_invalid":
            return render(lang, "pydantic.json_invalid", error=json_syntax(lang, str(ctx.get("error", ""))))
        if "expected" in ctx:
            ctx["expected"] = _alternatives(lang, str(ctx["expected"]))
        message_id = f"pydantic.{self.kind}"
        if message_id in CATALOGUE:
            try:
                return render(lang, message_id, **ctx)
            except (KeyError, IndexError, ValueError):
                pass
        return render(lang, "pydantic.other", type=self.kind)

    def __str__(self) -> str:
        return self.english


def _value_error(lang: Lang, error: object) -> str:
    if isinstance(error, BaseException) and getattr(error, "said", None) is not None:
        return said_of(error).render(lang)
    message_id = VALUE_ERRORS.get(str(error))
    return render(lang, message_id) if message_id else render(lang, "pydantic.other", type="value_error")


def _alternatives(lang: Lang, expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" → "'a'、'b'、'c'" for a Chinese sentence."""
    return expected.replace(" or ", "、").replace(", ", "、") if lang == "zh" else expected


def json_syntax(lang: Lang, message: str) -> str:
    """The JSON parser's message, e.g. "EOF while parsing a value at line 1 column 28", in the language."""
    if lang == "en":
        return message
    match = _JSON_AT.match(message)
    what = match["what"] if match else message
    message_id = next((mid for phrase, mid in JSON_SYNTAX.items() if what.startswith(phrase)), "json.other")
    text = render(lang, message_id)
    return render(lang, "json.at", what=text, line=match["line"], column=match["column"]) if match else text


# Python's json and csv modules' messages (line imports), by how they start.
PHRASES: dict[str, dict[str, str]] = {
    "json": {"Expecting value": "json.expected_value", "Expecting property name": "json.key_string",
             "Expecting ',' delimiter": "json.expected_comma", "Expecting ':' delimiter": "json.expected_colon",
             "Unterminated string": "json.unterminated", "Invalid control character": "json.control_character",
             "Extra data": "json.trailing", "Invalid \\escape": "json.invalid_escape",
             "Invalid \\uXXXX escape": "json.invalid_escape"},
    "csv": {"unexpected end of data": "csv.eof", "new-line character seen in unquoted field": "csv.newline",
            "field larger than field limit": "csv.too_large", "',' expected after '\"'": "csv.quote",
            "line contains NUL": "csv.nul"},
}


@dataclass(frozen=True, slots=True)
class Phrase:
    """A parser's message (`kind`: json or csv) as it is in English, translated by how it starts."""

    kind: str
    text: str

    def render(self, lang: Lang) -> str:
        if lang == "en":
            return self.text
        table = PHRASES[self.kind]
        message_id = next((mid for start, mid in table.items() if self.text.startswith(start)), "json.other")
        return render(lang, message_id)
