"""Accepted match-list entries turned into partnerships: idempotent, reporting what was created and what
was already on record (the same pair and start date). Entries of one pair (several gaps of one
enterprise placed with one college) make one partnership."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from matching.errors import Conflict
from matching.lists.models import MatchEntry
from matching.models import College, Enterprise
from matching.outcomes import partnerships
from matching.outcomes.models import Partnership
from matching.outcomes.schemas import EntryOutcome, FromEntriesBody, FromEntriesPublic, PartnershipCreate
from matching.saying import Term, say
from matching.vocab import CooperationMode


def from_entries(session: Session, entries: Sequence[MatchEntry], body: FromEntriesBody, who: str) -> FromEntriesPublic:
    """Every entry must be accepted (a 409 names the first that is not); nothing is written then."""
    for entry in entries:
        if entry.status != "accepted":
            raise Conflict.said(say("problem.not_accepted", id=entry.id, status=Term(entry.status)))
    outcomes: list[EntryOutcome] = []
    made: dict[str, tuple[Partnership, str]] = {}
    for entry in entries:
        college, enterprise = session.get(College, entry.college_id), session.get(Enterprise, entry.enterprise_id)
        if college is None or enterprise is None:
            gone = f"college {entry.college_id}" if college is None else f"enterprise {entry.enterprise_id}"
            outcomes.append(EntryOutcome(entry_id=entry.id, partnership=None, status="skipped",
                                         reason=f"{gone} no longer exists"))
            continue
        key = partnerships.pair_key(entry.college_id, entry.enterprise_id, body.start_date)
        if key in made:
            outcomes.append(EntryOutcome(entry_id=entry.id, partnership=None, status="existing",
                                         reason=f"same pair as entry {made[key][1]}"))
            continue
        existing = partnerships.find(session, entry.college_id, entry.enterprise_id, body.start_date)
        if existing is not None:
            made[key] = (existing, str(entry.id))
            outcomes.append(EntryOutcome(entry_id=entry.id, partnership=None, status="existing"))
            continue
        modes = body.modes if body.modes is not None else [
            CooperationMode(m) for m in college.cooperation_modes if m in set(enterprise.cooperation_modes)]
        create = PartnershipCreate(college_id=entry.college_id, enterprise_id=entry.enterprise_id, modes=modes,
                                   start_date=body.start_date, tie=body.tie,
                                   note=body.note or f"match list {entry.list_id}, entry {entry.id}")
        partnership = partnerships.build(create, who)
        session.add(partnership)
        made[key] = (partnership, str(entry.id))
        outcomes.append(EntryOutcome(entry_id=entry.id, partnership=None, status="created"))
    session.commit()  # all of them or, on an error, none
    by_entry = {o.entry_id: o for o in outcomes}
    for entry in entries:
        outcome = by_entry[entry.id]
        if outcome.status != "skipped":
            key = partnerships.pair_key(entry.college_id, entry.enterprise_id, body.start_date)
            outcome.partnership = partnerships.public(made[key][0])
    counts = {s: sum(o.status == s for o in outcomes) for s in ("created", "existing", "skipped")}
    return FromEntriesPublic(created=counts["created"], existing=counts["existing"], skipped=counts["skipped"],
                             entries=outcomes)
