"""The deployment files parse and say what AIStore requires (contract §9.1): the runtime specs
name a valid ETL, a known communication type and an image; the pod spec has exactly one
container and one port named "default" with a readiness probe on it; the Dockerfile exposes 8000
and builds an example that exists."""
import os
import re

import pytest

yaml = pytest.importorskip("yaml")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEPLOY = os.path.join(ROOT, "deploy")


def load(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("name", ["etl-spec-hpush.yaml", "etl-spec-ws.yaml"])
def test_runtime_specs(name):
    spec = load(name)
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])", spec["name"]) and 6 <= len(spec["name"]) <= 32
    assert spec["communication"] in ("hpush://", "hpull://", "ws://")
    if spec["communication"] == "ws://":
        assert spec["support_direct_put"] is True  # AIS rejects ws:// without it
    assert spec["runtime"]["image"]
    for entry in spec["runtime"].get("env", []):
        assert set(entry) == {"name", "value"} and isinstance(entry["value"], str)


def test_pod_spec():
    pod = load("etl-pod-hpush.yaml")
    containers = pod["spec"]["containers"]
    assert len(containers) == 1
    ports = containers[0]["ports"]
    assert len(ports) == 1 and ports[0]["name"] == "default" and ports[0]["containerPort"] == 8000
    probe = containers[0]["readinessProbe"]["httpGet"]
    assert probe["path"] == "/health" and probe["port"] == "default"
    assert "affinity" not in pod["spec"]
    assert pod["metadata"]["annotations"]["communication_type"] in ("hpush://", "hpull://", "ws://")


def test_dockerfile_builds_an_existing_example():
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        text = f.read()
    assert "EXPOSE 8000" in text and "FROM debian:12" in text
    example = re.search(r"ARG EXAMPLE=(\S+)", text).group(1)
    assert os.path.exists(os.path.join(ROOT, "examples", example.replace("-", "_") + ".cpp"))
