"""The `api` process: a grpcio server on a thread pool, with health, reflection, metrics and the
translation of domain errors into gRPC statuses with field details in the caller's language."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.descriptor import ServiceDescriptor
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from tandem_kit import metrics
from tandem_kit.auth import ActorInterceptor, TokenVerifier, identity_keys
from tandem_kit.config import ServiceConfig, service_address
from tandem_kit.errors import DomainError, InvalidInput
from tandem_kit.i18n import KIT_CATALOG, Catalog, negotiate, request_language

log = logging.getLogger(__name__)

LANGUAGE_METADATA = "accept-language"
_UNMEASURED = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def error_status(error: DomainError, catalog: Catalog, lang: str, domain: str) -> status_pb2.Status:
    details: list[any_pb2.Any] = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.code, domain=domain, metadata={k: str(v) for k, v in error.params.items()}
            )
        ),
        _pack(error_details_pb2.LocalizedMessage(locale=lang, message=catalog.render(error.code, lang, error.params))),
    ]
    if isinstance(error, InvalidInput):
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=e.field,
                            reason=e.code,
                            description=catalog.render(e.code, "en", e.params),
                            localized_message=error_details_pb2.LocalizedMessage(
                                locale=lang, message=catalog.render(e.code, lang, e.params)
                            ),
                        )
                        for e in error.errors
                    ]
                )
            )
        )
    return status_pb2.Status(
        code=error.status.value[0],
        message=catalog.render(error.code, "en", error.params),
        details=details,
    )


class TandemInterceptor(grpc.ServerInterceptor):
    """Wraps every unary method: sets the request language, counts and times the call, and turns
    a DomainError into its status. Any other exception is logged and reported as INTERNAL with
    a generic message, never a stack trace."""

    def __init__(self, catalog: Catalog, domain: str):
        self.catalog = catalog
        self.domain = domain

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        if handler_call_details.method.startswith(_UNMEASURED):
            return handler  # probes are not traffic: they would dilute the error ratio
        full = handler_call_details.method  # "/pkg.Service/Method"
        grpc_service, _, grpc_method = full.strip("/").rpartition("/")
        metadata = dict(handler_call_details.invocation_metadata or ())
        lang = negotiate(metadata.get(LANGUAGE_METADATA))
        inner = handler.unary_unary

        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            token = request_language.set(lang)
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                return inner(request, context)
            except DomainError as error:
                code = error.status
                context.abort_with_status(rpc_status.to_status(error_status(error, self.catalog, lang, self.domain)))
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("unhandled error in %s", full)
                context.abort_with_status(
                    rpc_status.to_status(
                        status_pb2.Status(
                            code=code_pb2.INTERNAL,
                            message=KIT_CATALOG.render("error.internal", "en"),
                            details=[
                                _pack(
                                    error_details_pb2.LocalizedMessage(
                                        locale=lang, message=KIT_CATALOG.render("error.internal", lang)
                                    )
                                )
                            ],
                        )
                    )
                )
            finally:
                metrics.GRPC_HANDLED.labels(grpc_service, grpc_method, code.name).inc()
                metrics.GRPC_DURATION.labels(grpc_service, grpc_method).observe(time.perf_counter() - started)
                request_language.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


@dataclass(frozen=True)
class Servicer:
    """One gRPC service to serve: the generated `add_<X>Servicer_to_server` function, the
    implementation, and the service's descriptor (`<module>_pb2.DESCRIPTOR.services_by_name[...]`)."""

    add: Callable[[Any, grpc.Server], None]
    implementation: object
    descriptor: ServiceDescriptor


class ApiServer:
    """Builds and runs a service's gRPC server, with health and reflection for every servicer."""

    def __init__(
        self,
        config: ServiceConfig,
        catalog: Catalog,
        servicers: Iterable[Servicer],
        *,
        max_workers: int = 16,
        bind: str | None = None,
        interceptors: Sequence[grpc.ServerInterceptor] = (),
        access_tokens: TokenVerifier | None = None,
    ) -> None:
        self.config = config
        # Who a request acts for is checked here, with identity's published keys (identity itself
        # passes a verifier over its own key ring).
        self.access_tokens = access_tokens or TokenVerifier(
            identity_keys(service_address("identity"), configured=os.environ.get("ACCESS_TOKEN_JWKS", "")),
            issuer=config.token_issuer,
            audience=config.token_audience,
            token_type="access",
        )
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{config.service}-api"),
            interceptors=[
                TandemInterceptor(Catalog({**KIT_CATALOG.messages, **catalog.messages}), f"tandem.{config.service}"),
                # Inside the TandemInterceptor, so their refusals become statuses like any other.
                ActorInterceptor(self.access_tokens),
                *interceptors,
            ],
            # Two processes must never silently share a port.
            options=[("grpc.so_reuseport", 0)],
        )
        names = []
        for servicer in servicers:
            servicer.add(servicer.implementation, self.server)
            names.append(servicer.descriptor.full_name)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )
        self.names = names
        self.bind = bind or config.grpc_bind
        self.port = self.server.add_insecure_port(self.bind)
        if self.port == 0:
            raise RuntimeError(f"could not bind the gRPC server to {self.bind}")

    def start(self) -> None:
        self.server.start()
        for name in ["", *self.names]:
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC api listening", extra={"bind": self.bind})

    def stop(self, grace: float = 5.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then drain."""
        metrics.serve_metrics(self.config.api_metrics_port, self.config.metrics_bind)
        self.start()
        done = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            done.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        done.wait()
        self.stop()
