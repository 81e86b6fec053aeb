"""API keys: created once (the secret is shown once), stored as a hash, revoked, never edited."""

import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import InvalidInput, NotFound, Problem
from matching.models import ApiKey, College, Enterprise, utcnow
from matching.saying import Term, say
from matching.vocab import Role

KEY_PREFIX = "mk_"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    role: Role,
    *,
    college_id: int | None = None,
    enterprise_id: int | None = None,
    name: str | None = None,
) -> tuple[ApiKey, str]:
    _check_binding(session, role, college_id, enterprise_id)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=str(role),
        key_hash=hash_key(secret),
        prefix=secret[:10],
        college_id=college_id,
        enterprise_id=enterprise_id,
    )
    session.add(key)
    session.commit()
    return key, secret


def verify(session: Session, secret: str) -> ApiKey | None:
    """The active key with this secret, or None."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    return key if key is not None and key.revoked_at is None else None


def revoke(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound.missing("API key", key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.commit()
    return key


def list_keys(session: Session, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def ensure_admin_key(session: Session, path: Path) -> str | None:
    """Create and save an admin key unless `path` already holds an active one.

    Returns the new secret, or None when the saved key still works.
    """
    if path.exists():
        saved = path.read_text(encoding="utf-8").strip()
        key = verify(session, saved)
        if key is not None and key.role == Role.ADMIN:
            return None
    _, secret = create_key(session, Role.ADMIN, name="local admin (created on first run)")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only from the first byte: the file is a credential.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    return secret


def _check_binding(
    session: Session, role: Role, college_id: int | None, enterprise_id: int | None
) -> None:
    problems: list[Problem] = []
    wanted = {Role.COLLEGE: "college_id", Role.ENTERPRISE: "enterprise_id"}.get(role)
    for field, value, model in (
        ("college_id", college_id, College),
        ("enterprise_id", enterprise_id, Enterprise),
    ):
        if field == wanted and value is None:
            problems.append(Problem.of(field, say("problem.key_unbound", role=Term(str(role)),
                                                  label=Term(model.__tablename__[:-1]))))
        elif field != wanted and value is not None:
            problems.append(Problem.of(field, say("problem.key_cannot_bind", role=Term(str(role)),
                                                  label=Term(field[:-3]))))
        elif value is not None and session.get(model, value) is None:
            problems.append(Problem.of(field, say("problem.missing", label=Term(field[:-3]), id=value)))
    if problems:
        raise InvalidInput.of(problems)
