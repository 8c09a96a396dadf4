"""A value set with --secret (a ``secure:`` entry) is never shown, whatever the error and
wherever the secret sits: a mistyped key, a section that wants a mapping, inside an object, in
an application's override. A unique marker stands for the secret's value throughout."""

import json

import pytest

from offline import harness
from shipyard.config.base import SettingsError
from shipyard.config.load import mask_secrets, parse_settings
from tests.support.settings import REQUIRED

MARKER = "mk-4bd1e2c07a"


def problems(raw, secret):
    with pytest.raises(SettingsError) as info:
        parse_settings({**REQUIRED, **raw}, project="shipyard", stack="prod",
                       region="us-east-1", secret_keys=frozenset(secret))
    return info.value.problems


# a secret in every place a secret can go, each wrong: key -> the secret's (decrypted) text
WRONG = {
    "kubeconfgi": MARKER,                                   # a mistyped secret key
    "tags": MARKER,                                         # a string where a mapping goes
    "network": MARKER,
    "cluster": MARKER,
    "addons": MARKER,
    "applications": MARKER,
    "environment": MARKER,
    "protect": MARKER,
    "stores": "[" + MARKER,                                 # not JSON
}
NESTED = [
    ("network", {"cidr": MARKER}),
    ("network", {"cidr": "10.0.0.0/16", "azCount": MARKER}),
    ("network", {MARKER: 1}),                               # an unknown key, the secret's own
    ("tags", {"a": [MARKER]}),
    ("cluster", {"nodeGroups": {"general": {"instanceTypes": MARKER}}}),
    ("addons", {"certManager": {"acmeEmail": MARKER}}),
    ("applications", {"code-learn": MARKER}),
    ("applications", {MARKER: {}}),
    ("applications", {"code-learn": {"bogus": MARKER}}),
    ("applications", {"code-learn": {"services": {"api-gateway": {"replicas": MARKER}}}}),
    ("applications", {"code-learn": {"services": {MARKER: {}}}}),
]


@pytest.mark.parametrize("key", WRONG)
def test_a_wrong_secret_is_masked(key):
    lines = problems({key: WRONG[key]}, {key})
    assert lines and all(MARKER not in line for line in lines), lines
    assert any(line.startswith(f"shipyard:{key}") and '"[secret]"' in line for line in lines)


@pytest.mark.parametrize(("key", "value"), NESTED, ids=[f"{k}-{i}" for i, (k, _) in
                                                        enumerate(NESTED)])
def test_a_secret_object_is_masked_whatever_is_wrong_inside(key, value):
    lines = problems({key: json.dumps(value)}, {key})
    assert lines and all(MARKER not in line for line in lines), lines
    assert all(line.startswith(f"shipyard:{key}") for line in lines)


def test_a_mistyped_secret_key_still_says_what_was_meant():
    (line,) = problems({"kubeconfgi": MARKER}, {"kubeconfgi"})
    assert line == ('shipyard:kubeconfgi: unknown key (value: "[secret]"); did you mean '
                    "'kubeconfig'?")


def test_a_secret_on_a_setting_is_refused_before_it_can_reach_a_resource():
    (line,) = problems({"tags": json.dumps({"team": MARKER})}, {"tags"})
    assert line == ('shipyard:tags: not a secret setting, set it without --secret (only '
                    'kubeconfig, alertUrls are secrets) (value: "[secret]")')


def test_the_models_keys_stay_readable_under_a_secret():
    raw = {"network": json.dumps({"cidr": MARKER, "mine": MARKER})}
    lines = mask_secrets([f"shipyard:network.cidr: {MARKER!r} is bad (value: "
                          f"{json.dumps(MARKER)})", "shipyard:network.mine: unknown key "
                          "(value: 1)"], raw, frozenset({"network"}))
    assert lines == ['shipyard:network.cidr: "[secret]" is bad (value: "[secret]")',
                     'shipyard:network.[secret]: unknown key (value: "[secret]")']


def test_a_secret_quoted_by_a_problem_elsewhere_is_masked_too():
    lines = mask_secrets([f"shipyard:dns.domain: clashes with {MARKER!r} (value: 1)"],
                         {"tags": json.dumps({"a": MARKER})}, frozenset({"tags"}))
    assert lines == ['shipyard:dns.domain: clashes with "[secret]" (value: 1)']


def test_values_that_are_not_secret_are_still_shown():
    (line,) = problems({"protect": "maybe"}, set())
    assert line.endswith('(value: "maybe")')


def test_raw_json_is_strict():
    lines = problems({"tags": '{"a": "1", "a": "2"}', "network": '{"azCount": NaN}'}, set())
    assert any("shipyard:tags: not valid JSON: key 'a' written twice" in p for p in lines)
    assert any("shipyard:network: not valid JSON: NaN is not a JSON number" in p for p in lines)


# ---------------------------------------------------------------------------------------------
# The marker through plan.py: the program sees the marker as the secret's decrypted value


def _stack(tmp_path, config):
    lines = ["config:", "  aws:region: us-east-1", "  shipyard:environment: dev",
             '  shipyard:dns: {parentZoneId: Z0PARENT}']
    lines += [f"  {k}: {json.dumps(v)}" for k, v in config.items()]
    (tmp_path / "Pulumi.m.yaml").write_text("\n".join(lines) + "\n")


SECURE = {"secure": f"v1:{MARKER}"}
BAD_STACKS = {
    "mistyped key": {"shipyard:kubeconfgi": SECURE},
    "tags": {"shipyard:tags": SECURE},
    "inside tags": {"shipyard:tags": {"a": SECURE, "aws:bad": "x"}},
    "network": {"shipyard:network": SECURE},
    "applications": {"shipyard:applications": SECURE},
    "an application": {"shipyard:applications": {"code-learn": SECURE}},
    "a service's replicas": {"shipyard:applications": {"code-learn": {"services": {
        "api-gateway": {"replicas": SECURE}}}}},
    "empty secure": {"shipyard:kubeconfig": {"secure": ""}},
}


@pytest.mark.parametrize("name", BAD_STACKS)
def test_plan_never_prints_a_wrong_secret(tmp_path, capsys, monkeypatch, name):
    import plan

    monkeypatch.setattr(harness, "OFFLINE_SECRET", f'{{"x": "{MARKER}"}}')
    _stack(tmp_path, {"shipyard:addons": {"certManager": {"acmeEmail": "ops@example.com"}},
                      **BAD_STACKS[name]})
    assert plan.main(["m", "--stack-dir", str(tmp_path), "--json",
                      str(tmp_path / "plan.json")]) == 2
    out = capsys.readouterr()
    assert MARKER not in out.out + out.err and "Traceback" not in out.err
    assert not (tmp_path / "plan.json").exists()


def test_a_valid_secret_never_reaches_the_plan_json_or_its_output(tmp_path, capsys,
                                                                  monkeypatch):
    import plan
    from tests.support.plans import run_platform

    monkeypatch.setattr(harness, "OFFLINE_SECRET",
                        json.dumps({"oncall": f"https://hooks.example.com/{MARKER}"}))
    monkeypatch.setattr(plan, "run_program", lambda stack, **kw: run_platform(stack, **kw))
    _stack(tmp_path, {
        "shipyard:addons": {"certManager": {"acmeEmail": "ops@example.com"},
                            "monitoring": {"receivers": [{"name": "oncall",
                                                          "type": "slack"}]}},
        "shipyard:cluster": {"mode": "existing"},
        "shipyard:kubeconfig": SECURE, "shipyard:alertUrls": SECURE})
    assert plan.main(["m", "--stack-dir", str(tmp_path), "--json",
                      str(tmp_path / "plan.json"), "--manifests", str(tmp_path / "k8s")]) == 0
    out = capsys.readouterr()
    assert MARKER not in out.out + out.err
    assert MARKER not in (tmp_path / "plan.json").read_text()
    for manifest in (tmp_path / "k8s").rglob("*"):
        assert manifest.is_dir() or MARKER not in manifest.read_text(), manifest


def test_what_the_stack_writes_in_plain_is_not_masked():
    line = "shipyard:addons.monitoring.receivers[0].name: 'oncall' is bad (value: \"oncall\")"
    raw = {"alertUrls": json.dumps({"oncall": f"https://hooks.example.com/{MARKER}"}),
           "addons": json.dumps({"monitoring": {"receivers": [{"name": "oncall"}]}})}
    assert mask_secrets([line], raw, frozenset({"alertUrls"})) == [line]
