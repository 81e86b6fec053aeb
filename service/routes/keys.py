"""/keys: the admin creates, lists and revokes API keys."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from matching import keys
from matching.models import ApiKey
from matching.schemas import MAX_ID, KeyCreate, KeyCreated, KeyPublic, KeysPublic
from service.auth import require_role
from service.deps import PrincipalDep, SessionDep, StateDep

router = APIRouter(prefix="/keys", tags=["keys"])


def _public(key: ApiKey) -> KeyPublic:
    return KeyPublic.model_validate(key, from_attributes=True)


@router.post("", status_code=201, response_model=KeyCreated, summary="Create an API key (shown once)")
def create(body: KeyCreate, session: SessionDep, who: PrincipalDep) -> KeyCreated:
    require_role(who, what="manage API keys")
    key, secret = keys.create_key(
        session, body.role, college_id=body.college_id, enterprise_id=body.enterprise_id, name=body.name
    )
    return KeyCreated(**_public(key).model_dump(), key=secret)


@router.get("", response_model=KeysPublic, summary="List API keys (never their secrets)")
def list_(
    session: SessionDep, who: PrincipalDep, include_revoked: Annotated[bool, Query()] = False
) -> KeysPublic:
    require_role(who, what="manage API keys")
    data = [_public(k) for k in keys.list_keys(session, include_revoked)]
    return KeysPublic(data=data, count=len(data))


@router.delete("/{key_id}", response_model=KeyPublic, summary="Revoke an API key")
def revoke(key_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, who: PrincipalDep,
           state: StateDep) -> KeyPublic:
    require_role(who, what="manage API keys")
    revoked = keys.revoke(session, key_id)
    state.principals.clear()  # the key stops working with this response, not when the cache expires
    return _public(revoked)
