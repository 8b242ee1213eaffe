""".github/workflows/release.yml and the Dockerfile cannot run here; these
checks keep them in step with what they publish: a version tag triggers the
workflow, the image is built from ./Dockerfile for amd64 and arm64 and
pushed under the chart's default image.repository, and the chart is packaged
with the tag's version as its appVersion (the chart's default image tag), so
the chart installs the image the same release pushed; the Dockerfile's
runtime stage is the directory scripts/image-rootfs.sh makes, which
tests/e2e/test_image.py runs (docs/image.md).
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


def test_dockerfile_runtime_stage_is_the_scripts_directory():
    """What tests/e2e/test_image.py runs is what the image holds: the build
    stage assembles /rootfs with scripts/image-rootfs.sh from both binaries,
    and the runtime stage is that directory on scratch, as 65532."""
    text = (REPO / "Dockerfile").read_text()
    lines = [ln.strip() for ln in text.replace("\\\n", " ").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    froms = [i for i, ln in enumerate(lines) if ln.startswith("FROM ")]
    assert len(froms) == 2, froms
    build, runtime = lines[froms[0]:froms[1]], lines[froms[1]:]
    assert build[0].endswith(" AS build")
    run = " ".join(build)
    assert "ninja -C /build snug-webhook snug-controller" in run
    assert "scripts/image-rootfs.sh /rootfs /build/snug-webhook /build/snug-controller" in run
    assert runtime[:3] == ["FROM scratch", "COPY --from=build /rootfs/ /", "USER 65532:65532"]
    assert not any(ln.split()[0] in ("RUN", "COPY", "ADD") for ln in runtime[3:]), runtime
