"""Snapshots of the embedded (memory) state: `serve --snapshot PATH` keeps a simulator across restarts.

envelope.py: the file format (magic, version, checksum; atomic replace); messages.py: messages as rows;
state.py: every holder's part of the payload, and putting it back; service.py: restore at start, periodic
and final writes, the status /_sim/health shows.
"""

from simulator.snapshot.envelope import SnapshotError
from simulator.snapshot.service import DEFAULT_EVERY, SNAPSHOT, SnapshotStatus, load, stop_once_on_signals, write

__all__ = ["DEFAULT_EVERY", "SNAPSHOT", "SnapshotError", "SnapshotStatus", "load", "stop_once_on_signals", "write"]
