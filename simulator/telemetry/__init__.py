"""Logs and Prometheus metrics: what an operator of the simulator (or of a load test) watches."""

from simulator.telemetry.install import install_telemetry
from simulator.telemetry.logs import configure_logging
from simulator.telemetry.metrics import METRICS, Metrics

__all__ = ["METRICS", "Metrics", "configure_logging", "install_telemetry"]
