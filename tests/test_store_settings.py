"""Every ``stores.*`` rule refuses a bad value when the settings are read: the program stops with
the key and the value named, before it registers a single resource (the rules themselves:
shipyard/rules/stores.py, tested in test_rules_stores.py)."""

import json

import pytest
import yaml

import plan as plan_cli
from offline.harness import read_stack_config, run_program
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from tests.support.plans import CountingMocks
from tests.support.repo import ROOT

# every stack hosts the five applications: staging runs their stores on AWS in one zone, dev in
# the cluster, prod on AWS with Multi-AZ
CASES = [
    ("staging", {"postgresql": {"storageGi": 5}}, "stores.postgresql.storageGi", 5,
     "RDS gp3 storage starts at 20 GiB"),
    ("staging", {"maintenanceWindow": "mon:03:00-mon:04:00"}, "stores.maintenanceWindow",
     "mon:03:00-mon:04:00", "overlaps the daily backup window"),
    ("staging", {"backupWindow": "03:00-03:15"}, "stores.backupWindow", "03:00-03:15",
     "at least 30 minutes"),
    ("staging", {"multiAz": True, "redis": {"instances": 1}}, "stores.redis.instances", 1,
     "needs a replica in another zone"),
    ("prod", {"mongodb": {"instances": 1}}, "stores.mongodb.instances", 1,
     "needs a replica in another zone"),
    ("prod", {"mysql": {"storageGi": 10}}, "stores.mysql.storageGi", 10,
     "RDS gp3 storage starts at 20 GiB"),
    ("dev", {"postgresql": {"version": "16"}}, "stores.postgresql.version", "16",
     "no CloudNativePG image pinned"),
    ("dev", {"mysql": {"version": "8.0"}}, "stores.mysql.version", "8.0",
     "no MySQL image pinned"),
    ("dev", {"mongodb": {"version": "7.0"}}, "stores.mongodb.version", "7.0",
     "which shipyard pins"),
    ("dev", {"redis": {"version": "8.2"}}, "stores.redis.version", "8.2",
     "which shipyard pins"),
    ("dev", {"rabbitmq": {"version": "latest"}}, "stores.rabbitmq.version", "latest",
     "which shipyard pins"),
    # the stack-wide rules (every kind, hosted or not)
    ("staging", {"mongodb": {"storageGi": 50, "maxStorageGi": 40}},
     "stores.mongodb.maxStorageGi", 40, "below storageGi (50)"),
    ("dev", {"mysql": {"instances": 2}}, "stores.mysql.instances", 2,
     "the in-cluster MySQL is one server"),
    ("staging", {"rabbitmq": {"size": "mq.m5.large"}}, "stores.rabbitmq.size", "mq.m5.large",
     "mq.m7g.* brokers only"),
]


@pytest.mark.parametrize(("stack", "stores", "key", "value", "message"), CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_bad_store_setting_stops_the_program_naming_key_and_value(stack, stores, key, value,
                                                                    message):
    mocks = CountingMocks()
    with pytest.raises(SettingsError) as info:
        run_program(stack, mocks=mocks, overrides={"shipyard:stores": stores})
    lines = [p for p in info.value.problems if p.startswith(f"shipyard:{key}:")]
    assert len(lines) == 1, info.value.problems       # named once, however many stores use it
    assert message in lines[0] and lines[0].endswith(f"(value: {json.dumps(value)})")
    assert mocks.registered == []


def test_a_rule_of_a_kind_no_hosted_application_runs_is_not_asked():
    # mentorplatform alone has PostgreSQL only: no DocumentDB, so its Multi-AZ rule has
    # nothing to check
    others = ("code-learn", "everything-portal", "learning-platform", "sre-platform")
    config, secret, project = read_stack_config("staging", overrides={
        "shipyard:applications": {name: {"enabled": False} for name in others},
        "shipyard:stores": {"multiAz": True, "mongodb": {"instances": 1}}})
    settings = parse_settings({k.split(":", 1)[1]: v for k, v in config.items()
                               if k.startswith("shipyard:")}, project=project, stack="staging",
                              region=config["aws:region"])
    assert [app.name for app in settings.applications] == ["mentorplatform"]
    assert settings.config.stores.mongodb.instances == 1


def test_plan_exits_2_on_a_bad_store_setting_before_anything_is_planned(tmp_path, capsys):
    # plan.py's own entry point, in this process (tests/test_settings.py runs it as a command)
    stack = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    stack["config"]["shipyard:stores"] = {"postgresql": {"storageGi": 5}}
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(stack))
    code = plan_cli.main(["staging", "--stack-dir", str(tmp_path),
                          "--json", str(tmp_path / "plan.json")])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert ("shipyard:stores.postgresql.storageGi: RDS gp3 storage starts at 20 GiB "
            "(value: 5)") in err
    assert not (tmp_path / "plan.json").exists()
