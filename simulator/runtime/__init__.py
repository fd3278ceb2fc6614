"""The HTTP runtime of what scenarios decide: the faults middleware (and, later, hot reload's poller)."""
