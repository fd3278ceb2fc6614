"""Postman v1 (/v1): the legacy transactional API for email, SMS and GovSG WhatsApp."""

from simulator.faces.v1.routes import create_face

__all__ = ["create_face"]
