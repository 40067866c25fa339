"""The event topology (protos/topology.yaml): who consumes which event, under which queue name."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from tandem_kit.config import SERVICES
from tandem_kit.events import TOPOLOGY_PATH, Subscription, load_topology, parse_topology
from tandem_kit.messaging import TandemEventHandler

ROOT = Path(__file__).resolve().parents[4]

RAW = {
    "opportunities": {
        "offer.made": {
            "message": "tandem.opportunities.v1.OfferMade",
            "consumers": ["notifications.on_offer_made"],
        },
        "opportunity.shared": {
            "message": "tandem.opportunities.v1.OpportunityShared",
            "consumers": ["referrals.on_opportunity_shared", "notifications.on_opportunity_shared"],
        },
    },
    "referrals": {"referral.recorded": {"message": "tandem.referrals.v1.ReferralRecorded", "consumers": []}},
    "quiet": None,
}


def import_event_schemas() -> list[str]:
    """Import every generated `events_pb2`, so their messages are in the symbol database."""
    services = sorted(p.parent.parent.name for p in (ROOT / "protos" / "tandem").glob("*/v1/events.proto"))
    for service in services:
        importlib.import_module(f"tandem.{service}.v1.events_pb2")
    return services


def test_spec_names_the_message_and_its_consumers() -> None:
    topology = parse_topology(RAW)

    spec = topology.spec("opportunities", "opportunity.shared")

    assert spec.message == "tandem.opportunities.v1.OpportunityShared"
    assert [(c.service, c.method) for c in spec.consumers] == [
        ("referrals", "on_opportunity_shared"),
        ("notifications", "on_opportunity_shared"),
    ]


def test_queue_name_follows_nameko_convention() -> None:
    topology = parse_topology(RAW)

    (sub,) = topology.spec("opportunities", "offer.made").consumers

    assert sub.queue == "evt-opportunities-offer.made--notifications.on_offer_made"


def test_published_by_lists_only_the_sources_events() -> None:
    topology = parse_topology(RAW)

    assert {s.type for s in topology.published_by("opportunities")} == {"offer.made", "opportunity.shared"}
    assert [s.type for s in topology.published_by("referrals")] == ["referral.recorded"]
    assert topology.published_by("quiet") == []


def test_consumed_by_lists_the_services_subscriptions_across_sources() -> None:
    topology = parse_topology(RAW)

    assert set(topology.consumed_by("notifications")) == {
        Subscription("opportunities", "offer.made", "notifications", "on_offer_made"),
        Subscription("opportunities", "opportunity.shared", "notifications", "on_opportunity_shared"),
    }
    assert topology.consumed_by("matching") == []


def test_consumer_without_a_method_is_refused() -> None:
    raw = {"identity": {"user.registered": {"message": "tandem.identity.v1.UserRegistered", "consumers": ["profiles"]}}}

    with pytest.raises(ValueError, match=r"'profiles' of user\.registered must be service\.method"):
        parse_topology(raw)


def test_unknown_event_raises_key_error_pointing_at_topology_yaml() -> None:
    topology = parse_topology(RAW)

    with pytest.raises(KeyError) as raised:
        topology.spec("opportunities", "offer.withdrawn")

    assert "opportunities/offer.withdrawn" in raised.value.args[0]
    assert "protos/topology.yaml" in raised.value.args[0]


def test_default_topology_is_the_repositorys_file() -> None:
    assert TOPOLOGY_PATH.resolve() == (ROOT / "protos" / "topology.yaml").resolve()


def test_every_message_in_the_real_topology_is_a_generated_protobuf_class() -> None:
    import_event_schemas()
    topology = load_topology()
    assert topology.events, "protos/topology.yaml declares no events"

    for spec in topology.events.values():
        cls = spec.message_class()
        assert cls.DESCRIPTOR.full_name == spec.message, spec
        # The schema lives with its publisher.
        assert spec.message.startswith(f"tandem.{spec.source}.v1."), spec


def test_every_publisher_and_consumer_in_the_real_topology_is_a_service() -> None:
    topology = load_topology()

    for (source, _), spec in topology.events.items():
        assert source in SERVICES
        for sub in spec.consumers:
            assert sub.service in SERVICES, sub
            # A service may take its own jobs (work queues), never its own news.
            assert sub.service != source or spec.job, f"{source} consumes its own event {spec.type}"


def test_every_publishing_service_has_an_events_proto() -> None:
    with_schemas = set(import_event_schemas())

    assert {source for source, _ in load_topology().events} <= with_schemas


def worker_subscriptions(service: str) -> set[tuple[str, str, str, str]]:
    """(source, event type, method, message) for each @on_event handler of the service's worker."""
    module = importlib.import_module(f"{service}.worker")
    found = set()
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__ or getattr(cls, "name", None) != service:
            continue
        for method_name, fn in inspect.getmembers(cls, inspect.isfunction):
            for entrypoint in getattr(fn, "nameko_entrypoints", ()):
                if isinstance(entrypoint, TandemEventHandler):
                    found.add(
                        (
                            entrypoint.source_service,
                            entrypoint.event_type,
                            method_name,
                            entrypoint.message_type.DESCRIPTOR.full_name,
                        )
                    )
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_workers_event_handlers_and_topology_agree(service: str) -> None:
    import_event_schemas()
    topology = load_topology()
    declared = {
        (sub.source, sub.event_type, sub.method, topology.spec(sub.source, sub.event_type).message)
        for sub in topology.consumed_by(service)
        if not topology.spec(sub.source, sub.event_type).job  # jobs are taken by JobConsumer processes
    }

    assert worker_subscriptions(service) == declared


def job_subscriptions(service: str) -> set[tuple[str, str, str, str]]:
    """(source, event type, method, message) of each JobConsumer the service declares in JOBS."""
    try:
        module = importlib.import_module(f"{service}.jobs")
    except ModuleNotFoundError:
        return set()
    return {(j.source, j.event_type, j.method, j.message_type.DESCRIPTOR.full_name) for j in module.JOBS}


@pytest.mark.parametrize("service", SERVICES)
def test_job_consumers_and_topology_agree(service: str) -> None:
    import_event_schemas()
    topology = load_topology()
    declared = {
        (sub.source, sub.event_type, sub.method, topology.spec(sub.source, sub.event_type).message)
        for sub in topology.consumed_by(service)
        if topology.spec(sub.source, sub.event_type).job
    }

    assert job_subscriptions(service) == declared


def test_worker_subscriptions_sees_handlers() -> None:
    # Guards the test above against agreeing on two empty sets.
    assert ("opportunities", "offer.made", "on_offer_made", "tandem.opportunities.v1.OfferMade") in (
        worker_subscriptions("notifications")
    )
