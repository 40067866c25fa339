"""The event envelope: what a publisher writes is exactly what a consumer reads back, and a
malformed envelope is refused with a ValueError saying what is wrong (the consumer dead-letters
it with that text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem_kit.events import ENVELOPE_VERSION, Envelope


def posted(**overrides: Any) -> Envelope[opportunity_events.OpportunityPosted]:
    payload = opportunity_events.OpportunityPosted(
        opportunity_id="opp-1",
        poster_id="user-1",
        title_en="Data analyst",
        title_fr="Analyste de données « junior »",
        skill_ids=["data-analysis", "python"],
        openings=3,
    )
    return Envelope.new(type="opportunity.posted", source="opportunities", payload=payload, **overrides)


def over_the_wire(envelope: Envelope[Any]) -> dict[str, Any]:
    # Events travel as JSON: make sure the dict survives a real encode and decode.
    return json.loads(json.dumps(envelope.to_dict()))


def test_protobuf_payload_survives_the_round_trip() -> None:
    sent = posted(causation_id="cause-1", correlation_id="chain-1")

    received = Envelope.from_dict(over_the_wire(sent), opportunity_events.OpportunityPosted)

    assert received == sent
    assert received.payload.skill_ids == ["data-analysis", "python"]
    assert received.payload.openings == 3
    assert received.payload.title_fr == "Analyste de données « junior »"
    assert received.time.tzinfo is not None


def test_payload_keeps_proto_field_names_on_the_wire() -> None:
    wire = over_the_wire(posted())

    assert wire["payload"]["opportunity_id"] == "opp-1"
    assert wire["payload"]["skill_ids"] == ["data-analysis", "python"]
    assert wire["envelope_version"] == ENVELOPE_VERSION


def test_payload_fields_unknown_to_the_consumer_are_ignored() -> None:
    # A publisher may add a field before every consumer has the new schema.
    wire = over_the_wire(posted())
    wire["payload"]["added_later"] = "whatever"

    received = Envelope.from_dict(wire, opportunity_events.OpportunityPosted)

    assert received.payload.opportunity_id == "opp-1"


def test_event_that_starts_a_chain_is_its_own_correlation() -> None:
    envelope = posted()

    assert envelope.causation_id == ""
    assert envelope.correlation_id == envelope.id


def test_event_caused_by_another_is_correlated_with_its_cause_by_default() -> None:
    envelope = posted(causation_id="cause-1")

    assert envelope.causation_id == "cause-1"
    assert envelope.correlation_id == "cause-1"


def test_given_correlation_id_is_kept() -> None:
    envelope = posted(causation_id="cause-1", correlation_id="chain-1")

    assert envelope.correlation_id == "chain-1"


def test_each_new_event_gets_a_fresh_id_and_an_aware_time() -> None:
    first, second = posted(), posted()

    assert first.id != second.id
    assert first.time.tzinfo is not None
    assert abs((datetime.now(UTC) - first.time).total_seconds()) < 60


def test_envelope_without_causation_and_correlation_reads_them_as_empty() -> None:
    wire = over_the_wire(posted())
    del wire["causation_id"], wire["correlation_id"]

    received = Envelope.from_dict(wire, opportunity_events.OpportunityPosted)

    assert received.causation_id == ""
    assert received.correlation_id == ""


@pytest.mark.parametrize("missing", ["id", "type", "source", "version", "time", "payload"])
def test_envelope_missing_a_field_is_refused_naming_the_field(missing: str) -> None:
    wire = over_the_wire(posted())
    del wire[missing]

    with pytest.raises(ValueError, match=rf"malformed event envelope: no '{missing}'"):
        Envelope.from_dict(wire, opportunity_events.OpportunityPosted)


def test_payload_field_of_the_wrong_type_is_refused_naming_the_field() -> None:
    wire = over_the_wire(posted())
    wire["payload"]["openings"] = "many"

    with pytest.raises(ValueError, match=r"malformed event envelope: .*openings"):
        Envelope.from_dict(wire, opportunity_events.OpportunityPosted)


@pytest.mark.parametrize("body", ["not an object", None, ["a", "list"], 42])
def test_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(ValueError, match="malformed event envelope"):
        Envelope.from_dict(body, opportunity_events.OpportunityPosted)


@pytest.mark.parametrize("payload", ["opp-1", ["opp-1"]])
def test_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    wire = over_the_wire(posted())
    wire["payload"] = payload

    with pytest.raises(ValueError, match="malformed event envelope"):
        Envelope.from_dict(wire, opportunity_events.OpportunityPosted)


@pytest.mark.parametrize(("field", "value"), [("version", "two"), ("time", "yesterday")])
def test_unparseable_version_or_time_is_refused_naming_the_field(field: str, value: str) -> None:
    wire = over_the_wire(posted())
    wire[field] = value

    with pytest.raises(ValueError, match=rf"malformed event envelope: .*{field}"):
        Envelope.from_dict(wire, opportunity_events.OpportunityPosted)
