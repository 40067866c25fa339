"""Structured logging: one JSON object a line, with the process's service and role."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


class _ContextFilter(logging.Filter):
    def __init__(self, service: str, role: str) -> None:
        super().__init__()
        self.service = service
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.role = self.role
        return True


def configure_logging(service: str, role: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{role}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service, role))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kombu and pymongo are chatty at INFO about reconnects that we report ourselves.
    logging.getLogger("kombu").setLevel(logging.WARNING)
    logging.getLogger("pymongo").setLevel(logging.WARNING)
