"""Database tables. The database is the source of truth; search indexes are derived from it."""

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite keeps no time zone, so one is put back."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use matching.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UnitVector:
    """A unit's embedding, kept with it: the index is rebuilt from these without re-encoding."""

    # float32, little-endian, L2-normalised
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    # sha256 of the model name and the unit's text: a unit is re-embedded only when it changes
    embedding_key: Mapped[str | None] = mapped_column(String(64))


class ProfileColumns:
    """Columns both sides share."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    province: Mapped[str | None] = mapped_column(String(200), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    description: Mapped[str | None] = mapped_column(Text)
    cooperation_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # sha256 of casefolded "name|city" (matching.prepare.dedup_key): unique, so the duplicate
    # check holds under races too.
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class College(ProfileColumns, Base):
    __tablename__ = "colleges"

    kind: Mapped[str] = mapped_column(String(32))
    specialties: Mapped[list["Specialty"]] = relationship(
        back_populates="college",
        cascade="all, delete-orphan",
        order_by="Specialty.position",
        passive_deletes=True,
    )


class Specialty(UnitVector, Base):
    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(6), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    annual_graduates: Mapped[int] = mapped_column(Integer)

    college: Mapped[College] = relationship(back_populates="specialties")


class Enterprise(ProfileColumns, Base):
    __tablename__ = "enterprises"

    industry: Mapped[str | None] = mapped_column(String(200), index=True)
    size: Mapped[str | None] = mapped_column(String(16))
    preferred_provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    talent_gaps: Mapped[list["TalentGap"]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        order_by="TalentGap.position",
        passive_deletes=True,
    )


class TalentGap(UnitVector, Base):
    __tablename__ = "talent_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    field: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    headcount: Mapped[int] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date | None] = mapped_column(Date)
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    enterprise: Mapped[Enterprise] = relationship(back_populates="talent_gaps")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    # sha256 of the secret: keys are 32 random bytes, so a fast hash is enough (no dictionary to
    # guess from) and lets a request find its key with one indexed lookup.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # A bound key dies with its profile: it must never come to speak for a reused id.
    college_id: Mapped[int | None] = mapped_column(
        ForeignKey("colleges.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IndexVersion(Base):
    """Bumped in every transaction that changes a side's units, so a saved index can tell it is stale."""

    __tablename__ = "index_versions"

    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
