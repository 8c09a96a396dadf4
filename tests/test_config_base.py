"""The value types every settings section and the catalogs share (shipyard/config/base.py):
pure, tested without mocks."""

import pytest
from pydantic import TypeAdapter, ValidationError

from shipyard.config.base import (
    AwsTags,
    Cron,
    DnsLabel,
    Email,
    HeaderName,
    Int,
    Int32,
    LabelKey,
    LabelValue,
    WildcardHostname,
)


def ok(type_, value):
    return TypeAdapter(type_).validate_python(value)


def refused(type_, value) -> str:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(type_).validate_python(value)
    return str(info.value)


def test_a_boolean_is_never_a_number():
    assert ok(Int, 3) == 3 and ok(Int, "3") == 3
    assert "true is not a number" in refused(Int, True)
    assert "false is not a number" in refused(Int32, False)


def test_int32_is_what_kubernetes_holds():
    assert ok(Int32, 2**31 - 1) == 2**31 - 1
    refused(Int32, 2**31)
    refused(Int32, -2**31 - 1)


@pytest.mark.parametrize("value", ["argo", "a", "a-b-1", "x" * 63])
def test_rfc1123_labels(value):
    assert ok(DnsLabel, value) == value


@pytest.mark.parametrize("value", ["-argo", "argo-", "Bad_Host", "kiali ui", "", "x" * 64])
def test_not_rfc1123_labels(value):
    assert "RFC 1123" in refused(DnsLabel, value)


def test_wildcard_hostnames():
    assert ok(WildcardHostname, "*.Example.com") == "*.example.com"
    assert ok(WildcardHostname, "api.example.com") == "api.example.com"
    for bad in ("-x.example.com", "Bad_Host.example.com", "*.*.example.com", "a..b"):
        refused(WildcardHostname, bad)


def test_label_keys_and_values():
    assert ok(LabelKey, "node.kubernetes.io/role") == "node.kubernetes.io/role"
    assert ok(LabelValue, "") == "" and ok(LabelValue, "spot_1.a") == "spot_1.a"
    for bad in ("-role", "a/b/c", "x" * 64, "role!"):
        refused(LabelKey, bad)
    for bad in ("-x", "x" * 64, "a b"):
        refused(LabelValue, bad)


def test_header_names_and_emails():
    assert ok(HeaderName, "x-preview") == "x-preview"
    for bad in ("x preview", "", "x:y"):
        refused(HeaderName, bad)
    assert ok(Email, "ops@example.com") == "ops@example.com"
    assert ok(Email, "Ops@Example.com") == "Ops@Example.com"   # a domain is case-insensitive
    assert ok(Email, "ops@example.xn--p1ai")
    for bad in ("a@b..com", "a@b", "@example.com", "a b@example.com"):
        refused(Email, bad)


@pytest.mark.parametrize("value", ["0 */6 * * *", "30 2 * * 1-5", "0 0 1 jan,jul *",
                                   "*/15 0-23/2 1,15 * sun", "@daily", "@every 6h",
                                   "@every 1h30m", "0 3 ? * *", "0 3 * * 6"])
def test_cron_schedules(value):
    assert ok(Cron, value) == value


@pytest.mark.parametrize("value", ["61 * * * *", "0 25 * * *", "a b c d e", "* * * *",
                                   "0 0 0 * *", "*/0 * * * *", "5-1 * * * *",
                                   "0 3 * * 7",      # Velero's cron: day of week 0-6
                                   "? 3 * * *", "@every", "@every 6x"])
def test_not_cron_schedules(value):
    refused(Cron, value)


def test_aws_tags():
    assert ok(AwsTags, {"team": "platform", "cost-center": "42 / a@b"})
    for bad in ({"aws:owner": "x"}, {"": "x"}, {"k" * 129: "x"}, {"k": "v" * 257},
                {"k": "a;b"}):
        refused(AwsTags, bad)
