"""Gateway overhead: the Ames scikit-learn model behind (a) the MonitML gateway with logging and
metrics on, and (b) a bare FastAPI app with the same model and nothing else.

Both run as one uvicorn process pinned to core 0; wrk (Debian's package, installed with apt if
missing) loads them from core 1 over loopback with the same requests (one Ames house per
request, cycling through 500 houses). After each gateway run the server is stopped gracefully
and the store is counted: every request the gateway answered must be a row.

    .venv/bin/python benchmarks/bench_gateway.py                     # 2 rounds of 20 s each
    .venv/bin/python benchmarks/bench_gateway.py --duration 30 --rounds 3 --connections 32
    .venv/bin/python benchmarks/bench_gateway.py --model const       # the no-op model

``--model const`` serves a model that does nothing (a constant for every row) on both sides, so
the ratio is the gateway's own cost: routing, metrics, logging every answer to the store.
Bare and gateway rounds alternate in one run, so that a machine shared with other work loads
both alike.

The bare app applies the same one-thread-per-prediction limit the gateway applies
(``server.model_threads: 1``): that is a model-runtime setting, not monitoring.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import joblib
import pandas as pd
import uvicorn
import yaml
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from threadpoolctl import threadpool_limits

from monitml.config import load_settings
from monitml.demo.models import write_demo
from monitml.store import PredictionStore

PREDICT = "/models/house-price/predict"


# -- (b) the bare app ------------------------------------------------------------------------


MODEL_FILES = {"gbm": "gbm.joblib", "const": "const.joblib"}


def bare_app(folder: Path, model_name: str) -> Any:
    """FastAPI + pydantic + the same joblib model: no routing, logging or metrics."""
    os.environ["OMP_NUM_THREADS"] = "1"  # as the gateway does (server.model_threads)

    class House(BaseModel):
        gr_liv_area: float
        overall_qual: float
        year_built: float
        total_bsmt_sf: float
        garage_cars: float
        lot_area: float
        full_bath: float
        tot_rms_abv_grd: float
        neighborhood: str
        house_style: str
        central_air: str

    model = joblib.load(folder / "models" / MODEL_FILES[model_name])
    columns = list(getattr(model, "feature_names_in_", House.model_fields))
    threadpool_limits(1)
    app = FastAPI()

    def predict_one(row: dict[str, Any]) -> float:
        frame = pd.DataFrame({c: [row[c]] for c in columns})
        return float(model.predict(frame)[0])

    @app.post(PREDICT)
    async def predict(house: House) -> dict[str, float]:
        return {"prediction": await run_in_threadpool(predict_one, house.model_dump())}

    return app


# -- running servers and wrk -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") else command


def start(command: list[str], url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        pinned(command, 0), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk_script(folder: Path, rows: list[dict[str, Any]]) -> Path:
    bodies = ",\n".join("[==[" + json.dumps(row) + "]==]" for row in rows)
    script = folder / "predict.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"bodies = {{\n{bodies}\n}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  return wrk.format(nil, "{PREDICT}", nil, bodies[(counter % #bodies) + 1])\n'
        "end\n",
        encoding="utf-8",
    )
    return script


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
    output = subprocess.run(
        pinned([*command, url], 1), capture_output=True, text=True, check=True
    ).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "answered": total - (int(failed.group(1)) if failed else 0),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else "none",
    }


def served_ok(metrics: str) -> int:
    return int(
        sum(
            float(line.rpartition(" ")[2])
            for line in metrics.splitlines()
            if line.startswith("monitml_requests_total{") and 'status="ok"' in line
        )
    )


def stored_rows(config: Path) -> int:
    store = PredictionStore.from_url(load_settings(config).store.url)
    try:
        return store.count_predictions("house-price")
    finally:
        store.dispose()


# -- the benchmark ---------------------------------------------------------------------------


def prepare(folder: Path, model_name: str) -> tuple[Path, list[dict[str, Any]]]:
    config = write_demo(folder)
    settings = yaml.safe_load(config.read_text())
    # One version takes all traffic: the bare app serves that one model too.
    routing = {"v1": 100, "v2": 0} if model_name == "gbm" else {"v1": 0, "v2": 100}
    settings["models"]["house-price"]["routing"] = routing
    config.write_text(yaml.safe_dump(settings))
    features = settings["models"]["house-price"]["features"]
    names = [*features["numerical"], *features["categorical"]]
    # The traffic also holds columns the model does not take (the sale date): send the features.
    traffic = pd.read_parquet(folder / "traffic.parquet")[names].head(500)
    rows = [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in traffic.to_dict("records")
    ]
    return config, rows


def one_round(
    kind: str, folder: Path, config: Path, script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if kind == "gateway":
        for stale in folder.glob("monitml.db*"):
            stale.unlink()
        command = [sys.executable, "-m", "monitml.cli", "serve", "--config", str(config)]
        # No access log on either side: the bare app runs uvicorn at log level warning.
        command += ["--port", str(port), "--no-access-log"]
        probe = f"{url}/health/ready"
    else:
        command = [sys.executable, __file__, "--serve-bare", str(folder), "--port", str(port)]
        command += ["--model", args.model]
        probe = f"{url}/docs"
    process = start(command, probe, env)
    try:
        run_wrk(url, script, 3, args.connections)  # warm-up, not counted
        result = run_wrk(url, script, args.duration, args.connections)
        if kind == "gateway":
            result["served_ok"] = served_ok(httpx.get(f"{url}/metrics").text)
    finally:
        stop(process)
    if kind == "gateway":
        result["stored_rows"] = stored_rows(config)
    return {"kind": kind, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--model",
        choices=sorted(MODEL_FILES),
        default="gbm",
        help="gbm: the Ames gradient-boosting pipeline (v1); const: the constant v2, a no-op "
        "model that isolates the gateway's own cost per request",
    )
    parser.add_argument("--serve-bare", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8001, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        uvicorn.run(
            bare_app(args.serve_bare, args.model),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
        )
        return
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as temporary:
        folder = Path(temporary)
        config, rows = prepare(folder, args.model)
        script = wrk_script(folder, rows)
        results = []
        for round_number in range(args.rounds):
            for kind in ("bare", "gateway"):
                result = one_round(kind, folder, config, script, args)
                results.append(result)
                print(f"round {round_number + 1} {json.dumps(result)}", flush=True)

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in results if r["kind"] == kind)

    ratio = median("gateway", "requests_per_s") / median("bare", "requests_per_s")
    missing = sum(r["served_ok"] - r["stored_rows"] for r in results if r["kind"] == "gateway")
    unseen = sum(r["answered"] - r["stored_rows"] for r in results if r["kind"] == "gateway")
    print()
    print("| app | requests/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for kind in ("bare", "gateway"):
        print(
            f"| {kind} | {median(kind, 'requests_per_s'):.0f} | {median(kind, 'p50_ms'):.1f} "
            f"| {median(kind, 'p99_ms'):.1f} |"
        )
    target = "0.85 with the no-op model" if args.model == "const" else "0.80"
    print(f"\ngateway / bare throughput: {ratio:.1%} (target >= {target})")
    print(
        f"answered by the gateway (its own counter) minus rows in the store: {missing}; "
        f"answers wrk received minus rows: {unseen} (<= 0: wrk stops before in-flight answers)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"results": results, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
