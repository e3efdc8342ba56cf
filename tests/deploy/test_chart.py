"""The Helm chart renders, lints and validates against the Kubernetes schemas, and holds what a rollout relies
on: migrations before the pods, probes on the ports each role really serves, secrets only in Secrets."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.chart import (
    CHART,
    DEFAULT_VALUES,
    PRODUCTION_VALUES,
    containers,
    find,
    render,
    render_error,
    run_helm,
    setting_names,
)

KUBERNETES_VERSIONS = ("1.28.0", kubernetes_validate.utils.latest_version())
"""The oldest release Chart.yaml's kubeVersion admits, and the newest the validator knows."""

CUSTOM_RESOURCES = {("monitoring.coreos.com/v1", "ServiceMonitor")}
"""Kinds of operators, which the Kubernetes schemas do not describe: their fields are asserted below instead."""

SECRET_KEYS = {
    "RESONANCE_SECRET_KEY",
    "RESONANCE_DATABASE_URL",
    "RESONANCE_MIGRATION_DATABASE_URL",
    "RESONANCE_REDIS_URL",
    "RESONANCE_STRIPE_API_KEY",
    "RESONANCE_STRIPE_WEBHOOK_SECRET",
    "RESONANCE_OAUTH_CLIENTS",
    "RESONANCE_MAIL_URL",
}


@cache
def default_release() -> tuple[dict[str, Any], ...]:
    return tuple(render("-f", str(DEFAULT_VALUES)))


@cache
def production_release() -> tuple[dict[str, Any], ...]:
    return tuple(render("-f", str(PRODUCTION_VALUES)))


RELEASES = {"default": default_release, "production": production_release}


@pytest.mark.parametrize("values", [DEFAULT_VALUES, PRODUCTION_VALUES], ids=["default", "production"])
def test_the_chart_lints_strictly(values: Path) -> None:
    result = run_helm("lint", "--strict", str(CHART), "-f", str(values))
    assert result.returncode == 0, f"helm lint --strict failed:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes(release: str, version: str) -> None:
    problems = []
    for manifest in RELEASES[release]():
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_RESOURCES:
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message} at {error.path}")
    assert problems == [], "\n".join(problems)


def test_the_default_release_has_every_role_and_no_optional_extra() -> None:
    kinds = sorted((m["kind"], m["metadata"]["name"]) for m in default_release())
    for name in ("r-resonance-api", "r-resonance-worker", "r-resonance-scheduler"):
        assert ("Deployment", name) in kinds
    assert ("Job", "r-resonance-migrate") in kinds
    assert ("ConfigMap", "r-resonance") in kinds
    assert ("Secret", "r-resonance") in kinds
    assert not {kind for kind, _name in kinds} & {"Ingress", "HorizontalPodAutoscaler", "ServiceMonitor"}


def test_the_production_release_has_its_extras() -> None:
    manifests = production_release()
    assert find(list(manifests), "Ingress", "r-resonance")["spec"]["tls"][0]["secretName"] == "resonance-tls"
    for component in ("api", "worker"):
        autoscaler = find(list(manifests), "HorizontalPodAutoscaler", f"r-resonance-{component}")
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == f"r-resonance-{component}"
        # The autoscaler owns the count: a replicas field would fight it on every upgrade.
        assert "replicas" not in find(list(manifests), "Deployment", f"r-resonance-{component}")["spec"]
    assert find(list(manifests), "Deployment", "r-resonance-scheduler")["spec"]["replicas"] == 2


@pytest.mark.parametrize("release", RELEASES)
def test_the_migration_job_runs_before_the_rollout(release: str) -> None:
    job = find(list(RELEASES[release]()), "Job", "r-resonance-migrate")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
    (container,) = containers(job)
    assert container["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # It runs as the table owner, and before this release's Secret exists: its secrets come from a Secret that
    # is there already (the operator's), or from a hook Secret created just before it.
    references = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert "RESONANCE_MIGRATION_DATABASE_URL" in references
    secret_name = references["RESONANCE_MIGRATION_DATABASE_URL"]["name"]
    if release == "production":
        assert secret_name == "resonance-secrets"
    else:
        hook_secret = find(list(RELEASES[release]()), "Secret", secret_name)
        hook = hook_secret["metadata"]["annotations"]
        assert set(hook["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
        assert int(hook["helm.sh/hook-weight"]) < int(annotations.get("helm.sh/hook-weight", "0"))


@pytest.mark.parametrize("release", RELEASES)
def test_the_api_is_ready_when_ready_on_8000(release: str) -> None:
    (api,) = containers(find(list(RELEASES[release]()), "Deployment", "r-resonance-api"))
    ports = {port["name"]: port["containerPort"] for port in api["ports"]}
    assert ports == {"http": 8000, "metrics": 9100}
    assert api["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert api["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"name": "RESONANCE_SCHEDULER", "value": "false"} in api["env"]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("component", ["worker", "scheduler"])
def test_workers_and_schedulers_are_probed_on_the_metrics_port(release: str, component: str) -> None:
    (container,) = containers(find(list(RELEASES[release]()), "Deployment", f"r-resonance-{component}"))
    assert container["args"] == [component]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"metrics": 9100}, "the worker and the scheduler serve nothing on 8000"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        target = container[probe]["httpGet"]
        assert target["path"] == "/health"
        assert ports[target["port"]] == 9100
    assert {"name": "RESONANCE_METRICS_PORT", "value": "9100"} in container["env"]


@pytest.mark.parametrize("release", RELEASES)
def test_every_pod_runs_unprivileged_on_a_read_only_root(release: str) -> None:
    for manifest in RELEASES[release]():
        if manifest["kind"] not in {"Deployment", "Job"}:
            continue
        pod = manifest["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
            assert container["resources"]["requests"], f"{manifest['metadata']['name']} has no resource requests"


@pytest.mark.parametrize("release", RELEASES)
def test_no_secret_is_in_the_config_map(release: str) -> None:
    manifests = list(RELEASES[release]())
    config = find(manifests, "ConfigMap", "r-resonance")["data"]
    assert not set(config) & SECRET_KEYS
    secret_values = {
        value for m in manifests if m["kind"] == "Secret" for value in m.get("stringData", {}).values() if value
    }
    for m in manifests:
        if m["kind"] in {"ConfigMap", "Deployment", "Job"}:
            text = repr(m)
            assert not [value for value in secret_values if value in text], f"{m['kind']} {m['metadata']['name']}"


def test_secret_values_are_refused_in_the_config() -> None:
    error = render_error("-f", str(DEFAULT_VALUES), "--set", "config.RESONANCE_STRIPE_API_KEY=sk_live_x")
    assert "config.RESONANCE_STRIPE_API_KEY" in error
    assert "secrets" in error


def test_with_an_existing_secret_the_chart_renders_none() -> None:
    manifests = list(production_release())
    assert [m["metadata"]["name"] for m in manifests if m["kind"] == "Secret"] == []
    for m in manifests:
        if m["kind"] in {"Deployment", "Job"}:
            for container in containers(m):
                names = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
                assert names == {"resonance-secrets"}
            annotations = m["spec"]["template"]["metadata"].get("annotations", {})
            assert "checksum/secret" not in annotations


def test_the_services_never_get_the_table_owners_login() -> None:
    for component in ("api", "worker", "scheduler"):
        (container,) = containers(find(list(default_release()), "Deployment", f"r-resonance-{component}"))
        assert "RESONANCE_MIGRATION_DATABASE_URL" not in {e["name"] for e in container["env"]}


def test_a_config_change_rolls_the_pods() -> None:
    def checksum(*options: str) -> str:
        api = find(render("-f", str(DEFAULT_VALUES), *options), "Deployment", "r-resonance-api")
        return str(api["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() != checksum("--set", "config.RESONANCE_LOG_LEVEL=DEBUG")


def test_the_service_monitor_scrapes_every_role_on_the_metrics_port() -> None:
    manifests = list(production_release())
    monitor = find(manifests, "ServiceMonitor", "r-resonance")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [
        m
        for m in manifests
        if m["kind"] == "Service"
        and selector.items() <= m["metadata"]["labels"].items()
        and any(port["name"] == "metrics" and port["port"] == 9100 for port in m["spec"]["ports"])
    ]
    assert sorted(m["metadata"]["labels"]["app.kubernetes.io/component"] for m in scraped) == [
        "api",
        "scheduler",
        "worker",
    ]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("api.replicas=two", "api.replicas: Invalid type. Expected: integer, given: string"),
        ("worker.autoscaling.enabled=maybe", "worker.autoscaling.enabled: Invalid type. Expected: boolean"),
        ("api.replcas=2", "api: Additional property replcas is not allowed"),
        ("config.LOG_LEVEL=DEBUG", 'config: Property name of "LOG_LEVEL" does not match'),
    ],
)
def test_wrong_values_are_refused_with_a_sentence_naming_them(option: str, expected: str) -> None:
    assert expected in render_error("-f", str(DEFAULT_VALUES), "--set", option)


def test_missing_secrets_are_refused_with_what_to_set() -> None:
    error = render_error()
    assert "secrets.RESONANCE_SECRET_KEY is empty" in error
    assert "secrets.existingSecret" in error


def test_inline_secrets_beside_an_existing_secret_are_refused() -> None:
    error = render_error("-f", str(PRODUCTION_VALUES), "--set", "secrets.RESONANCE_SECRET_KEY=inline")
    assert "secrets.RESONANCE_SECRET_KEY is set inline although secrets.existingSecret" in error


def test_the_metrics_port_is_not_the_apis() -> None:
    assert "metrics.port is 8000" in render_error("-f", str(DEFAULT_VALUES), "--set", "metrics.port=8000")


@pytest.mark.parametrize("release", RELEASES)
def test_every_setting_the_chart_sets_is_one_resonance_reads(release: str) -> None:
    known = setting_names()
    manifests = list(RELEASES[release]())
    names = set(find(manifests, "ConfigMap", "r-resonance")["data"])
    for m in manifests:
        if m["kind"] == "Secret":
            names |= set(m.get("stringData", {}))
        if m["kind"] in {"Deployment", "Job"}:
            for container in containers(m):
                names |= {e["name"] for e in container.get("env", [])}
    names = {name for name in names if name.startswith("RESONANCE_")}
    assert names, "no RESONANCE_* variable found in the release"
    assert sorted(names - known) == [], "the chart sets variables tenants/settings.py does not read"
