"""JSON-RPC 2.0 over stdio with Content-Length framing (what vscode-jsonrpc speaks), serving
derivlens/initialize and derivlens/check, with $/cancelRequest and progress notifications.

A reader thread takes messages off stdin so a cancel arrives while a check computes; checks run
one at a time on the main thread."""

import json
import math
import os
import queue
import sys
import threading
import time
import traceback

PROTOCOL_VERSION = 1
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
METHOD_NOT_FOUND = -32601
REQUEST_CANCELLED = -32800
PROGRESS_SECONDS = 0.1
# Same default as DEFAULT_MEMORY_LIMIT_BYTES in src/numeric/request.ts.
DEFAULT_MEMORY_LIMIT_BYTES = 4 * 2**30


class Cancelled(Exception):
    pass


class Connection:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.lock = threading.Lock()

    def read(self):
        length = None
        while True:
            line = self.reader.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            key, _, value = line.decode("ascii").partition(":")
            if key.lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise ValueError("message without Content-Length")
        return json.loads(self.reader.read(length).decode("utf-8"))

    def send(self, message):
        body = json.dumps(message, allow_nan=False).encode("utf-8")
        with self.lock:
            self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.writer.flush()


def clean(x):
    """Plain JSON values: NumPy scalars and arrays become numbers and lists, and NaN/Infinity
    become null, as JSON.stringify writes them."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    try:
        import numpy as np

        if isinstance(x, (np.generic, np.ndarray)):
            return clean(x.tolist())
    except ImportError:
        pass
    return x


def estimate_bytes(params):
    """Same estimate as estimateBytes in src/numeric/request.ts."""
    numel = sum(n["rows"]["value"] * n["cols"]["value"] for n in params["ir"]["nodes"])
    vars_ = sum(s["rows"] * s["cols"] for s in params["sampling"] if s["role"] == "var")
    data = sum(s["rows"] * s["cols"] for s in params["sampling"])
    return 8 * (2 * numel + 4 * vars_ * vars_ + 4 * data)


def format_bytes(b):
    if b >= 2**30:
        return f"{b / 2**30:.1f} GiB"
    if b >= 2**20:
        return f"{b / 2**20:.1f} MiB"
    return f"{b / 1024:.0f} KiB"


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def run_check(params, backend, progress=lambda claim, done, total: None):
    """Answers one derivlens/check request (the protocol's CheckResult); `progress` is called as
    work advances and may raise to cancel. Used by the RPC loop and by replay.py."""
    from .checks import Checks, Env, budget_plan
    from .model import Model
    from .plan import PointEvaluator
    from .sampling import Sampler, SamplingError

    need = estimate_bytes(params)
    limit = params.get("memoryLimitBytes", DEFAULT_MEMORY_LIMIT_BYTES)
    if need > limit:
        raise RpcError(INVALID_PARAMS, f"this check needs about {format_bytes(need)}, over the limit of {format_bytes(limit)}")
    model = Model(params, backend)
    centre = PointEvaluator(model.program)
    sampler = Sampler(params["sampling"], params["seed"], centre)
    budget = budget_plan(params["budget"])
    results = []
    for claim in params["claims"]:
        limit_ms = params.get("timeLimitMs")
        deadline = time.monotonic() + limit_ms / 1000 if limit_ms else math.inf
        tick = lambda done, total, index=claim["index"]: progress(index, done, total)
        try:
            # A claim with its own domain (`claim … for …`) samples and projects within it.
            own = claim.get("sampling")
            env = (Model({**params, "sampling": own}, backend), Sampler(own, params["seed"], centre)) if own else (model, sampler)
            results.append(Checks(Env(*env, budget, tick, deadline)).run_claim(claim))
        except SamplingError as e:
            results.append(
                {"index": claim["index"], "verdict": "inconclusive", "summary": f"sampling failed: {e}", "evidence": {"reason": str(e)}}
            )
        progress(claim["index"], 1, 1)
    return {"backend": backend.name, "device": backend.device, "claims": results, "stats": model.stats}


def main():
    conn = Connection(sys.stdin.buffer, sys.stdout.buffer)
    # Anything printed by a library must not corrupt the protocol stream.
    sys.stdout = sys.stderr
    try:
        from .backend import select_backend

        backend, notes = select_backend()
    except Exception as e:  # missing, or importable but broken (a CUDA driver mismatch, say)
        print(f"derivlens worker: no usable array library: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(3)
    for n in notes:
        print(f"derivlens worker: {n}", file=sys.stderr)
    cancelled = set()
    # Requests already answered (a cancel is answered at once by the reader thread, so control
    # returns to the client within milliseconds however long the current batch takes).
    answered = set()
    running = {"id": None, "progress": None}
    lock = threading.Lock()
    inbox = queue.Queue()

    def reply(rid, payload):
        with lock:
            if rid in answered:
                return
            answered.add(rid)
        conn.send({"jsonrpc": "2.0", "id": rid, **payload})

    def reader():
        try:
            while True:
                msg = conn.read()
                if msg is None:
                    break
                if msg.get("method") == "$/cancelRequest":
                    rid = msg.get("params", {}).get("id")
                    cancelled.add(rid)
                    if running["id"] == rid:
                        reply(rid, {"error": {"code": REQUEST_CANCELLED, "message": "cancelled"}})
                    continue
                inbox.put(msg)
        except Exception as e:  # a broken stream ends the worker, like a closed one
            print(f"derivlens worker: unreadable message: {e}", file=sys.stderr)
        inbox.put(None)

    def heartbeat():
        # Progress at least once a second while a check runs, even inside one long batch: the
        # client takes a silent worker for a hung one.
        while True:
            time.sleep(1.0)
            p = running["progress"]
            if running["id"] is not None and p is not None:
                conn.send({"jsonrpc": "2.0", "method": "derivlens/progress", "params": p})

    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=heartbeat, daemon=True).start()

    def check(params, request_id):
        last = [0.0]

        def progress(claim, done, total):
            if request_id in cancelled:
                raise Cancelled()
            note = {"token": params.get("progressToken"), "claim": claim, "done": done, "total": total}
            running["progress"] = note
            now = time.monotonic()
            if now - last[0] >= PROGRESS_SECONDS or done == total:
                last[0] = now
                conn.send({"jsonrpc": "2.0", "method": "derivlens/progress", "params": note})

        return run_check(params, backend, progress)

    while True:
        msg = inbox.get()
        if msg is None:
            os._exit(0)
        if "id" not in msg:
            continue  # notifications we do not handle
        rid = msg["id"]
        method = msg.get("method")
        running["id"] = rid
        running["progress"] = None
        try:
            if rid in cancelled:
                raise Cancelled()
            if method == "derivlens/initialize":
                version = msg.get("params", {}).get("protocolVersion")
                if version != PROTOCOL_VERSION:
                    raise RpcError(INVALID_PARAMS, f"protocol {version} requested; this worker speaks {PROTOCOL_VERSION}")
                result = {"protocolVersion": PROTOCOL_VERSION, "backend": backend.name, "device": backend.device, "gpu": backend.gpu}
            elif method == "derivlens/check":
                result = check(msg["params"], rid)
            else:
                raise RpcError(METHOD_NOT_FOUND, f"unhandled method {method}")
            reply(rid, {"result": clean(result)})
        except Cancelled:
            reply(rid, {"error": {"code": REQUEST_CANCELLED, "message": "cancelled"}})
        except RpcError as e:
            reply(rid, {"error": {"code": e.code, "message": str(e)}})
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            reply(rid, {"error": {"code": INTERNAL_ERROR, "message": f"worker error: {e}"}})
        running["id"] = None
        cancelled.discard(rid)
        answered.discard(rid)
