"""Token signing with Ed25519 keys kept in identity's store, published as a JWKS, and rotated:
a new key takes over signing, the old one stays published until every token it signed has
expired, then it is retired."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from identity.config import TokenConfig
from identity.store import SigningKey
from tandem_kit.events import utcnow

ALGORITHM = "EdDSA"
# Another process may rotate the key: look for a newer one this often.
_RELOAD_SECONDS = 10.0


def _new_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = uuid.uuid4().hex
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return SigningKey(id=kid, private_pem=pem, public_jwk=json.dumps(jwk), created_at=utcnow())


class KeyRing:
    def __init__(self, config: TokenConfig):
        self.config = config
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._kid = ""
        self._private: Ed25519PrivateKey | None = None
        self._current()

    def _current(self) -> tuple[str, Ed25519PrivateKey]:
        with self._lock:
            if self._private is None or time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
                current = SigningKey.objects(superseded_at=None, retired_at=None).order_by("-created_at").first()
                if current is None:
                    _new_key().save()
                    # Two replicas may race at first start: the newest key wins for both.
                    current = SigningKey.objects(superseded_at=None, retired_at=None).order_by("-created_at").first()
                assert current is not None
                loaded = serialization.load_pem_private_key(current.private_pem.encode(), password=None)
                assert isinstance(loaded, Ed25519PrivateKey)
                self._kid, self._private, self._loaded_at = current.id, loaded, time.monotonic()
            return self._kid, self._private

    def rotate(self) -> str:
        """Sign with a new key from now on; returns its kid."""
        key = _new_key().save()
        now = utcnow()
        SigningKey.objects(id__ne=key.id, superseded_at=None).update(set__superseded_at=now)
        self.retire_expired()
        with self._lock:
            self._private = None
        return str(key.id)

    def rotate_if_old(self) -> str | None:
        current = SigningKey.objects(superseded_at=None, retired_at=None).order_by("-created_at").first()
        if current is not None and utcnow() - current.created_at < timedelta(seconds=self.config.key_rotation_seconds):
            return None
        return self.rotate()

    def retire_expired(self) -> int:
        """Unpublish superseded keys once no token they signed can still be valid."""
        grace = timedelta(seconds=max(self.config.access_ttl_seconds, self.config.partner_ttl_seconds) + 60)
        cutoff = utcnow() - grace
        return int(SigningKey.objects(superseded_at__lt=cutoff, retired_at=None).update(set__retired_at=utcnow()))

    def _sign(self, claims: dict[str, Any]) -> str:
        kid, private = self._current()
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})

    def issue_access_token(self, user_id: str, session_id: str, roles: list[str], *, second_factor: bool) -> str:
        now = utcnow()
        return self._sign(
            {
                "iss": self.config.issuer,
                "aud": self.config.audience,
                "sub": user_id,
                "typ": "access",
                "sid": session_id,
                "roles": roles,
                "amr": ["pwd", "otp"] if second_factor else ["pwd"],
                "iat": now,
                "nbf": now,
                "exp": now + timedelta(seconds=self.config.access_ttl_seconds),
                "jti": uuid.uuid4().hex,
            }
        )

    def issue_partner_token(self, client_id: str, scopes: list[str]) -> str:
        now = utcnow()
        return self._sign(
            {
                "iss": self.config.issuer,
                "aud": self.config.partner_audience,
                "sub": client_id,
                "typ": "partner",
                "scope": " ".join(scopes),
                "iat": now,
                "nbf": now,
                "exp": now + timedelta(seconds=self.config.partner_ttl_seconds),
                "jti": uuid.uuid4().hex,
            }
        )

    def jwks(self) -> str:
        """Every key not yet retired, so tokens signed before a rotation keep verifying."""
        keys = [json.loads(k.public_jwk) for k in SigningKey.objects(retired_at=None).order_by("-created_at")]
        return json.dumps({"keys": keys})
