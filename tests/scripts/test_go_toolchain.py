"""Which Go builds the test control plane, and fetching one when PATH has
none new enough: scripts/go-toolchain.sh and `tests/e2e/controlplane.sh
toolchain` (the step `controlplane.sh build` runs before compiling).

Every test runs the scripts with a PATH that holds no Go (the system
directories, with a shadow copy of any that has one), with a HOME of its own
(nothing may be written there) and, unless it says otherwise, a cold
SNUG_CACHE_DIR. Toolchains are fetched from a module proxy made on disk
(GOPROXY=file://...) holding fake toolchain zips, so the whole fetch path
(download, checksum, unpack, execute bits, publish) runs offline; one test
fetches the real pinned toolchain into the real cache (skipped when
SNUG_TEST_OFFLINE=1).
"""

import base64
import hashlib
import os
import platform
import re
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GO_TOOLCHAIN = REPO / "scripts" / "go-toolchain.sh"
CONTROLPLANE = REPO / "tests" / "e2e" / "controlplane.sh"
SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

PINNED = re.search(r"^GO_VERSION=\$\{SNUG_GO_VERSION:-(go[0-9.]+)\}$",
                   GO_TOOLCHAIN.read_text(), re.M).group(1)
ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine())
PLAT = "linux-%s" % ARCH
FAKE = "go1.99.1"  # a version nothing pins: its hash comes from the lookup


@pytest.fixture(scope="session")
def nogo_path(tmp_path_factory):
    """The system PATH without any `go`: a directory holding one is replaced
    by a shadow directory of symlinks to everything else in it."""
    dirs = []
    for d in SYSTEM_PATH:
        if not os.path.isdir(d):
            continue
        if os.path.lexists(os.path.join(d, "go")):
            shadow = tmp_path_factory.mktemp("nogo" + d.replace("/", "-"))
            for name in os.listdir(d):
                if name != "go":
                    os.symlink(os.path.join(d, name), shadow / name)
            d = str(shadow)
        dirs.append(d)
    path = ":".join(dirs)
    assert not any(os.access(os.path.join(d, "go"), os.X_OK) for d in dirs), path
    return path


@pytest.fixture
def env(nogo_path, tmp_path):
    """Environment of a test: no Go on PATH, a cold cache, its own HOME."""
    home = tmp_path / "home"
    home.mkdir()
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("GO") and k not in ("XDG_CONFIG_HOME", "SNUG_GO_VERSION")}
    e.update(PATH=nogo_path, HOME=str(home), SNUG_CACHE_DIR=str(tmp_path / "cache"))
    return e


def fake_go(directory, goversion, works=True):
    """A `go` that reports GOVERSION `goversion` (or fails to run)."""
    directory.mkdir(parents=True, exist_ok=True)
    go = directory / "go"
    body = 'echo "%s"' % goversion if works else "exit 2"
    go.write_text('#!/bin/sh\nif [ "$1 $2" = "env GOVERSION" ]; then %s; exit; fi\n'
                  'echo "fake go: $*" >&2\nexit 3\n' % body)
    go.chmod(0o755)
    return go


def run(args, env, check=None):
    p = subprocess.run(["bash", *map(str, args)], env=env, capture_output=True, text=True,
                       timeout=600)
    if check is True:
        assert p.returncode == 0, p.stderr
    elif check is False:
        assert p.returncode != 0, p.stdout + p.stderr
    return p


def decide(env):
    p = run([GO_TOOLCHAIN, "decide"], env, check=True)
    return p.stdout.split(), p.stderr


def toolchain_dir(env, version=PINNED):
    return Path(env["SNUG_CACHE_DIR"]) / "go" / ("%s.%s" % (version, PLAT))


def nothing_in_home(env):
    left = sorted(str(p) for p in Path(env["HOME"]).rglob("*"))
    assert left == [], left


# ---- the decision -------------------------------------------------------------


def test_no_go_on_path_cold_cache_decides_fetch(env):
    got, err = decide(env)
    assert got == ["fetch", str(toolchain_dir(env) / "bin" / "go"), PINNED], err
    assert "no go on PATH" in err
    nothing_in_home(env)


@pytest.mark.parametrize("goversion,source", [
    ("go1.19.8", "fetch"),  # Debian 12's golang-go
    ("go1.23.12", "fetch"),
    ("go1.24rc1", "fetch"),  # a release candidate of the minimum is older than it
    ("go1.24", "path"),
    ("go1.24.0", "path"),
    ("go1.26.8", "path"),
    ("devel go1.27-0123abc Tue Dec 1 00:00:00 2026 +0000", "path"),
    ("go2.0.0", "path"),
])
def test_go_on_path_used_when_new_enough(env, tmp_path, goversion, source):
    go = fake_go(tmp_path / "gobin", goversion)
    env["PATH"] = "%s:%s" % (go.parent, env["PATH"])
    got, err = decide(env)
    if source == "path":
        assert got[:2] == ["path", str(go)], err
        assert " ".join(got[2:]) == goversion
    else:
        assert got == ["fetch", str(toolchain_dir(env) / "bin" / "go"), PINNED], err
        assert "%s on PATH (%s) is too old (need >= go1.24)" % (goversion, go) in err


def test_go_on_path_that_does_not_run_is_skipped(env, tmp_path):
    go = fake_go(tmp_path / "gobin", "", works=False)
    env["PATH"] = "%s:%s" % (go.parent, env["PATH"])
    got, err = decide(env)
    assert got[0] == "fetch", err
    assert "does not run" in err


def test_cached_toolchain_used_without_fetching(env):
    fake_go(toolchain_dir(env) / "bin", PINNED)
    env["GOPROXY"] = "off"  # a fetch would fail
    got, err = decide(env)
    assert got == ["cached", str(toolchain_dir(env) / "bin" / "go"), PINNED], err
    p = run([GO_TOOLCHAIN, "ensure"], env, check=True)
    assert p.stdout.split()[0] == "cached", p.stderr


def test_cached_toolchain_of_another_version_not_used(env):
    fake_go(toolchain_dir(env) / "bin", "go1.24.1")
    got, err = decide(env)
    assert got[0] == "fetch", err


# ---- fetching from a module proxy on disk -------------------------------------


def dirhash_h1(zip_path):
    """The module dirhash (h1:), computed here independently of the script."""
    lines = []
    with zipfile.ZipFile(zip_path) as z:
        for name in sorted(z.namelist()):
            lines.append("%s  %s\n" % (hashlib.sha256(z.read(name)).hexdigest(), name))
    digest = hashlib.sha256("".join(lines).encode()).digest()
    return "h1:" + base64.b64encode(digest).decode()


class Proxy:
    """A GOPROXY directory serving golang.org/toolchain zips and checksum
    database lookups (<proxy>/sumdb/sum.golang.org/lookup/...)."""

    def __init__(self, root):
        self.root = root
        self.url = "file://%s" % root

    def add(self, version, extra=(), h1=None):
        modver = "v0.0.1-%s.%s" % (version, PLAT)
        prefix = "golang.org/toolchain@%s/" % modver
        zpath = self.root / "golang.org" / "toolchain" / "@v" / (modver + ".zip")
        zpath.parent.mkdir(parents=True, exist_ok=True)
        go = ('#!/bin/sh\nif [ "$1 $2" = "env GOVERSION" ]; then echo %s; exit; fi\n'
              'echo "go version %s %s"\n' % (version, version, PLAT.replace("-", "/")))
        files = {
            "bin/go": go,
            "bin/gofmt": "#!/bin/sh\n",
            "pkg/tool/linux_%s/compile" % ARCH: "#!/bin/sh\n",
            "src/fmt/print.go": "package fmt\n",
            "VERSION": version + "\n",
        }
        with zipfile.ZipFile(zpath, "w") as z:  # module zips: no execute bits
            for name, text in files.items():
                z.writestr(prefix + name, text)
            for name, text in extra:
                z.writestr(name, text)
        h1 = h1 or dirhash_h1(zpath)
        lookup = self.root / "sumdb" / "sum.golang.org" / "lookup" / "golang.org" / (
            "toolchain@" + modver)
        lookup.parent.mkdir(parents=True, exist_ok=True)
        lookup.write_text(
            "1234\ngolang.org/toolchain %s %s\ngolang.org/toolchain %s/go.mod h1:x=\n\n"
            "go.sum database tree\n1235\nAAAA=\n\n" % (modver, h1, modver))
        return zpath, dirhash_h1(zpath)


@pytest.fixture
def proxy(tmp_path):
    return Proxy(tmp_path / "proxy")


def toolchain_env(out):
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def no_leftovers(env):
    cache = Path(env["SNUG_CACHE_DIR"]) / "go"
    assert not list(cache.glob(".fetch.*")), list(cache.iterdir())


@pytest.mark.parametrize("path_go", [None, "go1.19.8"], ids=["no-go", "too-old-go"])
def test_build_step_fetches_toolchain_into_cold_cache(env, proxy, tmp_path, path_go):
    """`controlplane.sh toolchain`, the build's first step, with no usable Go
    on PATH: the toolchain is fetched through GOPROXY, checked, unpacked with
    execute bits into the cache and used; Go's caches point into the cache."""
    if path_go:
        env["PATH"] = "%s:%s" % (fake_go(tmp_path / "old", path_go).parent, env["PATH"])
    _, h1 = proxy.add(FAKE)
    env.update(GOPROXY=proxy.url + ",direct", SNUG_GO_VERSION=FAKE)
    p = run([CONTROLPLANE, "toolchain"], env, check=True)
    got = toolchain_env(p.stdout)
    root = toolchain_dir(env, FAKE)
    cache = env["SNUG_CACHE_DIR"]
    assert got["GO_SOURCE"] == "fetched", p.stderr
    assert got["GO"] == str(root / "bin" / "go")
    assert got["GOVERSION"] == FAKE
    assert "fetching golang.org/toolchain@v0.0.1-%s.%s from %s" % (FAKE, PLAT, proxy.url) \
        in p.stderr
    assert "verified (%s)" % h1 in p.stderr
    for exe in ("bin/go", "bin/gofmt", "pkg/tool/linux_%s/compile" % ARCH):
        assert os.stat(root / exe).st_mode & 0o777 == 0o755, exe
    assert os.stat(root / "src/fmt/print.go").st_mode & stat.S_IXUSR == 0
    for var in ("GOPATH", "GOMODCACHE", "GOCACHE", "XDG_CONFIG_HOME"):
        assert got[var].startswith(cache + "/"), (var, got[var])
    assert "-modcacherw" in got["GOFLAGS"].split()
    assert got["GOTOOLCHAIN"] == "local"
    no_leftovers(env)
    nothing_in_home(env)
    # the next run finds it in the cache and fetches nothing
    env["GOPROXY"] = "off"
    again = toolchain_env(run([CONTROLPLANE, "toolchain"], env, check=True).stdout)
    assert again["GO_SOURCE"] == "cached"


def test_fetch_refuses_checksum_mismatch(env, proxy):
    proxy.add(FAKE, h1="h1:" + base64.b64encode(b"\0" * 32).decode())
    env.update(GOPROXY=proxy.url, SNUG_GO_VERSION=FAKE)
    p = run([CONTROLPLANE, "toolchain"], env, check=False)
    assert "checksum mismatch" in p.stderr, p.stderr
    assert not toolchain_dir(env, FAKE).exists()
    no_leftovers(env)


def test_pinned_hash_wins_over_the_lookup(env, proxy):
    """The pinned version is checked against its pinned hash: a proxy that
    serves another zip under its name (with a lookup to match) is refused."""
    proxy.add(PINNED)
    env["GOPROXY"] = proxy.url
    p = run([GO_TOOLCHAIN, "ensure"], env, check=False)
    assert "checksum mismatch" in p.stderr, p.stderr
    assert not toolchain_dir(env).exists()
    no_leftovers(env)


def test_fetch_refuses_names_outside_the_toolchain(env, proxy):
    evil = "golang.org/toolchain@v0.0.1-%s.%s/../../../evil" % (FAKE, PLAT)
    proxy.add(FAKE, extra=[(evil, "x")])
    env.update(GOPROXY=proxy.url, SNUG_GO_VERSION=FAKE)
    p = run([GO_TOOLCHAIN, "ensure"], env, check=False)
    assert "unexpected name in the zip" in p.stderr, p.stderr
    assert not toolchain_dir(env, FAKE).exists()
    assert not list(Path(env["SNUG_CACHE_DIR"]).parent.rglob("evil"))
    no_leftovers(env)


@pytest.mark.parametrize("var,value,message", [
    ("GOPROXY", "off", "GOPROXY=off"),
    ("GOPROXY", "direct", "comes only from a module proxy"),
    ("GOSUMDB", "off", "GOSUMDB=off"),
])
def test_fetch_refused_without_proxy_or_checksum(env, proxy, var, value, message):
    proxy.add(FAKE)
    env.update(GOPROXY=proxy.url, SNUG_GO_VERSION=FAKE)
    env[var] = value
    p = run([GO_TOOLCHAIN, "ensure"], env, check=False)
    assert message in p.stderr, p.stderr
    assert not toolchain_dir(env, FAKE).exists()


# ---- the real toolchain --------------------------------------------------------


@pytest.mark.skipif(os.environ.get("SNUG_TEST_OFFLINE") == "1", reason="SNUG_TEST_OFFLINE=1")
@pytest.mark.skipif(ARCH is None, reason="no Go toolchain pinned for this CPU")
def test_real_pinned_toolchain(env):
    """The pinned toolchain from the real module proxy, checked against its
    pinned hash, into the real cache (where the e2e build finds it): fetched
    on a machine that does not have it yet, found there afterwards."""
    env["SNUG_CACHE_DIR"] = os.environ.get("SNUG_CACHE_DIR",
                                           os.path.expanduser("~/.cache/snug"))
    for var in ("GOPROXY", "GOSUMDB"):
        if var in os.environ:
            env[var] = os.environ[var]
    p = run([GO_TOOLCHAIN, "ensure"], env, check=True)
    source, go, version = p.stdout.split()
    assert source in ("fetched", "cached"), p.stderr
    assert (go, version) == (str(toolchain_dir(env) / "bin" / "go"), PINNED)
    out = subprocess.run([go, "version"], env=dict(env, GOTOOLCHAIN="local"),
                         capture_output=True, text=True, check=True, cwd="/").stdout
    assert out.startswith("go version %s linux/%s" % (PINNED, ARCH)), out
