"""Agile Telecom Qlara partner gateway (/api): WhatsApp and SMS send, delivery status, history, webhooks."""

from simulator.faces.qlara.face import QLARA_FACE, Inbound, QlaraFace
from simulator.faces.qlara.routes import create_face
from simulator.faces.qlara.sim import simulate_inbound
from simulator.faces.qlara.webhooks import inbound_pusher

__all__ = ["QLARA_FACE", "Inbound", "QlaraFace", "create_face", "inbound_pusher", "simulate_inbound"]
