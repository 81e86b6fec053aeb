"""How long jobs report progress without knowing who shows it (a rich bar in the CLI, nothing in the API)."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Progress = Callable[[int], None]  # called with how many items were just done
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]  # (description, total) -> advance


def no_progress(description: str, total: int) -> AbstractContextManager[Progress]:
    return nullcontext(lambda n: None)
