"""Postman v2 (/api/v2): SMS campaigns, single and batch send, retries, cursor-paginated lists."""

from simulator.faces.v2.routes import create_face

__all__ = ["create_face"]
