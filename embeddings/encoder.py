"""An encoder: texts → L2-normalised float32 rows, with a `name` and a `dimension`.

Each backend (embeddings/backends/) is one file with one `load(name, batch_size)` function that
returns an `Encoder`; `BACKENDS` names them. The base class owns what every backend shares:
chunking a long job so progress moves, normalising, and checking the shape a backend returns.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from importlib import import_module

import numpy as np

Progress = Callable[[int], None]

E5 = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
USE = "use-multilingual-v3"
# Chosen on this machine (benchmarks/RESULTS.md, "Embedding models"): the best hit@1 in Chinese, English and
# Russian of the three, and the fastest (2 ms a search text, the sample embedded in 8 s).
DEFAULT_MODEL = USE
# name → "module:function" of its backend, imported only when chosen (each loads a model or an engine)
BACKENDS = {
    E5: "embeddings.backends.e5:load",
    MINILM: "embeddings.backends.minilm:load",
    f"sentence-transformers/{MINILM}": "embeddings.backends.minilm:load",
    USE: "embeddings.backends.use:load",
}


class ModelError(RuntimeError):
    """The configured model cannot be loaded (a name not available offline, a bad path)."""


class Encoder(ABC):
    # How many texts go to the backend at once; a progress bar moves after each chunk.
    chunk_size: int = 1024

    def __init__(self, name: str, dimension: int, batch_size: int = 64) -> None:
        self.name = name
        self.dimension = dimension
        self.batch_size = batch_size
        # Threads for each call, set in the calling thread (OpenMP keeps the count per thread); None
        # leaves the backend's default. The server uses 1: see `set_encode_threads`.
        self.threads: int | None = None

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """One chunk: rows of `dimension` floats, normalised or not."""

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """L2-normalised float32 rows, so inner product is cosine similarity."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.chunk_size):
            batch = list(texts[start:start + self.chunk_size])
            rows = np.asarray(self._encode(batch), dtype=np.float32).reshape(len(batch), -1)
            if rows.shape[1] != self.dimension:
                raise ModelError(f"{self.name} returned vectors of dimension {rows.shape[1]}, not {self.dimension}")
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            out[start:start + len(batch)] = rows / np.maximum(norms, 1e-12)
            if progress:
                progress(len(batch))
        return out


def set_encode_threads(encoder: Encoder, threads: int) -> None:
    """Threads for this encoder's calls. Measured here with the machine busy (MiniLM): one search text
    took 45-65 ms with 1 thread and 300-550 ms with 2, the threads spinning against other work."""
    encoder.threads = threads


def load_encoder(name: str = DEFAULT_MODEL, batch_size: int = 64) -> Encoder:
    """A backend by name, loaded offline. A name no backend claims is taken as a sentence-transformers
    model name or path, which must be available offline."""
    target = BACKENDS.get(name, "embeddings.backends.minilm:load")
    module, function = target.split(":")
    loader: Callable[[str, int], Encoder] = getattr(import_module(module), function)
    return loader(name, batch_size)
