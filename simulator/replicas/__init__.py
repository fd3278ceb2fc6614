"""Replicas on Redis: state-machine replication over one Redis Stream.

Every replica keeps the whole simulator in memory. A request that can change state (anything sent to an
emulated API, any /_sim request but a GET) is not run where it arrives: it is appended to the stream, every
replica runs the stream's entries through its own app in stream order (a private unix socket per process,
so the real middlewares and handlers run), and the replica that received it answers with what its own run
produced. Time comes from the entries, never from a replica's clock, so every replica reaches the same
state. GET /_sim first catches up with the stream and then answers from memory. See docs/deployment.md.
"""

from simulator.replicas.target import MEMORY, RedisTarget, StateTargetError, parse_state

__all__ = ["MEMORY", "RedisTarget", "StateTargetError", "parse_state"]
