"""The HTTP runtime of the scenarios: what wires faults and hot reload into the running app."""
