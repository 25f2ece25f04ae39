"""The cost of ``log.durability: disk`` against ``memory``: throughput and latency of the gateway.

The same ``monitml serve`` (one uvicorn process pinned to core 0, logging to SQLite) is loaded by
wrk from core 1, as in ``bench_gateway.py`` (whose helpers this reuses), once with each mode,
alternating, for several rounds. With ``disk`` every answered record is fsynced in the journal
before the answer leaves (group commit). After each run the server is stopped gracefully and the
store counted: every answered request must be a row, in both modes.

    .venv/bin/python benchmarks/bench_durability.py                         # const model, 2 rounds
    .venv/bin/python benchmarks/bench_durability.py --model gbm --duration 20 --rounds 3

The default model is the demo's constant v2, which does almost nothing: the figures are then the
gateway's own, where a logging cost shows most. The folder is on the disk that holds the
current directory (``--folder``), never a tmpfs, where fsync costs nothing.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import (
    MODEL_FILES,
    free_port,
    prepare,
    run_wrk,
    served_ok,
    start,
    stop,
    stored_rows,
    wrk_script,
)

MODES = ("memory", "disk")


def one_round(
    mode: str, folder: Path, config: Path, script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    for stale in [*folder.glob("monitml.db*"), *folder.glob("monitml-spill*")]:
        stale.unlink()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["MONITML_LOG__DURABILITY"] = mode
    command = [sys.executable, "-m", "monitml.cli", "serve", "--config", str(config)]
    command += ["--port", str(port), "--no-access-log"]
    process = start(command, f"{url}/health/ready", env)
    try:
        run_wrk(url, script, 3, args.connections)  # warm-up, not counted
        result = run_wrk(url, script, args.duration, args.connections)
        result["served_ok"] = served_ok(httpx.get(f"{url}/metrics").text)
    finally:
        stop(process)
    result["stored_rows"] = stored_rows(config)
    return {"mode": mode, "load_average": os.getloadavg()[0], **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", choices=sorted(MODEL_FILES), default="const")
    parser.add_argument("--folder", type=Path, default=Path.cwd(), help="where the store goes")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-durability-", dir=args.folder) as temporary:
        folder = Path(temporary)
        config, rows = prepare(folder, args.model)
        script = wrk_script(folder, rows)
        results = []
        for round_number in range(args.rounds):
            for mode in MODES if round_number % 2 == 0 else MODES[::-1]:
                result = one_round(mode, folder, config, script, args)
                results.append(result)
                print(f"round {round_number + 1} {json.dumps(result)}", flush=True)

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results if r["mode"] == mode)

    print()
    print("| log.durability | requests/s | p50 ms | p99 ms | answered − stored |")
    print("|---|---:|---:|---:|---:|")
    for mode in MODES:
        missing = sum(r["served_ok"] - r["stored_rows"] for r in results if r["mode"] == mode)
        print(
            f"| {mode} | {median(mode, 'requests_per_s'):.0f} | {median(mode, 'p50_ms'):.1f} "
            f"| {median(mode, 'p99_ms'):.1f} | {missing} |"
        )
    ratio = median("disk", "requests_per_s") / median("memory", "requests_per_s")
    print(f"\ndisk / memory throughput: {ratio:.1%}")
    if args.json is not None:
        args.json.write_text(json.dumps({"results": results, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
