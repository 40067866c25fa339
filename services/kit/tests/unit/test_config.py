"""ServiceConfig.from_env: defaults that run on one machine, overrides from the environment."""

from __future__ import annotations

import pytest

from tandem_kit.config import (
    DEFAULT_AMQP_URI,
    DEFAULT_MONGO_URI,
    SERVICES,
    ConfigError,
    ServiceConfig,
    service_address,
)


def test_defaults_run_on_one_machine() -> None:
    config = ServiceConfig.from_env("profiles", {})

    assert config.service == "profiles"
    assert config.mongo_uri == DEFAULT_MONGO_URI
    assert config.database == "tandem_profiles"
    assert config.amqp_uri == DEFAULT_AMQP_URI
    assert config.grpc_bind == "127.0.0.1:50052"
    assert config.api_metrics_port == 9102
    assert config.worker_metrics_port == 9202
    assert config.retry_delays_ms == (200, 1000, 5000)
    assert config.max_event_attempts == 4
    assert config.log_level == "INFO"
    assert config.metrics_bind == "127.0.0.1"


def test_no_two_services_share_a_default_port() -> None:
    configs = [ServiceConfig.from_env(s, {}) for s in SERVICES]
    ports = [int(c.grpc_bind.rsplit(":", 1)[1]) for c in configs]
    ports += [c.api_metrics_port for c in configs] + [c.worker_metrics_port for c in configs]

    assert len(ports) == len(set(ports)) == 3 * len(SERVICES)


def test_default_service_address_is_where_the_service_listens() -> None:
    for service in SERVICES:
        assert service_address(service, {}) == ServiceConfig.from_env(service, {}).grpc_bind


def test_per_service_mongo_uri_beats_the_shared_one() -> None:
    env = {"MONGO_URI": "mongodb://shared:27017/", "PROFILES_MONGO_URI": "mongodb://profiles-own:27017/"}

    assert ServiceConfig.from_env("profiles", env).mongo_uri == "mongodb://profiles-own:27017/"
    assert ServiceConfig.from_env("matching", env).mongo_uri == "mongodb://shared:27017/"


def test_per_service_amqp_uri_beats_the_shared_one() -> None:
    env = {"AMQP_URI": "amqp://shared/", "REFERRALS_AMQP_URI": "amqp://referrals-own/"}

    assert ServiceConfig.from_env("referrals", env).amqp_uri == "amqp://referrals-own/"
    assert ServiceConfig.from_env("identity", env).amqp_uri == "amqp://shared/"


def test_empty_variable_counts_as_unset() -> None:
    env = {"MONGO_URI": "mongodb://shared:27017/", "PROFILES_MONGO_URI": "", "PROFILES_API_METRICS_PORT": ""}

    config = ServiceConfig.from_env("profiles", env)

    assert config.mongo_uri == "mongodb://shared:27017/"
    assert config.api_metrics_port == 9102


def test_database_name_takes_the_prefix_unless_overridden() -> None:
    assert ServiceConfig.from_env("matching", {"TANDEM_DB_PREFIX": "ci42"}).database == "ci42_matching"
    assert ServiceConfig.from_env("matching", {"MATCHING_MONGO_DB": "elsewhere"}).database == "elsewhere"


def test_retry_delays_set_the_number_of_attempts() -> None:
    config = ServiceConfig.from_env("matching", {"TANDEM_EVENT_RETRY_DELAYS_MS": "10, 20"})

    assert config.retry_delays_ms == (10, 20)
    assert config.max_event_attempts == 3


@pytest.mark.parametrize("variable", ["IDENTITY_API_METRICS_PORT", "IDENTITY_WORKER_METRICS_PORT"])
def test_bad_integer_is_refused_naming_the_variable(variable: str) -> None:
    with pytest.raises(ConfigError, match=rf"{variable} must be an integer, got 'ninety'"):
        ServiceConfig.from_env("identity", {variable: "ninety"})


def test_bad_retry_delays_are_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="TANDEM_EVENT_RETRY_DELAYS_MS"):
        ServiceConfig.from_env("identity", {"TANDEM_EVENT_RETRY_DELAYS_MS": "200,soon"})


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown service 'billing'"):
        ServiceConfig.from_env("billing", {})


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_GRPC_BIND", "0.0.0.0:6000")

    assert ServiceConfig.from_env("notifications").grpc_bind == "0.0.0.0:6000"


def test_nameko_config_names_the_service_and_broker() -> None:
    config = ServiceConfig.from_env("referrals", {"AMQP_URI": "amqp://broker/"})

    nameko = config.nameko_config()

    assert nameko["AMQP_URI"] == "amqp://broker/"
    assert nameko["TANDEM_SERVICE"] == "referrals"
