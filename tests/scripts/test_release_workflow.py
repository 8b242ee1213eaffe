""".github/workflows/release.yml cannot run here; these checks keep it in
step with what it publishes: a version tag triggers it, the image is built
from ./Dockerfile for amd64 and arm64 and pushed under the chart's default
image.repository, and the chart is packaged with the tag's version as its
appVersion (the chart's default image tag), so the chart installs the
image the same release pushed (docs/image.md).
"""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
VALUES = REPO / "charts" / "snug" / "values.yaml"


@pytest.fixture(scope="module")
def workflow():
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads `on` as true
    return doc


def steps_using(workflow, action):
    return [s for job in workflow["jobs"].values() for s in job["steps"]
            if s.get("uses", "").split("@")[0] == action]


def test_runs_on_version_tags_only(workflow):
    assert workflow["on"] == {"push": {"tags": ["v*.*.*"]}}


def test_builds_both_platforms_from_the_dockerfile(workflow):
    (build,) = steps_using(workflow, "docker/build-push-action")
    w = build["with"]
    assert w["context"] == "." and "file" not in w  # ./Dockerfile
    assert set(w["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert w["push"] is True
    assert w["tags"].startswith("${{ env.IMAGE }}:")
    assert steps_using(workflow, "docker/setup-qemu-action"), "arm64 needs QEMU on amd64 runners"


def test_image_is_the_charts_default(workflow):
    if not VALUES.exists():
        pytest.skip("charts/snug/values.yaml not there yet")
    values = yaml.safe_load(VALUES.read_text())
    assert workflow["env"]["IMAGE"] == values["image"]["repository"]
    assert not values["image"].get("tag"), "a fixed tag would not follow appVersion"


def test_chart_packaged_with_the_tags_version(workflow):
    runs = " ".join(s.get("run", "") for s in workflow["jobs"]["chart"]["steps"])
    assert 'helm package charts/snug --version "$VERSION" --app-version "$VERSION"' in runs
    assert 'helm push "dist/snug-$VERSION.tgz" "$CHARTS"' in runs
    assert workflow["jobs"]["chart"]["needs"] == "image"
