"""Figures in responses carry 4 decimals: what a reader can check, not float noise (issue 13.5).

Values are kept exact inside (ranking, allocation and ties use them); only their JSON form is
rounded. Rounding each contribution on its own could leave their sum up to 4e-4 away from the score
shown, so contributions are rounded together (largest remainder) to add up to the rounded score
exactly; each stays within 1e-4 of its exact value.
"""

import math
from collections.abc import Sequence
from typing import Annotated

from pydantic import PlainSerializer

DIGITS = 4
_UNITS = 10**DIGITS


def shown(value: float) -> float:
    return round(value, DIGITS)


# JSON only: in memory (and in model_dump()), values stay exact for comparisons and ties.
Rounded = Annotated[float, PlainSerializer(shown, return_type=float, when_used="json")]


def parts_of(parts: Sequence[float], total: float) -> list[float]:
    """`parts` rounded to DIGITS so that they add up to `total` rounded to DIGITS.

    Largest remainder: every part is floored to whole units of 1e-4, and the units still missing go
    to the parts that lost most (ties to the earlier part); if the total is below the parts' sum
    (a clamped score), units are taken back from the parts that lost least.
    """
    scaled = [p * _UNITS for p in parts]
    units = [math.floor(s) for s in scaled]
    missing = round(total * _UNITS) - sum(units)
    order = sorted(range(len(parts)), key=lambda i: (-(scaled[i] - units[i]), i))
    if missing < 0:
        order.reverse()
    for k in range(abs(missing)):
        units[order[k % len(order)]] += 1 if missing > 0 else -1
    return [u / _UNITS for u in units]
