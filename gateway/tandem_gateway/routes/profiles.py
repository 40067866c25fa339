"""Profiles and the skills taxonomy (profiles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tandem.profiles.v1 import profiles_pb2
from tandem_gateway import schemas as s
from tandem_gateway.problems import request_language
from tandem_gateway.routes.common import Member, PathId, access, call_options, services, skills_out

router = APIRouter(prefix="/v1")


def _profile(p: profiles_pb2.Profile) -> s.ProfileOut:
    return s.ProfileOut(
        user_id=p.user_id,
        display_name=p.display_name,
        department=p.department,
        title=p.title,
        skills=skills_out(p.skills),
        version=p.version,
    )


@router.get("/me/profile", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def my_profile(user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.GetProfile(
            profiles_pb2.GetProfileRequest(user_id=user.user_id), **call_options(request)
        )
    )


@router.put("/me/profile", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def update_my_profile(body: s.ProfileUpdateIn, user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.UpdateProfile(
            profiles_pb2.UpdateProfileRequest(user_id=user.user_id, title=body.title, skill_ids=body.skill_ids),
            **call_options(request),
        )
    )


@router.get("/profiles/{user_id}", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def profile(user_id: PathId, user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.GetProfile(
            profiles_pb2.GetProfileRequest(user_id=user_id), **call_options(request)
        )
    )


@router.get("/skills", response_model=list[s.SkillOut], tags=["profiles"], openapi_extra=access("public"))
async def suggestskills_out(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[s.SkillOut]:
    resp = await services(request).profiles.SuggestSkills(
        profiles_pb2.SuggestSkillsRequest(query=q, language=request_language(request), limit=limit),
        **call_options(request),
    )
    return skills_out(resp.skills)
