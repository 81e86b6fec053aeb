"""The text a unit is embedded as. One function for both sides, so the two meet in one space."""

import hashlib
from collections.abc import Callable, Iterable

# code -> (English name, Chinese name); kept as a callable so this package needs no catalogue type
CodeNames = Callable[[str], tuple[str, str] | None]


def unit_text(
    name: str,
    codes: Iterable[str] = (),
    description: str | None = None,
    level: str | None = None,
    code_names: CodeNames | None = None,
    industry: str | None = None,
) -> str:
    """Name, the catalogue's English and Chinese names for its codes, level, industry, description.

    The catalogue names make "Dyeing technicians (480405)" and "Digital Dyeing and Finishing
    Technology" share words even when a gap's own wording is vague; the enterprise's industry gives
    a post like "Workers for our new line" something to match on.
    """
    parts = [name.strip()]
    for code in codes:
        names = code_names(code) if code_names else None
        if names:
            english, chinese = names
            if english.casefold() != name.strip().casefold():
                parts.append(english)
            parts.append(chinese)
    if level:
        parts.append(f"{level.replace('_', ' ')} level")
    if industry and industry.strip():
        parts.append(f"{industry.strip()} industry")
    text = ". ".join(p for p in parts if p)
    if description and description.strip():
        text = f"{text}. {description.strip()}"
    return text


def text_key(model: str, text: str) -> str:
    """Identifies a vector: the same text under the same model needs no new encoding."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()
