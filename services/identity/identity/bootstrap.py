"""Grant a role from the servers themselves, for the first admin (nobody can grant it through
the API before an admin exists). Audited, with the actor `operator`.

    python -m identity.bootstrap grant-role <email> <role> [scope]

Uses the same settings as the identity processes (IDENTITY_MONGO_URI / MONGO_URI, ...).
"""

from __future__ import annotations

import sys

from identity.config import TokenConfig
from identity.handlers import admin
from identity.handlers.common import Client, Identity
from identity.store import DOCUMENTS, Account
from identity.tokens import KeyRing
from tandem_kit.config import ServiceConfig
from tandem_kit.storage import Store


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[0] != "grant-role":
        sys.stderr.write(__doc__ or "")
        return 2
    email, role = argv[1].strip().lower(), argv[2]
    scope = argv[3] if len(argv) == 4 else ""
    store = Store.open(ServiceConfig.from_env("identity"), DOCUMENTS)
    account = Account.objects(email=email, state="active").first()
    if account is None:
        sys.stderr.write(f"no active account has the email {email}\n")
        return 1
    identity = Identity(store, KeyRing(TokenConfig.from_env()))
    changed = admin.grant_role(
        identity, actor_id=admin.OPERATOR, user_id=account.id, role=role, scope=scope, client=Client()
    )
    print(f"{email}: {', '.join(changed.roles)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
