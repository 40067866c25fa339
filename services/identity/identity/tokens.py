"""Token signing with an Ed25519 key kept in identity's store, published as a JWKS."""

from __future__ import annotations

import json
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
from tandem_kit.storage import Store

ALGORITHM = "EdDSA"


class KeyRing:
    def __init__(self, store: Store, config: TokenConfig):
        self.store = store
        self.config = config
        self._kid, self._private = self._ensure_key()

    def _ensure_key(self) -> tuple[str, Ed25519PrivateKey]:
        current = SigningKey.objects(retired_at=None).order_by("created_at").first()
        if current is None:
            private = Ed25519PrivateKey.generate()
            kid = uuid.uuid4().hex
            pem = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
            jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
            SigningKey(id=kid, private_pem=pem, public_jwk=json.dumps(jwk), created_at=utcnow()).save()
            # Two replicas may race at first start: whichever key is oldest wins for both.
            current = SigningKey.objects(retired_at=None).order_by("created_at").first()
        assert current is not None
        loaded = serialization.load_pem_private_key(current.private_pem.encode(), password=None)
        assert isinstance(loaded, Ed25519PrivateKey)
        return current.id, loaded

    def issue_access_token(self, user_id: str, roles: list[str]) -> tuple[str, int]:
        now = utcnow()
        ttl = self.config.access_ttl_seconds
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": user_id,
            "typ": "access",
            "roles": roles,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"kid": self._kid})
        return token, ttl

    def jwks(self) -> str:
        """Every key not yet retired, so tokens signed before a rotation keep verifying."""
        keys = [json.loads(k.public_jwk) for k in SigningKey.objects(retired_at=None)]
        return json.dumps({"keys": keys})
