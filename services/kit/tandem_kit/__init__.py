"""What every Tandem service needs, written once: configuration, storage with a transactional
outbox and an idempotent inbox, event envelopes, messaging, the gRPC bootstrap, metrics and logs.

Nothing domain-specific lives here.
"""
