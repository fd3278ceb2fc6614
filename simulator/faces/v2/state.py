"""What the v2 face remembers besides messages: campaigns, which key belongs to which, batches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from simulator.core.ids import IdFactory
from simulator.faces.credentials import SecretMap
from simulator.faces.v2.config import (
    CAMPAIGN_FORMAT,
    KEY_FORMAT,
    VARIABLE,
    Campaign,
    Template,
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

    # -- snapshots: plain data, keys only by digest ------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        return {
            "campaigns": [{"id": c.id, "configured": c.configured, "header": c.header, "footer": c.footer,
                           "creator_id": c.creator_id,
                           "templates": {lang: {"body": t.body, "id": t.id, "template_id": t.template_id,
                                                "created_at": t.created_at} for lang, t in c.templates.items()}}
                          for c in self.campaigns.values()],
            "key_owner": [[digest, owner] for digest, owner in self.key_owner.digests()],
            "batches": [asdict(b) for b in self.batches.values()],
        }

    def import_state(self, data: Mapping[str, Any]) -> None:
        """Campaigns come back with the ids they had (a configured one keeps its keys from the scenarios file,
        and a template whose text changed there takes the new text); open-mode key bindings come back by digest."""
        for item in data["campaigns"]:
            templates = {str(lang): Template(language=str(lang), body=str(t["body"]), id=str(t["id"]),
                                             template_id=str(t["template_id"]),
                                             variables=frozenset(VARIABLE.findall(str(t["body"]))),
                                             created_at=float(t["created_at"]))
                         for lang, t in item["templates"].items()}
            current = self.campaigns.get(item["id"])
            if current is not None and current.configured:
                templates = {lang: t if lang not in templates or templates[lang].body != t.body
                             else replace(t, id=templates[lang].id, template_id=templates[lang].template_id,
                                          created_at=templates[lang].created_at)
                             for lang, t in current.templates.items()}
                campaign = replace(current, templates=templates, creator_id=str(item["creator_id"]))
            else:
                campaign = Campaign(id=str(item["id"]), keys=frozenset(), templates=templates,
                                    header=str(item["header"]), footer=str(item["footer"]),
                                    creator_id=str(item["creator_id"]), configured=False)
            self.campaigns[campaign.id] = campaign
        for digest, owner in data["key_owner"]:  # open-mode bindings only: configured keys are the file's
            bound = self.campaigns.get(str(owner))
            if bound is not None and not bound.configured:
                self.key_owner.put_digest(str(digest), bound.id)
        self.batches = {str(b["id"]): Batch(id=str(b["id"]), campaign_id=str(b["campaign_id"]),
                                            message_ids=[str(i) for i in b["message_ids"]],
                                            created_at=float(b["created_at"]), updated_at=float(b["updated_at"]),
                                            status=str(b["status"]))
                        for b in data["batches"]}
