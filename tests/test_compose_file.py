"""docker-compose.yml (issue 16): Redis with its append-only file, three replicas on it, nginx in front.

No Docker daemon in CI: the file is checked for what makes the deployment one simulator, not started.
"""

from __future__ import annotations

import re

import yaml

from simulator.replicas import RedisTarget, parse_state
from tests.conftest import ROOT


def test_three_replicas_share_one_redis_with_an_append_only_file_behind_one_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])  # the file outlives the container
    replicas = sorted(name for name, service in services.items()
                      if "POSTMAN_SIM_STATE" in service.get("environment", {}))
    assert replicas == ["sim-1", "sim-2", "sim-3"]
    targets = {services[name]["environment"]["POSTMAN_SIM_STATE"] for name in replicas}
    assert len(targets) == 1
    target = parse_state(targets.pop())
    assert isinstance(target, RedisTarget) and target.host == "redis"
    proxy = services["proxy"]
    conf_path = next(v.split(":")[0] for v in proxy["volumes"] if v.endswith("default.conf:ro"))
    conf = (ROOT / conf_path).read_text(encoding="utf-8")
    assert sorted(re.findall(r"server (sim-\d):8080;", conf)) == replicas
    assert "proxy_next_upstream error timeout;" in conf  # never resend a request a replica has taken
