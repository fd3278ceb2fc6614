"""What the v2 face remembers besides messages: campaigns, which key belongs to which, batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core.ids import IdFactory
from simulator.faces.credentials import SecretMap
from simulator.faces.v2.config import (
    CAMPAIGN_FORMAT,
    KEY_FORMAT,
    Campaign,
    V2Config,
    build_campaign,
    open_campaign_spec,
)

RETRYABLE_BATCH = ("messages_enqueued", "messages_enqueuing_failed")


@dataclass(slots=True)
class Batch:
    id: str
    campaign_id: str
    message_ids: list[str]
    created_at: float
    updated_at: float
    status: str = "messages_enqueued"


@dataclass(slots=True)
class V2State:
    config: V2Config
    open_mode: bool
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    key_owner: SecretMap[str] = field(default_factory=SecretMap)  # key -> campaign id, looked up by digest
    batches: dict[str, Batch] = field(default_factory=dict)

    def load(self, ids: IdFactory, now: float) -> None:
        """(Re)build the configured campaigns; open-mode ones are forgotten."""
        self.campaigns.clear()
        self.key_owner.clear()
        self.batches.clear()
        for spec in self.config.campaign_specs:
            campaign = build_campaign(spec, ids, now, configured=True)
            self.campaigns[campaign.id] = campaign
            for key in campaign.keys:
                self.key_owner[key] = campaign.id

    def authorise(self, key: str | None, campaign_id: str, ids: IdFactory, now: float) -> Campaign | None:
        """The campaign `key` may use, or None (401). Open mode binds a new key to its first campaign."""
        if key is None or not KEY_FORMAT.match(key):
            return None
        owner = self.key_owner.get(key)
        if owner is not None:
            return self.campaigns[owner] if owner == campaign_id else None
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None:
            return None if campaign.configured or not self.open_mode else self._bind(key, campaign)
        if not self.open_mode or not CAMPAIGN_FORMAT.match(campaign_id):
            return None
        campaign = build_campaign(open_campaign_spec(campaign_id), ids, now, configured=False)
        self.campaigns[campaign.id] = campaign
        return self._bind(key, campaign)

    def _bind(self, key: str, campaign: Campaign) -> Campaign:
        self.key_owner[key] = campaign.id
        return campaign

    def forget_tenant(self, campaign_id: str) -> None:
        for batch_id in [b.id for b in self.batches.values() if b.campaign_id == campaign_id]:
            del self.batches[batch_id]
