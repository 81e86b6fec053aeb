"""Units to vectors: the text each unit is embedded as, and embedding only what changed."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from embeddings.texts import text_key, unit_text
from matching.bridge import CatalogueBridge
from matching.progress import Progress, ProgressFactory, no_progress
from matching.taxonomy import Catalogue


@dataclass
class Embedder:
    encoder: Encoder
    catalogue: Catalogue

    @property
    def model(self) -> str:
        return self.encoder.name

    def code_names(self, code: str) -> tuple[str, str] | None:
        entry = self.catalogue.get(code)
        return (entry.name_en, entry.name_zh) if entry else None

    @cached_property
    def bridge(self) -> CatalogueBridge:
        return CatalogueBridge(self.catalogue)

    def infer_codes(self, text: str) -> tuple[str, ...]:
        """Catalogue codes for the text of a unit that has none (matching.bridge)."""
        return self.bridge.infer(text)

    def text_of(self, unit: Any) -> str:
        """A Specialty or TalentGap: an ORM object, or a row with the same columns (a gap's row
        also carries its enterprise's `industry`)."""
        if hasattr(unit, "annual_graduates"):
            codes = [unit.code] if unit.code else []
            return unit_text(unit.name, codes, unit.description, None, self.code_names)
        industry = unit.industry if hasattr(unit, "industry") else getattr(unit.enterprise, "industry", None)
        return unit_text(unit.field, unit.codes or [], unit.description, unit.level, self.code_names, industry)

    def encode_texts(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self.encoder.encode(texts, progress)

    def embed(self, units: Sequence[Any], progress: ProgressFactory = no_progress) -> int:
        """Give every unit whose text changed (or that has no vector) a new vector; returns how many."""
        pending = []
        for unit in units:
            text = self.text_of(unit)
            key = text_key(self.model, text)
            if unit.embedding_key != key or unit.embedding is None:
                pending.append((unit, text, key))
        if not pending:
            return 0
        # Catalogue specialties without a description repeat across colleges: encode each text once.
        texts = list(dict.fromkeys(text for _, text, _ in pending))
        with progress("Embedding units", len(texts)) as advance:
            vectors = self.encoder.encode(texts, advance)
        blob = {text: vector.astype("<f4").tobytes() for text, vector in zip(texts, vectors, strict=True)}
        for unit, text, key in pending:
            unit.embedding = blob[text]
            unit.embedding_key = key
        return len(pending)
