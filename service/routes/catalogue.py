"""/catalogue: look up specialty codes, for clients filling in `code` and `codes`."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from matching.schemas import OptionalName
from service.deps import PrincipalDep, ReferenceDep

router = APIRouter(prefix="/catalogue", tags=["catalogue"])


class CatalogueEntryPublic(BaseModel):
    code: str
    name_en: str
    name_zh: str
    class_code: str
    class_name_en: str
    category_code: str
    category_name_en: str


class CataloguePublic(BaseModel):
    data: list[CatalogueEntryPublic]
    count: int


@router.get("", response_model=CataloguePublic, summary="Search the national specialty catalogue")
def search(
    ref: ReferenceDep,
    _: PrincipalDep,
    q: Annotated[OptionalName | None, Query(description="Code prefix, or words of the English or Chinese name")] = None,
    limit: Annotated[int, Query(ge=1, le=800)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CataloguePublic:
    found = ref.catalogue.search(q or "")
    page = [CatalogueEntryPublic.model_validate(e, from_attributes=True) for e in found[offset:offset + limit]]
    return CataloguePublic(data=page, count=len(found))
