"""A pairwise linear ranker with non-negative weights, in scikit-learn's estimator contract.

Why linear and non-negative: every served score must stay a sum of weight × value shown in
`components`, and the retrieval's bound on unseen candidates (matching.suggest.unseen_bound)
assumes no feature lowers a score. The loss is RankNet's pairwise logistic loss over (partner,
non-partner) pairs of the same query, plus an L2 penalty, minimised by L-BFGS-B with bounds w ≥ 0
(scipy); the weights are then normalised to sum to 1, which changes no ranking and keeps scores in
[0, 1] as the hand weights do.
"""

from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data


class PairwiseLinearRanker(BaseEstimator):  # type: ignore[misc]
    """fit(X, y, groups, sample_weight): rows of a query share a group; y > 0 marks a partner (its value its
    weight); `sample_weight` (per row, of a partner row) scales its pairs, e.g. to balance data sets."""

    def __init__(self, alpha: float = 1e-3, max_pairs_per_query: int = 2000, random_state: int = 0) -> None:
        self.alpha = alpha
        self.max_pairs_per_query = max_pairs_per_query
        self.random_state = random_state

    def fit(self, X: Any, y: Any, groups: Any = None, sample_weight: Any = None) -> "PairwiseLinearRanker":
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        groups = np.zeros(len(y), np.int64) if groups is None else np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} rows, X has {len(y)}")
        sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        if len(sw) != len(y) or (sw < 0).any():
            raise ValueError("sample_weight needs one non-negative weight per row")
        rng = np.random.default_rng(self.random_state)
        pos_list, neg_list, weight_list = [], [], []
        for g in np.unique(groups):
            rows = np.flatnonzero(groups == g)
            pos, neg = rows[y[rows] > 0], rows[y[rows] <= 0]
            if not len(pos) or not len(neg):
                continue
            a, b = np.repeat(pos, len(neg)), np.tile(neg, len(pos))
            if len(a) > self.max_pairs_per_query:
                keep = rng.choice(len(a), self.max_pairs_per_query, replace=False)
                a, b = a[keep], b[keep]
            pos_list.append(a)
            neg_list.append(b)
            weight_list.append(y[a] * sw[a] / len(a))  # each query weighs the same, a soft tie less
        n_features = X.shape[1]
        if not pos_list:
            self.coef_ = np.full(n_features, 1.0 / n_features)
            self.n_pairs_ = 0
            return self
        a, b, w = np.concatenate(pos_list), np.concatenate(neg_list), np.concatenate(weight_list)
        if w.sum() <= 0:
            self.coef_ = np.full(n_features, 1.0 / n_features)
            self.n_pairs_ = 0
            return self
        diff = X[a] - X[b]
        w = w / w.sum()
        # A feature that never differs within a pair carries no evidence: the loss is flat in its weight, and
        # L-BFGS-B would leave it wherever it started (1 before normalising), not at 0.
        varies = (diff != 0).any(axis=0)

        def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
            margin = diff @ coef
            value = float(w @ np.logaddexp(0.0, -margin)) + self.alpha * float(coef @ coef)
            grad = -(diff.T @ (w * _sigmoid(-margin))) + 2 * self.alpha * coef
            return value, grad

        result = minimize(loss, np.full(n_features, 1.0), jac=True, method="L-BFGS-B",
                          bounds=[(0.0, None)] * n_features)
        coef = np.where(varies, np.maximum(result.x, 0.0), 0.0)
        total = coef.sum()
        self.coef_ = coef / total if total > 0 else np.full(n_features, 1.0 / n_features)
        self.n_pairs_ = len(a)
        self.converged_ = bool(result.success)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Scores: weight × value summed over the features."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out: np.ndarray = X @ self.coef_
        return out

    def contributions(self, X: Any) -> np.ndarray:
        """Per row and feature: weight × value; rows sum to `predict`."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out: np.ndarray = X * self.coef_
        return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1 + np.tanh(0.5 * x))
    return out
