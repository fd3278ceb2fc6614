"""postman-sim command line: `serve` runs the simulator. Every flag can also come from POSTMAN_SIM_*."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from aiohttp import web

from simulator import faces, snapshot
from simulator.app import create_app, sections
from simulator.cli import banner
from simulator.cli import sink as webhooks_cli
from simulator.cli.args import Parser, admin_token, env, port, positive_int
from simulator.cli.scenarios import add_max_bytes_flag
from simulator.cli.scenarios import register as register_scenario_commands
from simulator.cli.serve_loop import new_loop
from simulator.cli.workers import run_workers, worker_index
from simulator.clock import Clock, ManualClock, SystemClock, check_speed
from simulator.core import gcpolicy
from simulator.core.store import DEFAULT_MAX_MESSAGES
from simulator.replicas import MEMORY, RedisTarget, StateTargetError, compaction, parse_state
from simulator.replicas.boot import BootError, agree, attach
from simulator.scenarios import ScenarioError, default_scenarios_path
from simulator.scenarios.loader import duration, load_config
from simulator.state import ENGINE
from simulator.telemetry.logs import LOG_FORMATS, LOG_LEVELS, configure_logging
from simulator.webhooks import Dispatcher
from simulator.webhooks.replicated import ReplicatedDispatcher

# Flags each replica may set its own way; every other flag (and the scenarios file) must match the stream's.
PER_REPLICA = ("command", "host", "port", "scenarios", "log_format", "log_level", "workers", "state", "seed",
               "clock", "speed", *compaction.FLAGS)


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    try:
        return check_speed(speed)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: {exc} (flag or POSTMAN_SIM_SPEED)") from exc


def _seed(text: str) -> int | None:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: a whole number (flag or POSTMAN_SIM_SEED)") from None


def _one_of(name: str, choices: Sequence[str]) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text.lower() not in choices:
            raise argparse.ArgumentTypeError(f"invalid choice {text!r}: one of {', '.join(choices)} "
                                             f"(flag or POSTMAN_SIM_{name})")
        return text.lower()

    return check


def _state(text: str) -> str | RedisTarget:
    try:
        return parse_state(text)
    except StateTargetError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (flag or POSTMAN_SIM_STATE)") from None


def _retention(text: str) -> float | None:
    if text in ("", "0", "off"):
        return None
    seconds = duration(text)
    if seconds is None or not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid retention {text!r}: a duration such as 3600, 30m, 12h or 7d, or "
                                         "off (flag or POSTMAN_SIM_RETENTION)")
    return seconds


def _snapshot_path(text: str) -> Path | None:
    return Path(text) if text else None


MIN_SNAPSHOT_EVERY = 1.0  # a whole-state write more often than this would be most of the server's work


def _snapshot_every(text: str) -> float:
    seconds = duration(text)
    if seconds is None or not MIN_SNAPSHOT_EVERY <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid snapshot interval {text!r}: a duration of at least 1s, such as "
                                         "60, 30s or 5m (flag or POSTMAN_SIM_SNAPSHOT_EVERY)")
    return seconds


def _restore(app: web.Application, args: argparse.Namespace) -> list[str] | None:
    """Restore --snapshot into `app` (banner lines), or None after printing why it cannot start."""
    path: Path | None = args.snapshot
    if path is None:
        return []
    try:
        notes = snapshot.load(app, path, args.snapshot_every)
        snapshot.stop_once_on_signals(app)
    except snapshot.SnapshotError as exc:
        hint = f"; {exc.hint}" if exc.hint else ""
        print(f"postman-sim: cannot restore the snapshot {path}: {exc.reason}{hint}", file=sys.stderr)
        return None
    status = app[snapshot.SNAPSHOT]
    restored = ("empty file, starting empty" if status.empty_file
                else "no file yet, starting empty" if status.restored_messages is None
                else f"restored {status.restored_messages} message{'' if status.restored_messages == 1 else 's'}")
    return [f"  {'Snapshot':<12} {path} ({restored}; written every {args.snapshot_every:g}s and on exit)",
            *(f"  note: snapshot {note}" for note in notes)]


def loopback(host: str) -> bool:
    """Whether only this machine can reach `host` ('' and 0.0.0.0 mean every interface)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or an interface name: assume others can reach it


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="postman-sim", description=(
        "Simulator of the Postman (postman.gov.sg) test environment and its WhatsApp providers."))
    parser.add_argument("--version", action="version", version=f"%(prog)s {banner.version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the simulator's HTTP server")
    serve.add_argument("--host", default=env("HOST", "127.0.0.1"), help="address to bind (POSTMAN_SIM_HOST)")
    serve.add_argument("--port", type=port(), default=env("PORT", "8080"), help="port (POSTMAN_SIM_PORT)")
    serve.add_argument("--scenarios", default=default_scenarios_path(),
                       help="scenarios file (POSTMAN_SIM_SCENARIOS; default ./scenarios.yaml, else the bundled one)")
    add_max_bytes_flag(serve)
    serve.add_argument("--clock", type=_one_of("CLOCK", ("real", "manual")), default=env("CLOCK", "real"),
                       metavar="{real,manual}",
                       help="real time (optionally sped up) or a manual clock moved via /_sim (POSTMAN_SIM_CLOCK)")
    serve.add_argument("--speed", type=_speed, default=env("SPEED", "1.0"),
                       help="real clock speed factor, e.g. 60 = a minute per second (POSTMAN_SIM_SPEED)")
    serve.add_argument("--seed", type=_seed, default=env("SEED", ""),
                       help="seed for ids and random outcomes (POSTMAN_SIM_SEED)")
    serve.add_argument("--admin-token", type=admin_token, default=env("ADMIN_TOKEN", ""), metavar="TOKEN",
                       help="require Authorization: Bearer TOKEN on /_sim (all but /_sim/health, the dashboard "
                            "page and the sink's receiving side) (POSTMAN_SIM_ADMIN_TOKEN)")
    serve.add_argument("--journal-size", type=positive_int("JOURNAL_SIZE", 0), default=env("JOURNAL_SIZE", "10000"),
                       help="requests the journal keeps for /_sim/requests and /_sim/report; 0 turns it off "
                            "(POSTMAN_SIM_JOURNAL_SIZE)")
    serve.add_argument("--max-messages", type=positive_int("MAX_MESSAGES"),
                       default=env("MAX_MESSAGES", str(DEFAULT_MAX_MESSAGES)), metavar="N",
                       help="hold at most N messages: settled ones (nothing left to do) are evicted oldest first "
                            "(POSTMAN_SIM_MAX_MESSAGES)")
    serve.add_argument("--retention", type=_retention, default=env("RETENTION", "off"), metavar="DURATION",
                       help="evict a settled message this long after it settled, on the simulated clock, e.g. 1h "
                            "or 7d; off by default (POSTMAN_SIM_RETENTION)")
    serve.add_argument("--snapshot", type=_snapshot_path, default=env("SNAPSHOT", ""), metavar="PATH",
                       help="keep the in-memory state in this file: restored at start, written every "
                            "--snapshot-every and on exit (POSTMAN_SIM_SNAPSHOT)")
    serve.add_argument("--snapshot-every", type=_snapshot_every, default=env("SNAPSHOT_EVERY", "60s"),
                       metavar="DURATION", help="how often to write the snapshot, in real time, e.g. 30s or 5m "
                                                "(POSTMAN_SIM_SNAPSHOT_EVERY)")
    serve.add_argument("--state", type=_state, default=env("STATE", MEMORY), metavar="memory|redis://HOST:PORT/DB",
                       help="where state lives: this process's memory, or a Redis database that replicas share "
                            "(docs/deployment.md) (POSTMAN_SIM_STATE)")
    serve.add_argument("--workers", type=positive_int("WORKERS"), default=env("WORKERS", "1"), metavar="N",
                       help="N processes on one port (SO_REUSEPORT); above 1 needs --state redis://... "
                            "(POSTMAN_SIM_WORKERS)")
    register_scenario_commands(commands)  # validate FILE, numbers
    webhooks_cli.add_serve_flags(serve)
    compaction.add_flags(serve)
    webhooks_cli.add_sink_command(commands)
    serve.add_argument("--log-format", type=_one_of("LOG_FORMAT", LOG_FORMATS), default=env("LOG_FORMAT", "text"),
                       metavar="{text,json}", help="log lines as text or one JSON object each (POSTMAN_SIM_LOG_FORMAT)")
    serve.add_argument("--log-level", type=_one_of("LOG_LEVEL", LOG_LEVELS), default=env("LOG_LEVEL", "info"),
                       metavar="{debug,info,warning,error}",
                       help="info logs every request and status change; warning keeps load tests quiet "
                            "(POSTMAN_SIM_LOG_LEVEL)")
    return parser


def _admin_lines(host: str, token: str | None) -> list[str]:
    if token:
        return ["  /_sim needs the admin token: -H 'Authorization: Bearer <token>' (health and the sink's POSTs "
                "are open)"]
    if loopback(host):
        return []
    return [f"  WARNING: bound to {host or 'every interface'} without an admin token: anyone who can reach this "
            "port can reset, reload and read every tenant's messages via /_sim; set --admin-token or "
            "POSTMAN_SIM_ADMIN_TOKEN"]


def _workers_problem(args: argparse.Namespace) -> str | None:
    if args.workers > 1 and args.state == MEMORY:
        return (f"--workers {args.workers} needs shared state: each process would hold its own messages; add "
                "--state redis://HOST:PORT/DB (or POSTMAN_SIM_STATE), or run one worker")
    if args.workers > 1 and args.port == 0:
        return "--workers above 1 needs a fixed --port: with port 0 every worker would get a different one"
    if args.snapshot and args.state != MEMORY:
        return ("--snapshot keeps the in-memory state; with --state redis://... the state is Redis's own "
                "(keep it with Redis persistence, see docs/deployment.md)")
    return None


def serve(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    problem = _workers_problem(args)
    if problem is not None:
        print(f"postman-sim: {problem}", file=sys.stderr)
        return 2
    try:
        config = load_config(args.scenarios, args.scenarios_max_bytes, flows=faces.flows(), sections=sections())
    except FileNotFoundError:
        print(f"postman-sim: scenarios file not found: {args.scenarios}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"postman-sim: cannot read scenarios file {args.scenarios}: {exc}", file=sys.stderr)
        return 2
    except ScenarioError as exc:
        print(f"postman-sim: {args.scenarios} is not valid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    config = webhooks_cli.apply_serve_flags(config, args)
    target = args.state if isinstance(args.state, RedisTarget) else None
    clock: Clock = SystemClock(speed=args.speed) if args.clock == "real" else ManualClock()
    seed = args.seed
    if target is not None:
        settings = {k: v for k, v in vars(args).items() if k not in PER_REPLICA}
        try:
            genesis = agree(target, seed=args.seed, clock=args.clock, speed=args.speed, flags=settings,
                            scenarios=Path(args.scenarios))
        except BootError as exc:
            print(f"postman-sim: {exc}", file=sys.stderr)
            return 2
        clock, entry = genesis.build_clock()
        seed = genesis.seed
    if args.workers > 1 and worker_index() is None:  # Redis checked once, here: then the workers start
        return run_workers(args.workers, argv)
    try:
        app = create_app(config, clock=clock, seed=seed, bound=(args.host, args.port),
                         admin_token=args.admin_token, journal_size=args.journal_size,
                         dispatcher_type=Dispatcher if target is None else ReplicatedDispatcher)
    except ValueError as exc:
        print(f"postman-sim: {args.scenarios}: {exc}", file=sys.stderr)
        return 2
    app[ENGINE].store.configure(max_messages=args.max_messages, retention=args.retention)
    snapshot_lines = _restore(app, args)
    if snapshot_lines is None:
        return 2
    try:
        socket_path = None if target is None else attach(app, target, entry, compaction.from_args(args), seed)
    except BootError as exc:
        print(f"postman-sim: {exc}", file=sys.stderr)
        return 2
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    base = f"http://{shown_host}:{args.port}"
    extra = [*_admin_lines(args.host, args.admin_token), *snapshot_lines]
    if target is not None:
        extra.append(f"  {'State':<12} {target.shown}, replicated ({args.workers} worker(s) here)")
    text = banner.render(config, base, extra, banner.clock_text(clock.kind, clock.speed))
    if args.log_format == "json":
        text = banner.as_json_line(text, base, config, clock)
    configure_logging(args.log_format, args.log_level)
    gcpolicy.install()  # start-up objects frozen; full collections stop re-walking the store (DESIGN B5)
    try:
        quiet = (worker_index() or 0) > 0  # worker 0 speaks for all
        web.run_app(app, host=args.host, port=args.port, path=socket_path, reuse_port=args.workers > 1 or None,
                    shutdown_timeout=3.0, access_log=None,
                    print=lambda _: None if quiet else print(text, flush=True), loop=new_loop())
    except OSError as exc:
        print(f"postman-sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 1 if args.snapshot is not None and app[snapshot.SNAPSHOT].final_failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if hasattr(args, "run"):
        try:
            return int(args.run(args))
        except BrokenPipeError:  # `postman-sim numbers | head`: the reader left, which is fine
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if args.command == "serve":
        return serve(args, argv)
    if args.command == "sink":
        return webhooks_cli.run_sink(args)
    return 2  # argparse rejects unknown commands before this
