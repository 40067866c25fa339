"""Matching's jobs: cohort runs, taken from their work queue by cohort workers.

    python -m tandem_kit.run jobs matching matching.jobs:JOBS

A cohort run is seconds of numpy and scipy at full CPU. It runs here, in a plain process with one
job at a time, never in the nameko worker: there it would hold the eventlet hub, and every
event handler, timer and the outbox relay of that worker would wait for it. These processes
scale on their own, on the depth of the job queue (k8s/base/matching-autoscaling.yaml).
"""

from __future__ import annotations

from typing import Any

from matching import cohorts
from tandem.matching.v1 import events_pb2
from tandem_kit.jobs import Job

JOBS: list[Job[Any]] = [
    Job(
        source="matching",
        event_type="cohort.run_requested",
        method="run_cohort",
        message_type=events_pb2.CohortRunRequested,
        handle=cohorts.execute_run,
        give_up=cohorts.give_up_run,
    )
]
