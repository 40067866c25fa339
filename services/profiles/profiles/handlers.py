"""Profiles' use cases: each loads, decides (domain), saves and announces in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from pymongo.errors import DuplicateKeyError

from profiles import convert, metrics
from profiles.domain import model
from profiles.domain.reference import ReferenceData
from profiles.domain.taxonomy import Skill, fold
from profiles.store import CustomSkill, Profile
from tandem.identity.v1 import events_pb2 as identity_events
from tandem_kit.errors import FieldCollector, InvalidInput, NotFound, Refused
from tandem_kit.events import Envelope, utcnow
from tandem_kit.storage import Store, UnitOfWork

CUSTOM_LABEL_MAX = 100
LANGUAGES = ("en", "fr")


def _customs(uow: UnitOfWork | None, ids: Iterable[str]) -> dict[str, CustomSkill]:
    wanted = convert.custom_ids(list(ids))
    if not wanted:
        return {}
    filt = {"_id": {"$in": wanted}}
    docs = uow.find(CustomSkill, filt) if uow is not None else list(CustomSkill.objects(__raw__=filt))
    return {d.id: d for d in docs}


def _announce(uow: UnitOfWork, ref: ReferenceData, profile: Profile) -> None:
    uow.publish("profile.updated", convert.snapshot(ref, profile, _customs(uow, profile.skill_ids)))


def create_profile_for(store: Store, ref: ReferenceData, event: Envelope[identity_events.UserRegistered]) -> bool:
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
                department_code=user.department_code,
                version=1,
                updated_at=utcnow(),
            )
        )
        _announce(uow, ref, profile)

    return store.apply_once(event, "profiles.on_user_registered", work)


def _resolve_custom_skills(uow: UnitOfWork, ids: Iterable[str]) -> tuple[list[str], frozenset[str]]:
    """Custom skills that were merged stand for their canonical skill; returns the ids to keep and
    the custom ids that exist."""
    customs = _customs(uow, ids)
    resolved = [customs[i].merged_into if i in customs and customs[i].merged_into else i for i in ids]
    return list(dict.fromkeys(resolved)), frozenset(i for i, c in customs.items() if not c.merged_into)


def update_profile(
    store: Store, ref: ReferenceData, *, user_id: str, changes: model.ProfileChanges, today: date | None = None
) -> tuple[Profile, dict[str, CustomSkill]]:
    """Apply `changes` to the profile, or refuse them all."""

    def work(uow: UnitOfWork) -> tuple[Profile, dict[str, CustomSkill]]:
        custom: frozenset[str] = frozenset()
        values = changes
        if "skill_ids" in changes.fields:
            ids, custom = _resolve_custom_skills(uow, [i.strip() for i in changes.skill_ids])
            values = replace(changes, skill_ids=tuple(ids))
        cleaned = model.validate_changes(ref, values, custom_skill_ids=custom, today=today or date.today())
        profile = uow.find_one_and_update(
            Profile,
            {"_id": user_id},
            {"$set": {**cleaned, "updated_at": utcnow()}, "$inc": {"version": 1}},
        )
        if profile is None:
            raise NotFound("profile.not_found")
        _announce(uow, ref, profile)
        return profile, _customs(uow, profile.skill_ids)

    result = store.run(work)
    metrics.PROFILES_UPDATED.inc()
    return result


def get_profile(user_id: str) -> tuple[Profile, dict[str, CustomSkill]]:
    profile = Profile.objects(id=user_id).first()
    if profile is None:
        raise NotFound("profile.not_found")
    return profile, _customs(None, profile.skill_ids)


# --- custom skills --------------------------------------------------------------------------------


def add_custom_skill(
    store: Store, ref: ReferenceData, *, user_id: str, label: str, language: str
) -> Skill | CustomSkill:
    """The skill a person names: the canonical one when the taxonomy has that name already, the
    custom one someone added before under the same name, or a new custom skill."""
    errors = FieldCollector()
    if any(c in label for c in "\r\n\t\v\f"):
        errors.add("label", "field.single_line")
    label = " ".join(label.split())
    if not label:
        errors.add("label", "field.required")
    elif len(label) > CUSTOM_LABEL_MAX:
        errors.add("label", "field.too_long", max=CUSTOM_LABEL_MAX)
    if language not in LANGUAGES:
        errors.add("language", "language.unsupported")
    errors.raise_if_any()
    canonical = ref.taxonomy.find_by_name(label)
    if canonical is not None:
        return canonical
    key = fold(label)

    def work(uow: UnitOfWork) -> Skill | CustomSkill:
        existing = uow.find_one(CustomSkill, {"key": key})
        if existing is None:
            created = CustomSkill(
                id=f"{convert.CUSTOM_PREFIX}{uuid.uuid4().hex[:12]}",
                label=label,
                key=key,
                language=language,
                created_by=user_id,
                created_at=utcnow(),
            )
            metrics.CUSTOM_SKILLS_ADDED.inc()
            return uow.insert(created)
        if existing.merged_into:
            merged = ref.taxonomy.get(existing.merged_into)
            if merged is not None:
                return merged
        return existing

    try:
        return store.run(work)
    except DuplicateKeyError:
        # Someone added the same name at the same moment: theirs is ours.
        return store.run(work)


def list_custom_skills(*, include_merged: bool) -> list[tuple[CustomSkill, int]]:
    filt = {} if include_merged else {"merged_into": ""}
    docs = list(CustomSkill.objects(__raw__=filt).order_by("created_at"))
    return [(d, Profile.objects(skill_ids=d.id).count()) for d in docs]


def get_skill(ref: ReferenceData, skill_id: str) -> Skill | CustomSkill:
    canonical = ref.taxonomy.get(skill_id)
    if canonical is not None:
        return canonical
    custom = CustomSkill.objects(id=skill_id).first()
    if custom is None:
        raise NotFound("skill.not_found")
    return custom


def merge_custom_skill(
    store: Store, ref: ReferenceData, *, custom_skill_id: str, into_skill_id: str, coordinator_id: str
) -> tuple[Skill, int]:
    """Fold a custom skill into a canonical one. Every profile using it gets the canonical skill
    instead (once, even if it had both), a new version, and its profile.updated."""
    into = ref.taxonomy.get(into_skill_id)
    if into is None:
        raise InvalidInput.one("into_skill_id", "skill.not_canonical")

    def work(uow: UnitOfWork) -> int:
        custom = uow.find_one(CustomSkill, {"_id": custom_skill_id})
        if custom is None:
            raise NotFound("custom_skill.not_found")
        if custom.merged_into:
            if custom.merged_into == into.id:
                return 0  # merged already: asking again changes nothing
            raise Refused("custom_skill.already_merged", {"into": custom.merged_into})
        uow.update_one(
            CustomSkill,
            {"_id": custom.id},
            {"$set": {"merged_into": into.id, "merged_by": coordinator_id, "merged_at": utcnow()}},
        )
        updated = 0
        for profile in uow.find(Profile, {"skill_ids": custom.id}):
            ids = list(dict.fromkeys(into.id if i == custom.id else i for i in profile.skill_ids))
            changed = uow.find_one_and_update(
                Profile,
                {"_id": profile.id},
                {"$set": {"skill_ids": ids, "updated_at": utcnow()}, "$inc": {"version": 1}},
            )
            if changed is not None:
                _announce(uow, ref, changed)
                updated += 1
        return updated

    updated = store.run(work)
    metrics.CUSTOM_SKILLS_MERGED.inc()
    return into, updated
