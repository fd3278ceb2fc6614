"""Helpers for testing against postman-sim: the pytest plugin's fixtures, a /_sim client, servers in threads."""

from simulator.testing.client import (
    AsyncSimClient,
    ClockState,
    JournalMessage,
    SettledElsewhere,
    SimClient,
    SimError,
    WaitTimeout,
)
from simulator.testing.handle import PostmanSim
from simulator.testing.server import BackgroundServer, ThreadedSimulator
from simulator.testing.sink import Delivery, WebhookSink

__all__ = ["AsyncSimClient", "BackgroundServer", "ClockState", "Delivery", "JournalMessage", "PostmanSim",
           "SettledElsewhere", "SimClient", "SimError", "ThreadedSimulator", "WaitTimeout", "WebhookSink"]
