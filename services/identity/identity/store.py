"""Identity's documents."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

ACCOUNT_STATES = ("pending", "active", "deactivated")


class Account(Document):
    meta = {
        "collection": "accounts",
        "indexes": [
            {"fields": ["email"], "unique": True},
            {"fields": ["username"], "unique": True},
        ],
    }
    id = StringField(primary_key=True)
    # Checked by the domain with email-validator; the store keeps what the domain accepted.
    email = StringField(required=True, max_length=254)
    username = StringField(required=True, max_length=64)
    display_name = StringField(required=True, max_length=100)
    language = StringField(required=True, choices=("en", "fr"))
    # A department code (domain.reference); accounts from before codes may hold a name.
    department = StringField(default="", max_length=200)
    platform = StringField(default="internal", choices=("internal", "external"))
    password_hash = StringField(required=True)
    # "member", "admin", or "role:scope" (domain.roles).
    roles = ListField(StringField(), default=lambda: ["member"])
    # Accounts from before email confirmation existed are active.
    state = StringField(default="active", choices=ACCOUNT_STATES)
    email_confirmed_at = DateTimeField(null=True)
    terms_version = StringField(default="")
    terms_accepted_at = DateTimeField(null=True)
    password_changed_at = DateTimeField(null=True)
    totp_secret = StringField(default="")
    totp_enabled = BooleanField(default=False)
    # The secret being set up, until the person proves their app has it.
    totp_pending_secret = StringField(default="")
    # The last TOTP time step accepted: a code is good once.
    totp_last_step = IntField(default=0)
    deactivated_at = DateTimeField(null=True)
    created_at = DateTimeField(required=True)


class Session(Document):
    """One sign-in and the refresh tokens that continue it. The `sid` claim of every access
    token names its session, and the gateway refuses tokens whose session has ended."""

    meta = {"collection": "sessions", "indexes": [("user_id", "ended_at")]}
    id = StringField(primary_key=True)  # sid
    user_id = StringField(required=True)
    second_factor = BooleanField(default=False)
    # sha256 of the one refresh secret that may be used next, and of those already used:
    # presenting a used one means it was stolen (or replayed), and ends the session.
    refresh_hash = StringField(required=True)
    used_refresh_hashes = ListField(StringField(), default=list)
    created_at = DateTimeField(required=True)
    refreshed_at = DateTimeField(null=True)
    expires_at = DateTimeField(required=True)
    ended_at = DateTimeField(null=True)
    end_reason = StringField(default="")


class EmailToken(Document):
    """A single-use, expiring link sent by email (confirm the address, reset the password).
    Only the token's sha256 is kept: a copy of the database confirms and resets nothing."""

    meta = {"collection": "email_tokens", "indexes": [("user_id", "purpose")]}
    id = StringField(primary_key=True)  # sha256 of the token
    purpose = StringField(required=True, choices=("confirm_email", "reset_password"))
    user_id = StringField(required=True)
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField(null=True)


class Throttle(Document):
    """Failures (or sends) counted per key, with the time before which the next try must wait.
    Keys are hashes of emails, so the collection names nobody."""

    meta = {"collection": "throttles"}
    id = StringField(primary_key=True)  # "<purpose>:<sha256 of the email>"
    seq = IntField(default=0)  # bumped on every change: the compare-and-set guard
    failures = IntField(default=0)
    last_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)


class AuditEvent(Document):
    """Every security event: who did what to whom, when and from where. Append-only."""

    meta = {
        "collection": "audit_events",
        "indexes": [("-at", "-id"), ("subject_id", "-at"), ("actor_id", "-at"), ("type", "-at")],
    }
    id = StringField(primary_key=True)
    at = DateTimeField(required=True)
    type = StringField(required=True)
    actor_id = StringField(default="")
    subject_id = StringField(default="")
    detail = DictField()
    ip = StringField(default="")
    user_agent = StringField(default="")


class PartnerClient(Document):
    """A partner organization's system: a service account with scopes, for the partner gRPC API."""

    meta = {"collection": "partner_clients"}
    id = StringField(primary_key=True)  # client_id
    name = StringField(required=True, max_length=100)
    # sha256 of a 256-bit random secret: high entropy needs no slow hash.
    secret_hash = StringField(required=True)
    scopes = ListField(StringField(), default=list)
    created_by = StringField(default="")
    created_at = DateTimeField(required=True)
    revoked_at = DateTimeField(null=True)


class SigningKey(Document):
    """A token-signing key pair. The private half never leaves this service. The newest
    unretired key signs; every unretired key is published, so rotation never breaks a token."""

    meta = {"collection": "signing_keys"}
    id = StringField(primary_key=True)  # the key id (kid)
    private_pem = StringField(required=True)
    public_jwk = StringField(required=True)
    created_at = DateTimeField(required=True)
    # When a newer key took over signing; retired (unpublished) once its tokens have expired.
    superseded_at = DateTimeField(null=True)
    retired_at = DateTimeField(null=True)


DOCUMENTS = (Account, Session, EmailToken, Throttle, AuditEvent, PartnerClient, SigningKey)
