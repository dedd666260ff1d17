"""`mlflow models serve` on 127.0.0.1 as a child process: started on a free port, waited for, always stopped.

    with model_server("models:/job_reco_recommender/latest", tracking_uri="sqlite:///mlflow.db", log=path) as server:
        post_json(f"{server.url}/invocations", {"inputs": [{"text": "..."}]})

The server runs in this Python environment (`--env-manager local`), in its own process group, so
stopping it stops uvicorn too; it also stops if this process dies without stopping it (Linux). Its
output goes to `log`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    """A running model server: its base URL, the process id of its group's leader, its log."""

    url: str
    pid: int
    log: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def post_json(url: str, payload: Any = None, *, body: bytes | None = None, timeout: float = 60.0) -> tuple[int, Any]:
    """(HTTP status, parsed JSON answer or its text) of a POST of `payload` as JSON, or of raw `body` bytes."""
    data = body if body is not None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - 127.0.0.1 only
            status, text = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8", errors="replace")
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def is_up(url: str, timeout: float = 2.0) -> bool:
    """Whether the server answers GET /ping with 200."""
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=timeout) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen, grace_s: float = 20.0) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after `grace_s`."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
    except ProcessLookupError:
        pass


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies, however it dies (Linux)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def model_server(
    model_uri: str, *, tracking_uri: str, log: str | Path, port: int | None = None, workers: int = 1,
    env: Mapping[str, str] | None = None, ready_timeout_s: float = 600.0, cwd: str | Path | None = None,
) -> Iterator[Server]:
    """Serve `model_uri` on 127.0.0.1 until the block ends (however it ends)."""
    port = port or free_port()
    bin_dir = str(Path(sys.executable).parent)  # `mlflow models serve` runs `uvicorn` from PATH
    child_env = {**os.environ, **(env or {}), "MLFLOW_TRACKING_URI": tracking_uri,
                 "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
               "--host", HOST, "--port", str(port), "--workers", str(workers)]
    url = f"http://{HOST}:{port}"
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=child_env, cwd=cwd,
                                   start_new_session=True, preexec_fn=_stop_with_parent if sys.platform == "linux" else None)
    try:
        deadline = time.monotonic() + ready_timeout_s
        while not is_up(url):
            if process.poll() is not None:
                raise RuntimeError(f"mlflow models serve exited with {process.returncode} before answering; see {log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"mlflow models serve did not answer {url}/ping within {ready_timeout_s:.0f} s; see {log}")
            time.sleep(0.5)
        yield Server(url=url, pid=process.pid, log=Path(log))
    finally:
        stop(process)


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        found.append(current)
    return found


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        except (FileNotFoundError, StopIteration):
            continue
    return total / 1024


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and all its descendants."""
    ticks = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except FileNotFoundError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")
