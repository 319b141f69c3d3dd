"""deploy/ checked by the real tools (promtool, amtool) and against the code it configures."""

from __future__ import annotations

import re
import shutil
import subprocess
import typing
from pathlib import Path

import orjson
import pytest
import yaml
from pydantic import BaseModel

from exporters.dashboards import build_dashboards
from stream.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: apt-get install prometheus prometheus-alertmanager")
    return path


def _run(*args: str | Path) -> str:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_prometheus_config_and_rules_are_valid():
    promtool = _tool("promtool")
    out = _run(promtool, "check", "config", DEPLOY / "prometheus" / "prometheus.yml")
    assert "SUCCESS" in out
    assert "12 rules found" in _run(
        promtool, "check", "rules", *sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
    )


def test_every_alert_rule_has_firing_and_quiet_unit_tests():
    promtool = _tool("promtool")
    tests = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
    assert "SUCCESS" in _run(promtool, "test", "rules", *tests)
    rules = {
        rule["alert"]
        for path in (DEPLOY / "prometheus" / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    fires, quiet = set(), set()
    for path in tests:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    assert rules == fires == quiet


def test_alertmanager_config_is_valid():
    out = _run(_tool("amtool"), "check-config", DEPLOY / "alertmanager" / "alertmanager.yml")
    assert "SUCCESS" in out


def test_committed_dashboards_are_the_generated_ones():
    committed = {
        p.name: orjson.loads(p.read_bytes())
        for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")
    }
    assert committed == build_dashboards(), "run `finsentry dashboards` and commit the JSON"
    uids = {
        ds["uid"]
        for ds in yaml.safe_load(
            (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
        )["datasources"]
    }
    for model in committed.values():
        for panel in model["panels"]:
            assert panel["datasource"]["uid"] in uids, panel["title"]


def _setting_exists(name: str) -> bool:
    """Whether ``FINSENTRY_A__B`` names a field of ``Settings`` (which ignores unknown ones)."""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("FINSENTRY_").lower().split("__")
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if i < len(parts) - 1:
            inner = [
                a
                for a in typing.get_args(field.annotation) or (field.annotation,)
                if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            if not inner:
                return False
            model = inner[0]
    return True


def test_compose_and_kubernetes_settings_exist_and_probes_match_the_worker():
    texts = [(DEPLOY / "compose.yaml").read_text()]
    texts += [p.read_text() for p in (DEPLOY / "k8s").glob("*.yaml")]
    names = {n for text in texts for n in re.findall(r"\bFINSENTRY_[A-Z0-9_]+", text)}
    assert len(names) > 10
    assert not [n for n in names if not _setting_exists(n)]
    assert not _setting_exists("FINSENTRY_KAFKA__NO_SUCH_THING")  # the check can fail

    config = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())["data"]
    deployment = yaml.safe_load((DEPLOY / "k8s" / "deployment.yaml").read_text())
    spec = deployment["spec"]
    assert spec["replicas"] <= int(config["FINSENTRY_KAFKA__TOPICS__PARTITIONS"])
    container = spec["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"][0]["containerPort"] == int(config["FINSENTRY_METRICS__PORT"])

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["worker"]["deploy"]["replicas"] <= int(
        compose["x-finsentry-env"]["FINSENTRY_KAFKA__TOPICS__PARTITIONS"]
    )
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in prom["scrape_configs"] if j["job_name"] == "finsentry")
    assert job["dns_sd_configs"][0]["port"] == Settings().metrics.port
