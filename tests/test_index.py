"""embeddings.index.VectorIndex against brute force: exact search, filters, updates, approximate indexes, files."""

from pathlib import Path

import numpy as np
import pytest

from embeddings.index import EXACT, FEW_QUERIES, SMALL_SET, Hits, VectorIndex

DIM = 32
N = 6000  # more than SMALL_SET, so a large filter goes through FAISS' selector
TIE = 1e-5  # similarities closer than this may come in either order


def unit_rows(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.standard_normal((n, dim))
    out: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ids (sparse, not in storage order), their vectors, and queries."""
    rng = np.random.default_rng(20240611)
    ids = rng.permutation(np.arange(N, dtype=np.int64) * 7 + 3)
    return ids, unit_rows(rng, N), unit_rows(rng, 40)


@pytest.fixture(scope="module")
def flat(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> VectorIndex:
    ids, vectors, _ = data
    return VectorIndex(DIM).build(ids, vectors)


def brute_force(ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int,
                allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Independent reference: NumPy products and a stable argsort, over the allowed ids only."""
    if allowed is not None:
        keep = np.isin(ids, allowed)
        ids, vectors = ids[keep], vectors[keep]
    sims = queries.astype(np.float64) @ vectors.astype(np.float64).T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return ids[order], np.take_along_axis(sims, order, axis=1)


def assert_same_ranking(hits: Hits, ref_ids: np.ndarray, ref_sims: np.ndarray, sim_of: dict[int, np.ndarray],
                        queries: np.ndarray) -> None:
    """Same ids in the same order, except that near-equal similarities may swap."""
    k = ref_ids.shape[1]
    assert hits.ids.shape[1] >= k
    np.testing.assert_allclose(hits.sims[:, :k], ref_sims, atol=TIE)
    for row in range(len(queries)):
        got, want = hits.ids[row, :k], ref_ids[row]
        assert len(set(got.tolist())) == k, f"row {row}: duplicate ids {got}"
        for pos in np.flatnonzero(got != want):
            # a swap is fine only when the two units are tied for this query
            a = float(queries[row] @ sim_of[int(got[pos])])
            b = float(queries[row] @ sim_of[int(want[pos])])
            assert abs(a - b) < TIE, f"row {row} rank {pos}: got {got[pos]} ({a}), expected {want[pos]} ({b})"


def vectors_by_id(ids: np.ndarray, vectors: np.ndarray) -> dict[int, np.ndarray]:
    return {int(i): v for i, v in zip(ids, vectors, strict=True)}


def recall(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.mean([len(set(g.tolist()) & set(w.tolist())) / len(w) for g, w in zip(got, want, strict=True)]))


# --- exact search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [None, 0.01, 0.3, 0.9])
def test_flat_search_equals_brute_force(flat: VectorIndex, data: tuple[np.ndarray, np.ndarray, np.ndarray],
                                        share: float | None) -> None:
    ids, vectors, queries = data
    allowed = None
    if share is not None:
        rng = np.random.default_rng(int(share * 1000))
        allowed = rng.choice(ids, size=int(len(ids) * share), replace=False)
    if share == 0.9:
        assert allowed is not None and len(allowed) > SMALL_SET  # through the FAISS selector, not NumPy
    sim_of = vectors_by_id(ids, vectors)
    for k in (1, 10, 50):
        ref_ids, ref_sims = brute_force(ids, vectors, queries, k, allowed)
        fast = flat.search(queries, k, allowed)
        exact = flat.search_exact(queries, k, allowed)
        assert_same_ranking(fast, ref_ids, ref_sims, sim_of, queries)
        assert_same_ranking(exact, ref_ids, ref_sims, sim_of, queries)
        if allowed is not None:
            assert set(fast.ids.ravel().tolist()) <= set(allowed.tolist())


@pytest.mark.parametrize("n_queries", [1, FEW_QUERIES, FEW_QUERIES + 1, 9])
@pytest.mark.parametrize("share", [0.01, 0.5])
def test_similarities_equal_brute_force(data: tuple[np.ndarray, np.ndarray, np.ndarray], n_queries: int,
                                        share: float) -> None:
    """In place for a few queries, by copied rows or the whole matrix for more: the same products,
    in the order asked (including repeats), after updates moved units to new slots."""
    ids, vectors, queries = data
    index = VectorIndex(DIM).build(ids, vectors)
    rng = np.random.default_rng(n_queries)
    moved = ids[:200]
    new_rows = unit_rows(rng, len(moved))
    index.upsert(moved, new_rows)
    by_id = dict(zip(ids.tolist(), vectors, strict=True)) | dict(zip(moved.tolist(), new_rows, strict=True))
    asked = rng.choice(ids, int(share * N))
    asked = np.concatenate([asked, asked[:3]])
    want = queries[:n_queries].astype(np.float64) @ np.stack([by_id[int(u)] for u in asked]).astype(np.float64).T
    got = index.similarities(queries[:n_queries], asked)
    assert got.shape == (n_queries, len(asked)) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert index.similarities(queries[:n_queries], np.zeros(0, np.int64)).shape == (n_queries, 0)


def test_filter_smaller_than_k_pads_with_minus_one(flat: VectorIndex,
                                                   data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, _, queries = data
    allowed = np.concatenate([ids[:3], [10**9]])  # an id the index does not hold is simply not found
    for hits in (flat.search(queries, 5, allowed), flat.search_exact(queries, 5, allowed)):
        assert (hits.ids[:, 3:] == -1).all() and (hits.sims[:, 3:] == 0).all()
        assert all(set(row[:3].tolist()) == set(ids[:3].tolist()) for row in hits.ids)


def test_flat_large_filter_with_few_allowed_ids_pads(flat: VectorIndex,
                                                      data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """More than SMALL_SET allowed ids, almost all unknown: the FAISS path must pad too."""
    ids, vectors, queries = data
    allowed = np.concatenate([ids[:5], np.arange(10**8, 10**8 + SMALL_SET + 10)])
    hits = flat.search(queries, 8, allowed)
    ref_ids, ref_sims = brute_force(ids, vectors, queries, 5, ids[:5])
    assert_same_ranking(hits, ref_ids, ref_sims, vectors_by_id(ids, vectors), queries)
    assert (hits.ids[:, 5:] == -1).all()


def test_ties_are_broken_by_unit_id_in_search_exact() -> None:
    index = VectorIndex(4)
    v = np.array([[1, 0, 0, 0]], np.float32)
    index.build(np.array([30, 10, 20]), np.repeat(v, 3, axis=0))
    assert index.search_exact(v, 3).ids.tolist() == [[10, 20, 30]]


# --- changes ---------------------------------------------------------------------------------------


def test_upsert_replaces_remove_forgets_compact_keeps(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, vectors, queries = data
    rng = np.random.default_rng(5)
    index = VectorIndex(DIM).build(ids, vectors)
    current = vectors_by_id(ids, vectors)

    # upsert: the changed units' old vectors are never found again, their new ones are
    changed = ids[:50]
    old = np.stack([current[int(i)] for i in changed])
    new = unit_rows(rng, len(changed))
    index.upsert(changed.tolist(), new)
    current.update(vectors_by_id(changed, new))
    assert len(index) == N and index.ntotal == N + len(changed)
    for allowed in (None, changed, ids):  # unfiltered, NumPy path, FAISS selector path
        hits = index.search(old, 5, allowed)
        for row, unit_id in enumerate(changed.tolist()):
            for pos, found in enumerate(hits.ids[row].tolist()):
                assert abs(float(hits.sims[row, pos]) - float(old[row] @ current[found])) < TIE
            if unit_id in hits.ids[row]:
                assert hits.sims[row][hits.ids[row] == unit_id][0] < 0.99  # not the old vector
        top = index.search(new, 1, allowed)
        assert top.ids[:, 0].tolist() == changed.tolist()
        np.testing.assert_allclose(top.sims[:, 0], 1.0, atol=1e-5)
    np.testing.assert_array_equal(index.vectors_of(changed), new)

    # remove: gone from every search, filtered or not
    removed = ids[50:350]
    index.remove(removed.tolist())
    for unit_id in removed.tolist():
        current.pop(unit_id)
    assert len(index) == N - len(removed) and all(int(u) not in index for u in removed)
    gone = set(removed.tolist())
    removed_vectors = vectors[50:350]
    for allowed in (None, removed, np.concatenate([removed, ids[:10]]), ids):
        for hits in (index.search(removed_vectors, 20, allowed), index.search_exact(removed_vectors, 20, allowed)):
            assert not gone & set(hits.ids.ravel().tolist())
    alive = np.array(sorted(current), dtype=np.int64)
    alive_vectors = np.stack([current[int(u)] for u in alive])
    ref_ids, ref_sims = brute_force(alive, alive_vectors, queries, 20)
    assert_same_ranking(index.search(queries, 20), ref_ids, ref_sims, current, queries)
    np.testing.assert_array_equal(index.unit_ids(), alive)

    # compact: dead slots reclaimed, results unchanged
    before = index.search(queries, 20)
    assert index.dead_fraction > 0
    index.compact()
    assert index.ntotal == len(index) == len(alive) and index.dead_fraction == 0
    after = index.search(queries, 20)
    np.testing.assert_array_equal(after.ids, before.ids)
    np.testing.assert_allclose(after.sims, before.sims, atol=1e-6)
    assert_same_ranking(after, ref_ids, ref_sims, current, queries)


def test_upsert_twice_in_one_batch_is_rejected() -> None:
    index = VectorIndex(DIM)
    rows = unit_rows(np.random.default_rng(1), 2)
    with pytest.raises(ValueError):
        index.upsert([4, 4], rows)


def test_remove_unknown_ids_is_a_no_op() -> None:
    index = VectorIndex(DIM).build(np.array([1, 2]), unit_rows(np.random.default_rng(2), 2))
    index.remove([3, 99])
    assert len(index) == 2 and index.ntotal == 2


def test_empty_index_finds_nothing() -> None:
    index = VectorIndex(DIM)
    q = unit_rows(np.random.default_rng(3), 2)
    for hits in (index.search(q, 4), index.search(q, 4, np.array([1, 2])), index.search_exact(q, 4)):
        assert (hits.ids == -1).all() and hits.ids.shape == (2, 4)
    index.build(np.array([7]), q[:1])
    index.remove([7])
    assert (index.search(q, 3).ids == -1).all()


# --- approximate indexes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "nprobe"), [("IVF64,Flat", 32), ("HNSW16", 32)])
def test_approximate_recall(data: tuple[np.ndarray, np.ndarray, np.ndarray], factory: str, nprobe: int) -> None:
    ids, vectors, queries = data
    n = 3000
    ids, vectors = ids[:n], vectors[:n]
    index = VectorIndex(DIM, factory, nprobe).build(ids, vectors)
    assert index.in_use == factory and not index.exact
    ref_ids, _ = brute_force(ids, vectors, queries, 10)
    hits = index.search(queries, 10)
    assert recall(hits.ids, ref_ids) >= 0.9
    # similarities reported are the true ones of the ids reported
    sim_of = vectors_by_id(ids, vectors)
    for row in range(len(queries)):
        for pos, unit_id in enumerate(hits.ids[row].tolist()):
            assert abs(float(hits.sims[row, pos]) - float(queries[row] @ sim_of[unit_id])) < 1e-4

    # a filter is honoured (NumPy path and selector path), and removed units never come back
    rng = np.random.default_rng(11)
    removed = rng.choice(ids, 300, replace=False)
    index.remove(removed.tolist())
    alive = ids[~np.isin(ids, removed)]
    alive_vectors = vectors[~np.isin(ids, removed)]
    ref_ids, _ = brute_force(alive, alive_vectors, queries, 10)
    hits = index.search(queries, 10)
    assert not set(removed.tolist()) & set(hits.ids.ravel().tolist())
    assert recall(hits.ids, ref_ids) >= 0.9
    for share in (0.05, 0.9):
        allowed = rng.choice(ids, int(n * share), replace=False)
        hits = index.search(queries, 10, allowed)
        found = set(hits.ids.ravel().tolist()) - {-1}
        assert found <= set(allowed.tolist()) - set(removed.tolist())
        allowed_alive = allowed[~np.isin(allowed, removed)]
        ref_ids, _ = brute_force(alive, alive_vectors, queries, 10, allowed_alive)
        assert recall(hits.ids, ref_ids) >= 0.9


@pytest.mark.parametrize("factory", ["IVF64,Flat", "IVF256,Flat"])
def test_too_few_vectors_to_train_falls_back_to_exact(factory: str) -> None:
    rng = np.random.default_rng(4)
    ids, vectors, queries = np.arange(1, 41), unit_rows(rng, 40), unit_rows(rng, 5)
    index = VectorIndex(DIM, factory).build(ids, vectors)
    assert index.in_use == EXACT and index.exact
    ref_ids, ref_sims = brute_force(ids, vectors, queries, 10)
    assert_same_ranking(index.search(queries, 10), ref_ids, ref_sims, vectors_by_id(ids, vectors), queries)


# --- files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [EXACT, "IVF64,Flat", "HNSW16"])
def test_save_load_round_trip(tmp_path: Path, data: tuple[np.ndarray, np.ndarray, np.ndarray], factory: str) -> None:
    ids, vectors, queries = data
    ids, vectors = ids[:3000], vectors[:3000]
    index = VectorIndex(DIM, factory).build(ids, vectors)
    index.remove(ids[:100].tolist())  # dead slots are saved as such
    index.upsert(ids[100:110].tolist(), vectors[:10])
    path = str(tmp_path / "side")
    index.save(path)

    loaded = VectorIndex(DIM, factory)
    loaded.load(path)
    live = index.unit_ids()
    loaded.fill_vectors(live, index.vectors_of(live))
    assert loaded.in_use == index.in_use
    np.testing.assert_array_equal(loaded.unit_ids(), live)
    assert len(loaded) == len(index) and loaded.ntotal == index.ntotal
    for allowed in (None, ids[::50], ids[100:]):
        a, b = index.search(queries, 10, allowed), loaded.search(queries, 10, allowed)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.sims, b.sims, atol=1e-6)
    np.testing.assert_allclose(loaded.similarities(queries, live[:50]), index.similarities(queries, live[:50]))


def test_save_load_of_a_fallback_exact_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    ids, vectors, queries = np.arange(10, 30), unit_rows(rng, 20), unit_rows(rng, 3)
    index = VectorIndex(DIM, "IVF64,Flat").build(ids, vectors)
    index.save(str(tmp_path / "x"))
    loaded = VectorIndex(DIM, "IVF64,Flat")
    loaded.load(str(tmp_path / "x"))
    loaded.fill_vectors(ids, vectors)
    assert loaded.in_use == EXACT
    np.testing.assert_array_equal(loaded.search(queries, 5).ids, index.search(queries, 5).ids)


def test_load_with_another_dimension_is_a_value_error(tmp_path: Path) -> None:
    index = VectorIndex(DIM).build(np.array([1, 2]), unit_rows(np.random.default_rng(8), 2))
    index.save(str(tmp_path / "x"))
    with pytest.raises(ValueError):
        VectorIndex(DIM * 2).load(str(tmp_path / "x"))


# --- bad input ---------------------------------------------------------------------------------------


def test_wrong_dimension_or_shape_raises_value_error(flat: VectorIndex) -> None:
    rng = np.random.default_rng(9)
    index = VectorIndex(DIM)
    with pytest.raises(ValueError, match="dimension"):
        index.build(np.array([1, 2]), unit_rows(rng, 2, DIM + 1))
    with pytest.raises(ValueError):
        index.build(np.array([1, 2, 3]), unit_rows(rng, 2))  # 3 ids, 2 vectors
    index.build(np.array([1, 2]), unit_rows(rng, 2))
    with pytest.raises(ValueError, match="dimension"):
        index.upsert([3], unit_rows(rng, 1, DIM - 1))
    for bad in (unit_rows(rng, 1, DIM + 1), np.ones(DIM, np.float32), np.ones((1, 1, DIM), np.float32)):
        with pytest.raises(ValueError):
            flat.search(bad, 3)
        with pytest.raises(ValueError):
            flat.search_exact(bad, 3)
        with pytest.raises(ValueError):
            flat.similarities(bad, [int(flat.unit_ids()[0])])
    assert len(index) == 2  # a rejected upsert changes nothing
