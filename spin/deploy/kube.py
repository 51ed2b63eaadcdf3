"""`spin kube scaffold`: plain Kubernetes objects for an app, one Deployment per trigger type.

Not SpinKube's `SpinApp` custom resource (which needs SpinKube's operator and a containerd shim
in the cluster): Deployments, a Service, a HorizontalPodAutoscaler, a ConfigMap and Secrets that
any cluster runs, each pod running this project's executor image with
`spin up -f <app> --trigger-type <type> --exec`.

- HTTP scales out: several replicas behind a Service, optionally an autoscaler.
- Every other type (Redis, timer, cron, MQTT, ...) runs at one replica with `strategy: Recreate`:
  a Redis channel (pub/sub) delivers each message to every subscriber and a timer fires in each
  process that runs it, so two pods, even briefly during a rolling update, would handle each
  message or tick twice.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spin import __version__
from spin.deploy.app_source import AppToDeploy
from spin.deploy.stores import check_stores, store_uses
from spin.runtime.config import MEBIBYTE
from spin.runtime.services.runtime_config import load_runtime_config
from spin.supervisor.child import shutdown_grace

#: Types whose executors may run side by side on the same triggers (HTTP requests are each
#: served once, by whichever replica the Service picks).
SCALABLE_TYPES = frozenset({"http"})
HTTP_PORT = 3000
PROBE_PORT = 8081
#: An emptyDir for everything the executor writes: the lock (`--temp`), its state (compiled
#: Wasm cache, default stores, component logs), Spin's data directory (the registry pull cache)
#: and HOME; the root file system stays read-only.
WRITABLE_DIR = "/var/spin"
RUNTIME_CONFIG_DIR = "/etc/spin"
RUNTIME_CONFIG_NAME = "runtime-config.toml"
DEFAULT_IMAGE = f"spin-python-executors:{__version__}"
MANAGED_BY = "spin-kube-scaffold"

# Resources, from `make bench-footprint` (docs/operations.md, "Resource use", PSS alone of the
# idle demo): an executor 19-27 MB (timer 18.8, HTTP 23.8, Redis 26.8), a guest worker 25-26 MB.
#: Requested: the executor and one warm worker (27 + 26 MB), rounded up.
MEMORY_REQUEST_MIB = 64
#: Limit: the executor, plus per worker the measured ~25 MB and ~39 MiB for the guest's own
#: linear memory and compiled code (a guest that needs more wants --wasm-memory-limit and a
#: larger limit).
EXECUTOR_MIB, WORKER_LIMIT_MIB = 32, 64
#: A pod's first start compiles its components (the compiled-Wasm cache is in its emptyDir),
#: one at a time in a child of the first worker (`spin.runtime.compiler`), which peaks at
#: ~30 MiB plus ~12 times the component's size: 29 MB for a 1.4 KB module, 425-448 MB for a
#: 37.5 MB componentize-py component (`/usr/bin/time -f %M`). The limit holds that too, or
#: every new pod of an SDK app would be OOM-killed before it served.
COMPILE_BASE_MIB, COMPILE_PER_WASM_MIB = 30, 12
#: CPU requested: an idle tree used 0.05 s of CPU in 30 s; an HTTP replica under load uses its
#: workers' CPUs, and the autoscaler's utilisation is relative to this request.
CPU_REQUEST = {"http": "500m"}
CPU_REQUEST_OTHER = "50m"


@dataclass(frozen=True)
class KubeSettings:
    image: str = DEFAULT_IMAGE
    replicas: int = 2
    #: An autoscaler from `replicas` up to this many HTTP replicas; None: no autoscaler.
    max_replicas: int | None = None
    cpu_target: int = 70
    wasm_workers: int = 2
    shutdown_timeout: float = 10.0
    runtime_config: Path | None = None
    allow_local_stores: bool = False
    #: the pods pull the app from a plain-HTTP registry (`spin up --insecure`)
    insecure_registry: bool = False


@dataclass
class Scaffold:
    """The objects to apply, and what the user must know before applying them."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def dns_name(text: str) -> str:
    """A DNS-1123 label (what object names must be): lower case, digits and `-`, <= 63."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].rstrip("-")
    return name or "spin-app"


def workload_name(name: str, trigger_type: str) -> str:
    """The name of one trigger type's Deployment, and of the Service and autoscaler that
    refer to it: a DNS-1123 label, the app's name cut so that the type still ends it (cutting
    the whole would give every type of a long-named app one name)."""
    suffix = dns_name(trigger_type)
    return f"{name[: 62 - len(suffix)].rstrip('-')}-{suffix}"


def scaffold(app: AppToDeploy, settings: KubeSettings) -> Scaffold:
    """Every object for `app`; SpinError for a store pods would split (spin/deploy/stores.py)."""
    name = dns_name(app.app.name)
    runtime_config = load_runtime_config(settings.runtime_config)
    replicated = {t for t in app.trigger_types if t in SCALABLE_TYPES and _scales(settings)}
    result = Scaffold()
    result.notes += check_stores(
        store_uses(app, runtime_config), replicated, allow_local=settings.allow_local_stores
    )
    env_from = _variables(app, name, result)
    if settings.runtime_config is not None:
        result.objects.append(
            _object(
                "v1",
                "Secret",
                f"{name}-runtime-config",
                name,
                stringData={RUNTIME_CONFIG_NAME: settings.runtime_config.read_text()},
            )
        )
    for trigger_type in app.trigger_types:
        result.objects.append(_deployment(app, name, trigger_type, settings, env_from))
        if trigger_type in SCALABLE_TYPES:
            result.objects.append(_service(name, trigger_type))
            if settings.max_replicas is not None:
                result.objects.append(_autoscaler(name, trigger_type, settings))
    return result


def _scales(settings: KubeSettings) -> bool:
    return settings.replicas > 1 or settings.max_replicas is not None


def _selector(name: str, trigger_type: str) -> dict[str, str]:
    """The labels that pick one trigger type's pods."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": f"{dns_name(trigger_type)}-trigger",
    }


def _labels(name: str, trigger_type: str | None = None) -> dict[str, str]:
    picked = _selector(name, trigger_type) if trigger_type else {"app.kubernetes.io/name": name}
    return {**picked, "app.kubernetes.io/managed-by": MANAGED_BY}


def _object(
    api_version: str, kind: str, object_name: str, name: str, trigger_type: str | None = None,
    **body: Any,
) -> dict[str, Any]:  # fmt: skip
    metadata = {"name": object_name, "labels": _labels(name, trigger_type)}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def _variables(app: AppToDeploy, name: str, result: Scaffold) -> list[dict[str, Any]]:
    """The app's variables as `SPIN_VARIABLE_<NAME>` environment: defaults in a ConfigMap (edit
    to change), secret and required ones from a Secret the user creates."""
    defaults: dict[str, str] = {}
    from_secret: list[str] = []
    for variable, spec in sorted(app.app.variables.items()):
        key = f"SPIN_VARIABLE_{variable.upper()}"
        if spec.get("secret") or "default" not in spec:
            from_secret.append(key)
        else:
            defaults[key] = str(spec["default"])
    env_from: list[dict[str, Any]] = []
    if defaults:
        result.objects.append(_object("v1", "ConfigMap", f"{name}-variables", name, data=defaults))
        env_from.append({"configMapRef": {"name": f"{name}-variables"}})
    if from_secret:
        secret = f"{name}-secrets"
        env_from.append({"secretRef": {"name": secret}})
        literals = " ".join(f"--from-literal={key}=..." for key in from_secret)
        result.notes.append(
            f"The app's secret or required variables come from the Secret {secret!r}, which "
            f"is not generated; create it first: kubectl create secret generic {secret} "
            f"{literals}"
        )
    return env_from


def _command(app: AppToDeploy, trigger_type: str, settings: KubeSettings) -> list[str]:
    command = ["spin", "up", "-f", app.run_from, "--trigger-type", trigger_type, "--exec"]
    command += ["--temp", f"{WRITABLE_DIR}/up"]
    if settings.insecure_registry:
        command.append("--insecure")
    if trigger_type == "http":
        command += ["--listen", f"0.0.0.0:{HTTP_PORT}"]
    else:
        command += ["--health-listen", f"0.0.0.0:{PROBE_PORT}"]
    # explicit, because a pod sees every CPU of its node and would start a worker per CPU
    workers = settings.wasm_workers
    command += ["--wasm-workers", str(workers), "--wasm-workers-max", str(2 * workers)]
    if settings.runtime_config is not None:
        command += ["--runtime-config-file", f"{RUNTIME_CONFIG_DIR}/{RUNTIME_CONFIG_NAME}"]
    return command


def _probe(path: str, port: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def _container(
    app: AppToDeploy, trigger_type: str, settings: KubeSettings, env_from: list[dict[str, Any]]
) -> dict[str, Any]:
    """The executor's container: its command, environment, probes, resources and mounts."""
    if trigger_type == "http":
        port = {"name": "http", "containerPort": HTTP_PORT}
        ready_path = live_path = "/.well-known/spin/health"
    else:
        port = {"name": "health", "containerPort": PROBE_PORT}
        ready_path, live_path = "/ready", "/live"
    workers_max = 2 * settings.wasm_workers
    container = {
        "name": f"{dns_name(trigger_type)}-executor",
        "image": settings.image,
        "command": _command(app, trigger_type, settings),
        "env": [
            {
                "name": "SPIN_SHUTDOWN_GRACE",
                "value": f"{shutdown_grace(settings.shutdown_timeout):g}",
            },
            {"name": "SPIN_STATE_DIR", "value": f"{WRITABLE_DIR}/state"},
            {"name": "SPIN_DATA_DIR", "value": f"{WRITABLE_DIR}/data"},  # the pull cache
            {"name": "HOME", "value": WRITABLE_DIR},
        ],
        "envFrom": env_from,
        "ports": [port],
        # loading (or compiling) the app's Wasm may take a while: up to 2 minutes
        "startupProbe": _probe(ready_path, port["name"], 2, 60),
        "readinessProbe": _probe(ready_path, port["name"], 5, 2),
        "livenessProbe": _probe(live_path, port["name"], 10, 3),
        "resources": {
            "requests": {
                "cpu": CPU_REQUEST.get(trigger_type, CPU_REQUEST_OTHER),
                "memory": f"{MEMORY_REQUEST_MIB}Mi",
            },
            "limits": {"memory": f"{memory_limit_mib(app, trigger_type, workers_max)}Mi"},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
        "volumeMounts": [
            {"name": "spin-data", "mountPath": WRITABLE_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    if not env_from:
        del container["envFrom"]
    if settings.runtime_config is not None:
        container["volumeMounts"].append(  # type: ignore[attr-defined]
            {"name": "runtime-config", "mountPath": RUNTIME_CONFIG_DIR, "readOnly": True}
        )
    return container


def memory_limit_mib(app: AppToDeploy, trigger_type: str, workers_max: int) -> int:
    """The larger of what the executor needs serving (every worker at its limit) and while its
    first worker compiles the largest of its components."""
    serving = EXECUTOR_MIB + workers_max * WORKER_LIMIT_MIB
    sizes = [0]
    for component_id in app.components_of(trigger_type):
        with contextlib.suppress(OSError):
            sizes.append(app.app.component(component_id).source_path.stat().st_size)
    compiling = COMPILE_BASE_MIB + math.ceil(COMPILE_PER_WASM_MIB * max(sizes) / MEBIBYTE)
    return max(serving, EXECUTOR_MIB + WORKER_LIMIT_MIB + compiling)


def _deployment(
    app: AppToDeploy,
    name: str,
    trigger_type: str,
    settings: KubeSettings,
    env_from: list[dict[str, Any]],
) -> dict[str, Any]:
    scalable = trigger_type in SCALABLE_TYPES
    volumes: list[dict[str, Any]] = [
        {"name": "spin-data", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
    ]
    if settings.runtime_config is not None:
        volumes.append(
            {"name": "runtime-config", "secret": {"secretName": f"{name}-runtime-config"}}
        )
    return _object(
        "apps/v1",
        "Deployment",
        workload_name(name, trigger_type),
        name,
        trigger_type,
        spec={
            "replicas": settings.replicas if scalable else 1,
            # one pod at a time for pub/sub and timers: Recreate stops the old pod first
            "strategy": {"type": "RollingUpdate" if scalable else "Recreate"},
            "selector": {"matchLabels": _selector(name, trigger_type)},
            "template": {
                "metadata": {"labels": _labels(name, trigger_type)},
                "spec": {
                    # SIGTERM, then the executor drains for SPIN_SHUTDOWN_GRACE (a little
                    # less), then Kubernetes kills it: spin up's --shutdown-timeout
                    "terminationGracePeriodSeconds": math.ceil(settings.shutdown_timeout),
                    "containers": [_container(app, trigger_type, settings, env_from)],
                    "volumes": volumes,
                },
            },
        },
    )


def _service(name: str, trigger_type: str) -> dict[str, Any]:
    return _object(
        "v1",
        "Service",
        workload_name(name, trigger_type),
        name,
        trigger_type,
        spec={
            "selector": _selector(name, trigger_type),
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    )


def _autoscaler(name: str, trigger_type: str, settings: KubeSettings) -> dict[str, Any]:
    assert settings.max_replicas is not None
    return _object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        workload_name(name, trigger_type),
        name,
        trigger_type,
        spec={
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": workload_name(name, trigger_type),
            },
            "minReplicas": settings.replicas,
            "maxReplicas": settings.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": settings.cpu_target,
                        },
                    },
                }
            ],
        },
    )
