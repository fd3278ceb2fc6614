"""Status webhooks: subscriptions, formats, signing, retried delivery and the delivery log.

Their /_sim routes (simulator.admin.webhooks) and the sink (simulator.admin.sink) are in simulator.admin.

How a face adds its own subscription (e.g. Qlara's per-company registration):
    dispatcher = request.config_dict[DISPATCHER]
    dispatcher.set_subscription(f"qlara:{company}", {"url": url, "format": "qlara", "faces": ["qlara"],
                                "channels": ["whatsapp", "sms"], "tenant": company}, source="qlara")
    dispatcher.deliver(f"qlara:{company}", payload, face="qlara", channel="whatsapp", tenant=company,
                       kind="INBOUND")   # a ready-made payload (not a status change) for that one subscription
A subscription whose source is a face's name is that face's state: an engine reset removes it.
"""

from simulator.webhooks.dispatcher import Conflict, Dispatcher, NotFound
from simulator.webhooks.lifecycle import dispatcher_lifecycle
from simulator.webhooks.state import DISPATCHER
from simulator.webhooks.subscription import Subscription, SubscriptionError

__all__ = ["DISPATCHER", "Conflict", "Dispatcher", "NotFound", "Subscription", "SubscriptionError",
           "dispatcher_lifecycle"]
