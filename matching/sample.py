"""The bundled synthetic sample (data/sample/), loaded into an empty database on first run."""

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching import transfer
from matching.models import College, Enterprise
from matching.progress import ProgressFactory, no_progress
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES

SAMPLE_DIR = Path("sample")


def is_empty(session: Session) -> bool:
    return not any(session.scalar(select(func.count()).select_from(m)) for m in (College, Enterprise))


def load_sample(session: Session, ref: Reference, data_dir: Path,
                progress: ProgressFactory = no_progress) -> dict[str, int]:
    """Import both sample files in one transaction; returns how many profiles each side got.

    One transaction, because "load the sample into an *empty* database" is decided once: a first
    start killed between the two sides must not leave colleges that make the next start skip the
    enterprises.
    """
    created = {}
    try:
        for spec in (COLLEGES, ENTERPRISES):
            text = (data_dir / SAMPLE_DIR / f"{spec.side}.jsonl").read_text(encoding="utf-8")
            report = transfer.import_text(session, spec, text, "jsonl", ref, progress=progress, commit=False)
            created[str(spec.side)] = report.created
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return created
