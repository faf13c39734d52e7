"""The JSON API under /api/: the same services as the pages, described by the OpenAPI schema."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sichter.errors import UsageError
from sichter.store.models import Case
from sichter.web.app import state
from sichter.web.deps import db, member_case, user
from sichter.web.services import accounts, audit, decisions, grid, items, learning, overview
from sichter.web.services.accounts import User

router = APIRouter(prefix="/api", tags=["review"])


class DecideRequest(BaseModel):
    items: dict[int, int] = Field(description="content id -> version the reviewer saw (0 = undecided)")
    category: str = Field(description="a category code of the case's scheme")
    source: str = "api"
    expand_stacks: bool = Field(True, description="decide every member of each item's stack")


class DecisionOut(BaseModel):
    content_id: int
    category: str | None
    version: int
    reviewed_by: str
    reviewed_at: str


class DecideResponse(BaseModel):
    decisions: list[DecisionOut]
    skipped: list[int] = []


class PreferencesIn(BaseModel):
    blur: int | None = None
    greyscale: bool | None = None
    tile: int | None = None
    break_minutes: int | None = None
    lang: str | None = None


def _out(d: decisions.Decision) -> DecisionOut:
    return DecisionOut(content_id=d.content_id, category=d.category, version=d.version,
                       reviewed_by=d.reviewed_by, reviewed_at=d.reviewed_at.isoformat())


def conflict_response(exc: decisions.Conflict) -> JSONResponse:
    current = [None if d is None else _out(d).model_dump() for d in exc.current]
    return JSONResponse(status_code=409, content={
        "detail": str(exc), "content_ids": exc.content_ids, "current": current})


@router.get("/cases")
def list_cases(request: Request, s: Session = Depends(db)) -> list[dict[str, Any]]:
    return [{"name": c.name, "title": c.title, "scheme": c.scheme}
            for c in accounts.member_cases(s, user(request))]


@router.get("/cases/{case}/overview")
def case_overview(case: Case = Depends(member_case), s: Session = Depends(db)) -> dict[str, Any]:
    ov = overview.overview(s, case.id)
    return {**asdict(ov), "progress": ov.progress}


@router.get("/cases/{case}/grid")
def case_grid(case: Case = Depends(member_case), s: Session = Depends(db), cursor: str | None = None,
              limit: int = 60, status: str | None = None, suggested: str | None = None,
              decided: str | None = None, band: str | None = None, explicit_min: float | None = None,
              explicit_max: float | None = None, path: str | None = None,
              reviewed: bool | None = None, media: str | None = None) -> dict[str, Any]:
    flt = grid.GridFilter(status, suggested, decided, band, explicit_min, explicit_max, path,
                          reviewed, media)
    try:
        pg = grid.page(s, case.id, flt, cursor, limit)
    except UsageError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return {"tiles": [asdict(t) for t in pg.tiles], "next_cursor": pg.next_cursor}


@router.get("/cases/{case}/items/{content_id}")
def item(content_id: int, case: Case = Depends(member_case), s: Session = Depends(db)) -> dict[str, Any]:
    try:
        detail = items.item_detail(s, case, content_id)
    except UsageError as exc:
        raise HTTPException(status_code=404, detail="not found") from exc
    return asdict(detail)


@router.post("/cases/{case}/decisions", response_model=DecideResponse,
             responses={409: {"description": "changed by someone else; body holds the current state"}})
def decide(body: DecideRequest, request: Request, case: Case = Depends(member_case),
           s: Session = Depends(db)) -> Any:
    who: User = user(request)
    try:
        made = decisions.decide(s, case, who, body.items, body.category, body.source,
                                body.expand_stacks)
        s.commit()
    except decisions.Conflict as exc:
        s.rollback()
        return conflict_response(exc)
    except IntegrityError:
        s.rollback()
        current = decisions.state_of(s, case.id, list(body.items))
        return conflict_response(decisions.Conflict([current.get(i) for i in body.items],
                                                    list(body.items)))
    except UsageError as exc:
        s.rollback()
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    _learn(request, case)
    return DecideResponse(decisions=[_out(d) for d in made])


def _learn(request: Request, case: Case) -> None:
    """After a committed decision: maybe start a background re-ranking (returns at once)."""
    web = state(request)
    job = learning.after_decision(web.scheduler, web.sessions, case.id)
    if job is not None:
        web.rounds[case.id] = job


@router.post("/cases/{case}/undo", response_model=DecideResponse)
def undo(request: Request, case: Case = Depends(member_case), s: Session = Depends(db)) -> Any:
    reverted, skipped = decisions.undo_last(s, case, user(request))
    s.commit()
    _learn(request, case)
    return DecideResponse(decisions=[_out(d) for d in reverted], skipped=skipped)


@router.get("/cases/{case}/qa")
def qa_queue(request: Request, case: Case = Depends(member_case), s: Session = Depends(db)) -> dict[str, Any]:
    """The newest QA sample's items still to review (draw order) and its current figures.
    Decide them with source "qa" and expand_stacks false."""
    view = learning.qa_view(s, case.id)
    figures = learning.qa_figures(state(request).sessions, case.name)
    return {"sample": None if view.sample is None else asdict(view.sample),
            "tiles": [asdict(t) for t in view.tiles],
            "result": None if figures is None else {
                "reviewed": figures.reviewed, "relevant_in_sample": figures.relevant_in_sample,
                "reviewers": figures.reviewers,
                "elusion": None if figures.elusion is None else asdict(figures.elusion)}}


@router.get("/cases/{case}/audit/verify")
def audit_verify(case: Case = Depends(member_case), s: Session = Depends(db)) -> dict[str, Any]:
    return asdict(audit.verify(s, case.id))


@router.put("/me/preferences")
def preferences(body: PreferencesIn, request: Request, s: Session = Depends(db)) -> dict[str, Any]:
    u = accounts.set_preferences(s, user(request).id, body.model_dump(exclude_none=True))
    s.commit()
    return u.preferences
