"""A FAISS index over unit vectors, keyed by unit id, that takes updates and deletes in place.

FAISS stores vectors in *slots* (the order they were added). A unit that changes or goes away
leaves a dead slot that searches skip, so every index type (flat, IVF, HNSW) takes updates the
same way, including those that cannot remove vectors; `compact` reclaims the slots. The raw vectors
are kept beside FAISS: exact scoring of candidates and small filtered searches read them directly.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from embeddings.files import write_atomic

_faiss: Any = faiss  # its stubs lag the library (no SearchParametersHNSW, IVF keyword arguments)
EXACT = "Flat"
# A search whose allowed set is this small is done exactly in NumPy: FAISS would scan everything.
SMALL_SET = 4096
# Single queries are latency-bound: FAISS' OpenMP threads cost more than they give (2-3x slower
# with 2 threads here), and below this many queries FAISS skips BLAS unless told otherwise.
BLAS_THRESHOLD = 1
# Up to this many queries, similarities to chosen units are computed in place (`_inner_products_at`);
# with more (a college's ~9 specialties) a BLAS product over the copied rows is as fast.
FEW_QUERIES = 4
_threads = 1  # set by configure_threads; applied in every searching thread


def configure_threads(threads: int) -> None:
    """For the serving path. OpenBLAS with 2 threads took 12 ms for a 2 × 384 by 384 × 2,000 product
    here, against 0.5 ms with 1: small products only pay for the threads' hand-off."""
    global _threads
    _threads = threads
    faiss.omp_set_num_threads(threads)
    faiss.cvar.distance_compute_blas_threshold = BLAS_THRESHOLD
    threadpool_limits(limits=threads, user_api="blas")


@dataclass
class Hits:
    """Per query row: unit ids (-1 where fewer were found) and their cosine similarities."""

    ids: np.ndarray
    sims: np.ndarray


class VectorIndex:
    def __init__(self, dimension: int, factory: str = EXACT, nprobe: int = 16) -> None:
        self.dimension = dimension
        self.factory = factory or EXACT
        self.nprobe = nprobe
        self.in_use = self.factory  # EXACT when too few vectors came to train an approximate index
        self._index: faiss.Index | None = None
        self._size = 0  # slots in use; the buffers below grow geometrically, so a write copies nothing
        self._vector_buf = np.empty((0, dimension), np.float32)
        self._slot_unit_buf = np.empty(0, np.int64)  # -1 for a dead slot
        self._slot_of: dict[int, int] = {}
        self._slot_by_id = np.empty(0, np.int64)  # unit id → slot, -1: the same map, for NumPy lookups
        self._live_bitmap: np.ndarray | None = None

    @property
    def _vectors(self) -> np.ndarray:
        return self._vector_buf[:self._size]

    @property
    def _slot_unit(self) -> np.ndarray:
        return self._slot_unit_buf[:self._size]

    # --- building and changing -------------------------------------------------------------

    @property
    def exact(self) -> bool:
        return self.in_use == EXACT

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._slot_of

    @property
    def ntotal(self) -> int:
        return self._size

    def unit_ids(self) -> np.ndarray:
        return np.array(sorted(self._slot_of), dtype=np.int64)

    def build(self, ids: np.ndarray, vectors: np.ndarray) -> "VectorIndex":
        """Replace the whole contents (training an approximate index on these vectors)."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = self._check(vectors, len(ids))
        self._index = None
        self._size = 0
        self._vector_buf = np.empty((0, self.dimension), np.float32)
        self._slot_unit_buf = np.empty(0, np.int64)
        self._slot_of = {}
        self._slot_by_id = np.empty(0, np.int64)
        self._append(ids, vectors)
        return self

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        vectors = self._check(vectors, len(ids))
        self.remove(int(i) for i in ids)
        self._append(ids, vectors)

    def remove(self, ids: Iterable[int]) -> None:
        for unit_id in ids:
            slot = self._slot_of.pop(int(unit_id), None)
            if slot is not None:
                self._slot_unit_buf[slot] = -1
                self._slot_by_id[int(unit_id)] = -1
                self._live_bitmap = None

    @property
    def dead_fraction(self) -> float:
        return 1 - len(self._slot_of) / self.ntotal if self.ntotal else 0.0

    def compact(self) -> None:
        ids = self.unit_ids()
        self.build(ids, self.vectors_of(ids))

    def vectors_of(self, ids: Iterable[int]) -> np.ndarray:
        out: np.ndarray = self._vectors[self.slots_of(ids)]
        return out

    def slots_of(self, ids: Iterable[int]) -> np.ndarray:
        """The slots of live units; KeyError for an id that is not in the index."""
        wanted = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        slots = self._lookup(wanted)
        if (slots < 0).any():
            raise KeyError(int(wanted[np.flatnonzero(slots < 0)[0]]))
        return slots

    def live_mask(self, ids: np.ndarray) -> np.ndarray:
        """Which of `ids` are in the index."""
        return self._lookup(np.asarray(ids, dtype=np.int64)) >= 0

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        inside = (ids >= 0) & (ids < len(self._slot_by_id))
        if inside.all():
            found: np.ndarray = self._slot_by_id[ids]
            return found
        out = np.full(len(ids), -1, np.int64)
        out[inside] = self._slot_by_id[ids[inside]]
        return out

    # --- searching ---------------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        """The k most similar live units per query, among `allowed` unit ids when given."""
        queries = self._check(queries, None)
        k = max(1, k)
        # OpenMP's thread count is per calling thread, and requests run on a pool of them.
        faiss.omp_set_num_threads(_threads)
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if len(allowed) <= SMALL_SET:
                return self.search_exact(queries, k, allowed)
            mask = np.zeros(self.ntotal, dtype=bool)
            mask[self.slots_of(allowed[self.live_mask(allowed)])] = True
            selector_bits = np.packbits(mask, bitorder="little")
        elif len(self._slot_of) < self.ntotal:
            selector_bits = self._live_bits()
        else:
            selector_bits = None
        if self.ntotal == 0 or self._index is None:
            return Hits(np.full((len(queries), k), -1, np.int64), np.zeros((len(queries), k), np.float32))
        params = self._params(selector_bits)
        sims, slots_found = self._index.search(queries, k, params=params)
        ids = np.where(slots_found >= 0, self._slot_unit[np.maximum(slots_found, 0)], -1)
        return Hits(ids, np.where(ids >= 0, sims, 0.0).astype(np.float32))

    def search_exact(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        """Brute force over the raw vectors: the reference every fast path is checked against."""
        ids = self.unit_ids() if allowed is None else np.asarray(allowed, dtype=np.int64)[self.live_mask(
            np.asarray(allowed, dtype=np.int64))]
        sims = self.similarities(queries, ids)
        k_found = min(k, len(ids))
        out_ids = np.full((len(queries), k), -1, np.int64)
        out_sims = np.zeros((len(queries), k), np.float32)
        if k_found:
            # ties broken by unit id, so the result does not depend on storage order
            order = np.lexsort((np.broadcast_to(ids, sims.shape), -sims), axis=1)[:, :k_found]
            out_ids[:, :k_found] = ids[order]
            out_sims[:, :k_found] = np.take_along_axis(sims, order, axis=1)
        return Hits(out_ids, out_sims)

    def similarities(self, queries: np.ndarray, ids: Iterable[int]) -> np.ndarray:
        """Cosine similarity of each query with each of the given units (queries × ids)."""
        queries = self._check(queries, None)
        slots = self.slots_of(ids)
        if len(queries) <= FEW_QUERIES:
            return _inner_products_at(queries, self._vector_buf, slots)
        if len(slots) * 4 > self._size:
            # Copying most of the vectors out costs more than multiplying them all where they lie.
            everything: np.ndarray = queries @ self._vectors.T
            return np.ascontiguousarray(everything[:, slots])
        return np.asarray(queries @ self._vectors[slots].T, dtype=np.float32)

    # --- persistence ---------------------------------------------------------------------------

    def save(self, path: str) -> tuple[Path, Path]:
        """Write the FAISS structure and slot map, each whole or not at all (a process killed while
        saving leaves the previous file); raw vectors stay in the database. Returns the two files."""
        if self._index is None:
            self._index = self._new_index(self._vectors)
        index, slots = self._index, self._slot_unit
        structure, slot_map = Path(f"{path}.faiss"), Path(f"{path}.slots.npy")
        write_atomic(structure, lambda tmp: faiss.write_index(index, tmp))
        write_atomic(slot_map, lambda tmp: _save_npy(tmp, slots))
        return structure, slot_map

    def load(self, path: str) -> None:
        """Read a saved FAISS structure; the vectors come from the caller (the database)."""
        index = faiss.read_index(f"{path}.faiss")
        slot_unit = np.load(f"{path}.slots.npy")
        if index.d != self.dimension or index.ntotal != len(slot_unit):
            raise ValueError("saved index does not fit its slot map")
        self._index, self._slot_unit_buf, self._size = index, slot_unit.astype(np.int64), len(slot_unit)
        self.in_use = self.factory if index.ntotal == 0 or not isinstance(index, faiss.IndexFlat) else EXACT
        self._slot_of = {int(u): s for s, u in enumerate(slot_unit.tolist()) if u >= 0}
        self._slot_by_id = np.full(int(slot_unit.max(initial=-1)) + 1, -1, np.int64)
        live = np.flatnonzero(slot_unit >= 0)
        self._slot_by_id[slot_unit[live]] = live
        self._vector_buf = np.zeros((len(slot_unit), self.dimension), np.float32)
        self._live_bitmap = None

    def fill_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """After `load`: put back the raw vectors of the live slots."""
        self._vector_buf[self.slots_of(ids)] = vectors

    # --- internals -----------------------------------------------------------------------------

    def _new_index(self, training: np.ndarray) -> faiss.Index:
        self.in_use = self.factory
        if self.factory != EXACT:
            index = faiss.index_factory(self.dimension, self.factory, faiss.METRIC_INNER_PRODUCT)
            if index.is_trained:
                return index
            try:
                index.train(training)
                return index
            except RuntimeError:
                pass  # fewer vectors than the index needs to train (e.g. IVF cells): stay exact
        self.in_use = EXACT
        return faiss.IndexFlatIP(self.dimension)

    def _append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("duplicate unit ids in one batch")
        start = self.ntotal
        if self._index is None:
            self._index = self._new_index(vectors)
        if (ids < 0).any():
            raise ValueError("unit ids must not be negative")
        self._index.add(vectors)
        end = start + len(ids)
        if end > len(self._slot_unit_buf):
            capacity = max(end, 2 * len(self._slot_unit_buf), 64)
            self._vector_buf = _grown(self._vector_buf, start, capacity)
            self._slot_unit_buf = _grown(self._slot_unit_buf, start, capacity)
        self._vector_buf[start:end] = vectors
        self._slot_unit_buf[start:end] = ids
        self._size = end
        top = int(ids.max()) + 1
        if top > len(self._slot_by_id):
            grown = np.full(max(top, 2 * len(self._slot_by_id)), -1, np.int64)
            grown[:len(self._slot_by_id)] = self._slot_by_id
            self._slot_by_id = grown
        self._slot_by_id[ids] = np.arange(start, end)
        for offset, unit_id in enumerate(ids.tolist()):
            self._slot_of[unit_id] = start + offset
        self._live_bitmap = None

    def _live_bits(self) -> np.ndarray:
        if self._live_bitmap is None:
            self._live_bitmap = np.packbits(self._slot_unit >= 0, bitorder="little")
        return self._live_bitmap

    def _params(self, bits: np.ndarray | None) -> Any:
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)) if bits is not None else None
        params: Any
        if "IVF" in self.in_use:
            params = _faiss.SearchParametersIVF(nprobe=self.nprobe)
        elif "HNSW" in self.in_use:
            params = _faiss.SearchParametersHNSW(efSearch=max(64, self.nprobe * 4))
        elif selector is None:
            return None
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
            params._selector_bits = bits  # keep the buffer alive as long as FAISS can read it
        return params

    def _check(self, vectors: np.ndarray, rows: int | None) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of dimension {self.dimension}, got shape {vectors.shape}")
        if rows is not None and vectors.shape[0] != rows:
            raise ValueError(f"{rows} ids but {vectors.shape[0]} vectors")
        return vectors


def _inner_products_at(queries: np.ndarray, vectors: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """queries × slots inner products, reading each row of `vectors` where it lies. For a few
    queries, copying the rows out first (`vectors[slots]`) costs more than the products: 0.22
    against 0.56 ms for 2.3 queries × 2,750 rows of a 100,000-row matrix (measured here)."""
    out = np.empty((len(queries), len(slots)), np.float32)
    if out.size:
        per_query = np.ascontiguousarray(np.broadcast_to(slots, out.shape), dtype=np.int64)
        _faiss.fvec_inner_products_by_idx(faiss.swig_ptr(out), faiss.swig_ptr(queries), faiss.swig_ptr(vectors),
                                          faiss.swig_ptr(per_query), vectors.shape[1], len(queries), len(slots))
    return out


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would add ".npy" to the temporary name
        np.save(f, array)


def _grown(buffer: np.ndarray, used: int, capacity: int) -> np.ndarray:
    out = np.empty((capacity, *buffer.shape[1:]), buffer.dtype)
    out[:used] = buffer[:used]
    return out
