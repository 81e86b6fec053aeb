"""The national specialty catalogue the project ships (see data/catalogue/README.md)."""

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    code: str
    name_zh: str
    name_en: str
    class_code: str
    class_name_zh: str
    class_name_en: str
    category_code: str
    category_name_zh: str
    category_name_en: str


class Catalogue:
    """Lookup of 6-digit specialty codes; codes of class (4) and category (2) are their prefixes."""

    def __init__(self, entries: list[CatalogueEntry]) -> None:
        self._by_code = {e.code: e for e in entries}

    @classmethod
    def load(cls, path: Path) -> "Catalogue":
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        fields = CatalogueEntry.__dataclass_fields__
        return cls([CatalogueEntry(**{k: row[k] for k in fields}) for row in rows])

    def get(self, code: str) -> CatalogueEntry | None:
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def search(self, query: str) -> list[CatalogueEntry]:
        """Entries whose code starts with `query`, or whose names contain all its words."""
        text = query.strip().casefold()
        if text.isdigit():
            return [self._by_code[c] for c in self.codes() if c.startswith(text)]
        words = text.split()
        entries = [self._by_code[c] for c in self.codes()]
        return [e for e in entries if all(w in _haystack(e) for w in words)]


def _haystack(entry: CatalogueEntry) -> str:
    return f"{entry.name_en} {entry.name_zh} {entry.class_name_en}".casefold()
