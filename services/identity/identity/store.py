"""Identity's documents."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, ListField, StringField


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
    department = StringField(default="", max_length=200)
    password_hash = StringField(required=True)
    roles = ListField(StringField(), default=lambda: ["member"])
    created_at = DateTimeField(required=True)


class SigningKey(Document):
    """The current token-signing key pair. The private half never leaves this service."""

    meta = {"collection": "signing_keys"}
    id = StringField(primary_key=True)  # the key id (kid)
    private_pem = StringField(required=True)
    public_jwk = StringField(required=True)
    created_at = DateTimeField(required=True)
    retired_at = DateTimeField(null=True)


DOCUMENTS = (Account, SigningKey)
