"""Profiles' use cases."""

from __future__ import annotations

from collections.abc import Sequence

from profiles import metrics
from profiles.domain.model import validate_profile_update
from profiles.domain.taxonomy import Taxonomy
from profiles.store import Profile
from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.profiles.v1 import events_pb2, profiles_pb2
from tandem_kit.errors import NotFound
from tandem_kit.events import Envelope, utcnow
from tandem_kit.storage import Store, UnitOfWork


def skill_messages(taxonomy: Taxonomy, ids: Sequence[str]) -> list[profiles_pb2.Skill]:
    out = []
    for skill_id in ids:
        skill = taxonomy.get(skill_id)
        if skill is not None:
            out.append(profiles_pb2.Skill(id=skill.id, label=common_pb2.LocalizedText(en=skill.en, fr=skill.fr)))
    return out


def _announce(uow: UnitOfWork, taxonomy: Taxonomy, profile: Profile) -> None:
    uow.publish(
        "profile.updated",
        events_pb2.ProfileUpdated(
            user_id=profile.id,
            display_name=profile.display_name,
            department=profile.department,
            title=profile.title,
            skills=skill_messages(taxonomy, profile.skill_ids),
            version=profile.version,
        ),
    )


def create_profile_for(store: Store, taxonomy: Taxonomy, event: Envelope[identity_events.UserRegistered]) -> bool:
    """A new account gets an empty profile with its name and department."""
    user = event.payload

    def work(uow: UnitOfWork) -> None:
        if uow.find_one(Profile, {"_id": user.user_id}) is not None:
            return
        profile = uow.insert(
            Profile(
                id=user.user_id,
                display_name=user.display_name,
                department=user.department,
                version=1,
                updated_at=utcnow(),
            )
        )
        _announce(uow, taxonomy, profile)

    return store.apply_once(event, "profiles.on_user_registered", work)


def update_profile(store: Store, taxonomy: Taxonomy, *, user_id: str, title: str, skill_ids: Sequence[str]) -> Profile:
    title, ids = validate_profile_update(taxonomy, title, skill_ids)

    def work(uow: UnitOfWork) -> Profile:
        profile = uow.find_one_and_update(
            Profile,
            {"_id": user_id},
            {"$set": {"title": title, "skill_ids": ids, "updated_at": utcnow()}, "$inc": {"version": 1}},
        )
        if profile is None:
            raise NotFound("profile.not_found")
        _announce(uow, taxonomy, profile)
        return profile

    result = store.run(work)
    metrics.PROFILES_UPDATED.inc()
    return result


def get_profile(user_id: str) -> Profile:
    profile = Profile.objects(id=user_id).first()
    if profile is None:
        raise NotFound("profile.not_found")
    return profile
