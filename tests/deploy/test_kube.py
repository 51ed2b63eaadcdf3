"""`spin kube scaffold`: the manifests pass the Kubernetes schemas (offline, strict), and each
Deployment's container command and environment, run here as a pod would run them against the
app pushed to a real registry, serves: the HTTP one answers its readiness probe path, the Redis
one reports ready through its probe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import redis
import yaml

from spin.deploy.yaml_text import documents
from tests.support import RedisServer, RunningExecutor, free_port, run_spin, wait_for
from tests.up.test_cli import assert_clean_failure

#: Where the pods write (an emptyDir): mapped to a directory of the test when run here.
POD_WRITABLE = "/var/spin"
EMPTY_WASM = b"\0asm\1\0\0\0"


def scaffold(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_spin("kube", "scaffold", *args, cwd=cwd, env=dict(os.environ))


def scaffolded(source: str, *args: str, cwd: Path) -> list[dict[str, Any]]:
    """The objects `spin kube scaffold --from source` writes, each checked against the
    Kubernetes schemas of the newest version kubernetes-validate bundles, strictly (an unknown
    field is an error)."""
    out = cwd / "k8s.yaml"
    result = scaffold("--from", source, "-o", str(out), *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    objects = list(yaml.safe_load_all(out.read_text()))
    for obj in objects:
        kubernetes_validate.validate(obj, kubernetes_validate.latest_version(), strict=True)
    return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_the_manifests_pass_the_kubernetes_schemas(demo: Path) -> None:
    args = ["--max-replicas", "6", "--shutdown-timeout", "25"]
    objects = scaffolded(str(demo.parent), *args, cwd=demo.parent)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Deployment",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
        ]
    )
    deployments = by_kind(objects, "Deployment")
    http = deployments["three-triggers-http"]["spec"]
    assert http["replicas"] == 2 and http["strategy"] == {"type": "RollingUpdate"}
    for single in ("three-triggers-redis", "three-triggers-timer"):
        spec = deployments[single]["spec"]
        assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] == 25
        assert {"name": "SPIN_SHUTDOWN_GRACE", "value": "24"} in container(deployment)["env"]
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["three-triggers-http"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    service = by_kind(objects, "Service")["three-triggers-http"]["spec"]
    assert (
        service["selector"] == deployments["three-triggers-http"]["spec"]["selector"]["matchLabels"]
    )
    config = by_kind(objects, "ConfigMap")["three-triggers-variables"]
    assert config["data"] == {"SPIN_VARIABLE_REDIS_PORT": "6379"}


class Pod:
    """A Deployment's container run here as the kubelet runs it: its command (with `spin` this
    venv's, the emptyDir in a test directory, a free port for the container port) and its
    environment (`env`, then the ConfigMaps of `envFrom`)."""

    def __init__(
        self, deployment: dict[str, Any], objects: list[dict[str, Any]], work: Path
    ) -> None:
        spec = container(deployment)
        [port] = spec["ports"]
        self.port = free_port()
        self.writable = work / "var-spin"
        self.writable.mkdir(parents=True)
        replacements = {
            f":{port['containerPort']}": f":{self.port}",
            POD_WRITABLE: str(self.writable),
        }
        command = [self._local(arg, replacements) for arg in spec["command"]]
        assert command[0] == "spin"
        command[0] = str(Path(sys.executable).with_name("spin"))
        maps = by_kind(objects, "ConfigMap")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY"))}
        for source in spec.get("envFrom", []):
            env.update(maps[source["configMapRef"]["name"]]["data"])
        env.update({e["name"]: self._local(e["value"], replacements) for e in spec["env"]})
        self.env = env
        self.command = command
        self.probes = {
            kind: spec[kind]["httpGet"]["path"] for kind in ("readinessProbe", "livenessProbe")
        }
        self.grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]

    @staticmethod
    def _local(text: str, replacements: dict[str, str]) -> str:
        for pod_value, here in replacements.items():
            text = text.replace(pod_value, here)
        return text

    def start(self, work: Path, **env: str) -> RunningExecutor:
        return RunningExecutor(self.command, work, env={**self.env, **env}, name="pod")

    def probe(self, kind: str) -> int:
        try:
            url = f"http://127.0.0.1:{self.port}{self.probes[kind]}"
            return httpx.get(url, timeout=5).status_code
        except httpx.TransportError:
            return 0


def run_until_ready(pod: Pod, work: Path, **env: str) -> RunningExecutor:
    running = pod.start(work, **env)
    wait_for(
        lambda: pod.probe("readinessProbe") == 200 or running.process.poll() is not None,
        timeout=60,
        what="the readiness probe",
    )
    assert running.process.poll() is None, running.stderr()
    assert pod.probe("livenessProbe") == 200
    return running


def stop_within_grace(running: RunningExecutor, pod: Pod) -> None:
    """SIGTERM, as the kubelet sends it; the executor must be gone before the grace period."""
    running.process.send_signal(signal.SIGTERM)
    assert running.wait_exit(timeout=pod.grace) == 0, running.stderr()


def test_the_http_deployment_runs_from_the_registry_and_answers_its_readiness_probe(
    pushed_demo: str, tmp_path: Path
) -> None:
    objects = scaffolded(pushed_demo, "--insecure", cwd=tmp_path)
    http = container(by_kind(objects, "Deployment")["three-triggers-http"])
    assert (
        http["command"][:4] == ["spin", "up", "-f", pushed_demo] and "--insecure" in http["command"]
    )
    pod = Pod(by_kind(objects, "Deployment")["three-triggers-http"], objects, tmp_path)
    assert pod.probes["readinessProbe"] == "/.well-known/spin/health"
    running = run_until_ready(pod, tmp_path)
    try:
        page = httpx.get(f"http://127.0.0.1:{pod.port}/", timeout=10)
        assert page.status_code == 200
        assert (pod.writable / "up" / "spin.lock").exists()  # the lock went to the emptyDir
        # and the app was pulled into the pod's emptyDir, not found in the test's cache
        assert list((pod.writable / "data" / "registry" / "apps").iterdir())
        stop_within_grace(running, pod)
    finally:
        running.close()


def test_the_redis_deployment_runs_from_the_registry_and_reports_ready_through_its_probe(
    pushed_demo: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    objects = scaffolded(pushed_demo, "--insecure", cwd=tmp_path)
    pod = Pod(by_kind(objects, "Deployment")["three-triggers-redis"], objects, tmp_path)
    assert pod.probes == {"readinessProbe": "/ready", "livenessProbe": "/live"}
    # the ConfigMap's redis_port, edited as a user would for their Redis
    running = run_until_ready(pod, tmp_path, SPIN_VARIABLE_REDIS_PORT=str(redis_server.port))
    try:
        client = redis.Redis(port=redis_server.port)
        assert dict(client.pubsub_numsub("messages"))[b"messages"] == 1
        client.publish("messages", "from a pod")
        log = pod.writable / "state" / "logs" / "echo_stdout.txt"
        wait_for(lambda: log.exists() and "from a pod" in log.read_text(), what="echo's output")
        stop_within_grace(running, pod)
    finally:
        running.close()


def write_app(directory: Path, manifest: str, wasm: bytes = EMPTY_WASM) -> Path:
    """An app directory: its spin.toml and the app.wasm every component of it runs."""
    directory.mkdir()
    (directory / "app.wasm").write_bytes(wasm)
    (directory / "spin.toml").write_text(f"spin_manifest_version = 2\n{manifest}")
    return directory


def store_app(directory: Path) -> Path:
    """An HTTP and a Redis component sharing the default key-value store; a secret variable."""
    return write_app(
        directory,
        '[application]\nname = "Store_App"\n'
        "[variables]\ntoken = { required = true, secret = true }\n"
        '[[trigger.http]]\nroute = "/..."\ncomponent = "web"\n'
        '[[trigger.redis]]\naddress = "redis://127.0.0.1:6379"\nchannel = "c"\ncomponent = "w"\n'
        '[component.web]\nsource = "app.wasm"\nkey_value_stores = ["default"]\n'
        '[component.w]\nsource = "app.wasm"\n',
    )


def padded_wasm(size: int) -> bytes:
    """A valid empty module of `size` bytes and a little more: one custom section of zeros."""
    body = b"\x03pad" + bytes(size)
    length, rest = bytearray(), len(body)
    while True:
        length.append(rest & 0x7F | (0x80 if rest >> 7 else 0))
        rest >>= 7
        if not rest:
            break
    return EMPTY_WASM + b"\0" + bytes(length) + body


def memory_limit_mib(tmp_path: Path, wasm: bytes) -> int:
    app = write_app(
        tmp_path / f"app-{len(wasm)}",
        '[application]\nname = "web"\n[[trigger.http]]\nroute = "/..."\ncomponent = "web"\n'
        '[component.web]\nsource = "app.wasm"\n',
        wasm,
    )
    [deployment] = by_kind(scaffolded(str(app), cwd=tmp_path), "Deployment").values()
    limit = container(deployment)["resources"]["limits"]["memory"]
    assert limit.endswith("Mi")
    return int(limit[:-2])


def test_the_memory_limit_holds_a_first_start_compiling_its_largest_component(
    tmp_path: Path,
) -> None:
    """A pod's first start compiles (its cache is an emptyDir): compiling a 37.5 MB
    componentize-py component peaked at 425-448 MB, beyond what serving needs."""
    serving = memory_limit_mib(tmp_path, EMPTY_WASM)
    assert serving == 32 + 2 * 2 * 64  # the executor and --wasm-workers-max (2 x 2) workers
    sdk_sized = memory_limit_mib(tmp_path, padded_wasm(40 * 1024 * 1024))
    assert sdk_sized >= 32 + 64 + 448 * 40 / 37.5  # the executor, a worker, the compiler


def test_a_long_app_name_gives_the_service_and_autoscaler_the_deployments_name(
    demo: Path, tmp_path: Path
) -> None:
    """Object names are cut to a DNS label (63 characters): each Deployment keeps its type at
    the end (one name per type), and the Service and the autoscaler's target name it as cut."""
    long_name = "a-very-long-application-name-" * 3  # 87 characters
    demo.write_text(demo.read_text().replace('name = "three-triggers"', f'name = "{long_name}"'))
    objects = scaffolded(str(demo), "--max-replicas", "4", cwd=tmp_path)
    [deployment] = [n for n in by_kind(objects, "Deployment") if n.endswith("http")]
    assert len(deployment) <= 63 and not deployment.endswith("-")
    assert list(by_kind(objects, "Service")) == [deployment]
    autoscaler = by_kind(objects, "HorizontalPodAutoscaler")[deployment]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == deployment
    workloads = [o for o in objects if o["kind"] in ("Deployment", "Service")]
    assert all(len(o["metadata"]["name"]) <= 63 for o in workloads)  # a Service's must be
    assert len(by_kind(objects, "Deployment")) == 3  # http, timer, redis: three names


def test_an_app_whose_files_use_globs_and_exclude_files_is_scaffolded(tmp_path: Path) -> None:
    """The export locks the app as `spin up` does (files copied), so `files` that only a copy
    can mount (a glob, exclude_files) do not stop it."""
    from tests.manifests import copy_app

    manifest = copy_app("multi-type", tmp_path / "app")
    result = scaffold("--from", str(manifest), "--allow-local-stores", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "multi-type-http" in by_kind(list(yaml.safe_load_all(result.stdout)), "Deployment")


def test_a_store_that_pods_would_split_is_refused_unless_shared(tmp_path: Path) -> None:
    app = store_app(tmp_path / "app")
    refused = scaffold("--from", str(app), cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert (
        "Cannot split the key-value store 'default' (used by 'web') across pods" in refused.stderr
    )
    assert "each replica would have its own file" in refused.stderr
    assert '[key_value_store.default]` with `type = "redis"`' in refused.stderr

    one = scaffold("--from", str(app), "--replicas", "1", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "its data is lost whenever the pod is replaced" in one.stderr

    runtime_config = tmp_path / "runtime-config.toml"
    runtime_config.write_text(
        '[key_value_store.default]\ntype = "redis"\nurl = "redis://kv:6379"\n'
    )
    shared = scaffold(
        "--from", str(app), "--runtime-config-file", str(runtime_config), cwd=tmp_path
    )
    assert shared.returncode == 0, shared.stderr
    objects = list(yaml.safe_load_all(shared.stdout))
    for obj in objects:
        kubernetes_validate.validate(obj, kubernetes_validate.latest_version(), strict=True)
    secret = by_kind(objects, "Secret")["store-app-runtime-config"]
    assert secret["stringData"]["runtime-config.toml"] == runtime_config.read_text()
    http = container(by_kind(objects, "Deployment")["store-app-http"])
    assert "/etc/spin/runtime-config.toml" in http["command"]
    assert {"secretRef": {"name": "store-app-secrets"}} in http["envFrom"]
    assert "kubectl create secret generic store-app-secrets" in shared.stderr
    assert "--from-literal=SPIN_VARIABLE_TOKEN=..." in shared.stderr


#: Bad input: (arguments after `--from <demo>`, what the one-paragraph error says). {demo} is
#: the demo's manifest.
ERROR_CASES = [
    (["--run-from", "app/spin.toml"], ["--run-from 'app/spin.toml'", "absolute path"]),
    (["--run-from", "::bad"], ["--run-from '::bad'", "registry reference"]),
    (["--replicas", "3", "--max-replicas", "2"], ["--max-replicas 2 is below --replicas 3"]),
    (["--cpu-target", "50"], ["--cpu-target 50", "Add --max-replicas N"]),
    (["--image", ""], ["--image is empty", "Containerfile"]),
    (["-o", "/nonexistent/k8s.yaml"], ["Cannot write /nonexistent/k8s.yaml", "-o"]),
]


@pytest.mark.parametrize(("args", "expected"), ERROR_CASES)
def test_bad_input_is_one_clear_error(
    demo: Path, tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    assert_clean_failure(scaffold("--from", str(demo), *args, cwd=tmp_path), *expected)


def test_a_missing_app_is_named(tmp_path: Path) -> None:
    result = scaffold("--from", str(tmp_path / "nothing"), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"No such file or directory: {tmp_path / 'nothing'}" in result.stderr


@pytest.mark.parametrize(
    "value",
    ["plain", "yes", "No", "null", "~", "1.5", "010", "-f", "a: b", "#x", "x #y", "", " lead",
     "tab\there", "two\nlines\n", "no final\nnewline", "trailing\n\n", "quote\"s", "0.0.0.0:3000",
     "unicode é", "@at", "*star", "&amp", "!bang", "%pct", "{x}", "[y]", "|", ">"],
)  # fmt: skip
def test_yaml_text_reads_back_as_written(value: str) -> None:
    tree = {"kind": value, "list": [value, {"k": value, "n": [1, True, None]}], value: 3}
    assert yaml.safe_load(documents([tree]).removeprefix("---\n")) == tree
