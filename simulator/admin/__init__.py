"""The /_sim control surface."""

from simulator.admin.routes import create_admin

__all__ = ["create_admin"]
