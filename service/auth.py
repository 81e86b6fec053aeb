"""Who is asking (Bearer API keys) and what they may do: the role table in one place.

| role            | colleges                     | enterprises                  | import, keys | export |
|-----------------|------------------------------|------------------------------|--------------|--------|
| admin           | everything                   | everything                   | yes          | yes    |
| program_manager | read all                     | read all                     | no           | yes    |
| college (C)     | read and edit C only         | read all                     | no           | no     |
| enterprise (E)  | read all                     | read and edit E only         | no           | no     |

Creating and deleting profiles is the admin's. A key asking for an object that is not its own
gets 403 whether or not the object exists, so ids cannot be probed.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matching.keys import verify
from matching.sides import SIDES
from matching.vocab import Role, Side
from service.errors import ApiError

CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int
    role: Role
    college_id: int | None = None
    enterprise_id: int | None = None
    name: str | None = None

    def own_id(self, side: Side) -> int | None:
        """The one profile of `side` this key is bound to, if its role binds it to that side."""
        if side == Side.COLLEGES and self.role == Role.COLLEGE:
            return self.college_id
        if side == Side.ENTERPRISES and self.role == Role.ENTERPRISE:
            return self.enterprise_id
        return None

    def bound_to(self, side: Side) -> bool:
        return self.own_id(side) is not None


def authenticate(session: Session, authorization: str | None) -> Principal:
    if not authorization:
        raise ApiError(401, "an API key is required: send 'Authorization: Bearer <key>'", headers=CHALLENGE)
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "use the Bearer scheme: 'Authorization: Bearer <key>'", headers=CHALLENGE)
    key = verify(session, secret.strip())
    if key is None:
        raise ApiError(401, "the API key is unknown or revoked", headers=CHALLENGE)
    return Principal(key.id, Role(key.role), key.college_id, key.enterprise_id, key.name)


def forbid(what: str) -> ApiError:
    return ApiError(403, f"this API key may not {what}")


def require_role(principal: Principal, *roles: Role, what: str) -> None:
    if principal.role not in (Role.ADMIN, *roles):
        raise forbid(what)


def require_read(principal: Principal, side: Side, profile_id: int) -> None:
    own = principal.own_id(side)
    if principal.bound_to(side) and own != profile_id:
        raise forbid(f"read this {SIDES[side].label}")


def require_edit(principal: Principal, side: Side, profile_id: int) -> None:
    if principal.role == Role.ADMIN or principal.own_id(side) == profile_id:
        return
    raise forbid(f"change this {SIDES[side].label}")
