"""Who may call each method of identity's partner-facing gRPC service: the scope it needs, or
NO_TOKEN. A method missing here refuses everyone (tandem_kit.auth.ScopeInterceptor)."""

from __future__ import annotations

from tandem_kit.auth import NO_TOKEN

SERVICE = "tandem.identity.v1.IdentityPartnerService"
PARTNER_METHODS = {
    f"/{SERVICE}/IssueToken": NO_TOKEN,
    f"/{SERVICE}/ListDepartments": "reference.read",
    f"/{SERVICE}/VerifyMember": "accounts.verify",
}
