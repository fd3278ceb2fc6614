"""Prometheus metrics in a registry of the app's own (never the global one: parallel apps must not clash)."""

from __future__ import annotations

import bisect
import time
from collections import Counter as Tally
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from simulator.core.engine import Engine
from simulator.core.events import StatusEvent

# Outcomes the webhook dispatcher reports through `Metrics.webhook_delivery(outcome)`.
WEBHOOK_OUTCOMES = ("delivered", "failed", "retrying", "gave_up")
_DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _CurrentStatuses(Collector):
    """Messages held right now, by face, channel and current status (counted at scrape time)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        family = GaugeMetricFamily("postman_sim_messages", "Messages held now, by face, channel and current status",
                                   labels=("face", "channel", "status"))
        tally: Tally[tuple[str, str, str]] = Tally()
        for (face, channel, _tenant, status), count in self.engine.store.counts().items():  # kept on write
            tally[(face, channel, status)] += count
        for labels, count in sorted(tally.items()):
            family.add_metric(labels, count)
        yield family
        evicted = CounterMetricFamily("postman_sim_messages_evicted", "Messages evicted by --max-messages or "
                                      "--retention since start")
        evicted.add_metric((), self.engine.store.evicted)
        yield evicted


class _FirstSeen(Tally[tuple[str, ...]]):
    """A Counter that notes when each key was first counted (the _created sample of a prometheus counter)."""

    def __init__(self) -> None:
        super().__init__()
        self.created: dict[tuple[str, ...], float] = {}

    def __missing__(self, key: tuple[str, ...]) -> int:
        self.created[key] = time.time()
        return 0


class _StatusChanges(Collector):
    """postman_sim_status_changes_total{face,channel,status}, as a prometheus Counter would export it, counted
    in a plain Counter: a status change is the hottest event there is (one advance can make millions), and a
    prometheus child's inc() takes a lock and checks its state every time."""

    def __init__(self) -> None:
        self.counts = _FirstSeen()

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("postman_sim_status_changes", "Message status changes, by face, channel and "
                                     "the status reached", labels=("face", "channel", "status"))
        created = self.counts.created
        for labels, count in list(self.counts.items()):
            family.add_metric(labels, count, created=created[labels])
        yield family


class _Requests(Collector):
    """postman_sim_requests_total{face,code} and postman_sim_request_duration_seconds{face}, exported as a
    prometheus Counter and Histogram would export them, counted in plain dicts and lists: every request
    observes both, and a prometheus child takes a lock per counter and per bucket."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.bounds = (*buckets, float("inf"))
        self.les: tuple[str, ...] = tuple(floatToGoString(b) for b in self.bounds)  # type: ignore[no-untyped-call]
        self.codes = _FirstSeen()
        self.durations: dict[str, list[float]] = {}  # face -> [count per bucket (not cumulative)..., sum]
        self.created: dict[str, float] = {}

    def observe(self, face: str, code: str, seconds: float) -> None:
        self.codes[(face, code)] += 1
        row = self.durations.get(face)
        if row is None:
            row = self.durations[face] = [0.0] * (len(self.bounds) + 1)
            self.created[face] = time.time()
        row[bisect.bisect_left(self.bounds, seconds)] += 1  # the first bucket whose bound is >= seconds
        row[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("postman_sim_requests", "HTTP requests answered, by face and status code",
                                       labels=("face", "code"))
        created = self.codes.created
        for labels, count in list(self.codes.items()):
            requests.add_metric(labels, count, created=created[labels])
        yield requests
        name = "postman_sim_request_duration_seconds"
        histogram = Metric(name, "Time to answer a request, by face", "histogram")
        for face, row in list(self.durations.items()):
            total = 0.0
            for le, in_bucket in zip(self.les, row, strict=False):
                total += in_bucket
                histogram.samples.append(Sample(name + "_bucket", {"face": face, "le": le}, total))
            histogram.samples.append(Sample(name + "_count", {"face": face}, total))
            histogram.samples.append(Sample(name + "_sum", {"face": face}, row[-1]))
            histogram.samples.append(Sample(name + "_created", {"face": face}, self.created[face]))
        yield histogram


class Metrics:
    """Every metric the simulator exports. Other modules increment these; /_sim/metrics renders them."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = _Requests(_DURATION_BUCKETS)
        registry.register(self.requests)
        self.status_changes = _StatusChanges()
        registry.register(self.status_changes)
        self.webhook_deliveries = Counter("postman_sim_webhook_deliveries",
                                          "Webhook delivery attempts, by outcome", ("outcome",), registry=registry)
        self._webhook_children: dict[str, Counter] = {}
        lag = Gauge("postman_sim_scheduler_lag_seconds", "How late (simulated seconds) the scheduler ran its "
                    "last due job", registry=registry)
        lag.set_function(lambda: engine.scheduler.lag_seconds)
        pending = Gauge("postman_sim_scheduler_pending", "Jobs waiting on the simulated clock", registry=registry)
        pending.set_function(lambda: float(len(engine.scheduler)))
        registry.register(_CurrentStatuses(engine))
        engine.events.subscribe(self._on_status)

    def _on_status(self, event: StatusEvent) -> None:
        message = event.message
        self.status_changes.counts[(message.face, message.channel, event.status)] += 1

    def observe_request(self, face: str, code: int, seconds: float) -> None:
        self.requests.observe(face, str(code), seconds)

    def webhook_delivery(self, outcome: str) -> None:
        """Count one webhook delivery attempt (see WEBHOOK_OUTCOMES)."""
        child = self._webhook_children.get(outcome)
        if child is None:  # bound once per outcome: labels() takes a lock and builds a key on every call
            child = self._webhook_children[outcome] = self.webhook_deliveries.labels(outcome)
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)

