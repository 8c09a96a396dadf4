"""The contract, fuzzed: every bad input to a stack is refused cleanly, before anything is
registered, and no secret is ever shown.

Property-based (hypothesis), seeded (``derandomize``: the same examples on every run, no
example database) and reproducible. Each example mutates what a user edits: the real stack
files (Pulumi.{dev,staging,prod}.yaml: a value of a settings key, as written or left to its
default, replaced by a wrong type, a bound, a bad name, a duplicate, or deleted; a key mistyped;
the file's text broken), the ``shipyard:applications`` overrides, the catalogs (their values
and their text), and secrets (``secure:``) put anywhere. The contract, for every example:

- success, or a ``StackFileError`` naming the stack file, or a ``SettingsError`` whose every
  line names a key (``shipyard:...``, ``aws:...``) or a catalog file (``catalogs/...``);
- never any other exception (what would be a traceback);
- never a secret's value in an error, nor in the settings the program would build on;
- in the full program runs, nothing registered when the input is refused.

Most examples run the parse layer (``read_stack_config``, ``parse_settings``, which reads the
catalogs and resolves the overrides): it is pure and fast. A few run the whole program under
mocks. The suite runs a short profile; ``SHIPYARD_FUZZ=long`` runs many more examples (and
shrinks a failure to its smallest form): ``SHIPYARD_FUZZ=long venv/bin/python -m pytest -n 0
tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from offline import harness
from offline.harness import StackFileError, read_stack_config, run_program
from shipyard.catalog.load import CATALOG_DIR, CatalogError
from shipyard.config.base import SECRET_KEYS, SettingsError, key_path
from shipyard.config.defaults import deep_merge
from shipyard.config.load import parse_settings
from tests.support.plans import CountingMocks
from tests.support.repo import ROOT, STACKS

LONG = os.environ.get("SHIPYARD_FUZZ") == "long"
# the short profile stays within a few seconds of the suite's one-minute budget
PARSE = settings(max_examples=2000 if LONG else 50, derandomize=True, database=None,
                 deadline=None, print_blob=True,
                 phases=list(Phase) if LONG else [Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture,
                                        HealthCheck.filter_too_much])
RUNS = settings(PARSE, max_examples=60 if LONG else 4)

# what the program sees as a secure value's decrypted text: it must never come out
MARKER = "fz-9c41d7e2b0"
SECRET_TEXTS = (MARKER, json.dumps({"x": MARKER}), json.dumps({"oncall": f"https://{MARKER}"}))
SECRET_TEXT = st.sampled_from(SECRET_TEXTS)
SECURE = {"secure": f"v1:{MARKER}"}


# ---------------------------------------------------------------------------------------------
# What is mutated: the real stack files, their defaults, the catalogs


def _stack_doc(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())


def _own(stack: str) -> dict[str, Any]:
    return {k.split(":", 1)[1]: v for k, v in _stack_doc(stack)["config"].items()
            if k.startswith("shipyard:")}


def _sections(stack: str) -> dict[str, Any]:
    """Every shipyard:* key of the stack as the program sees it, every field of every section
    (its stack file over the defaults, as validated): a mutation can reach any key."""
    from tests.support.settings import stack_settings

    dumped = stack_settings(stack).config.model_dump(by_alias=True, mode="json")
    return deep_merge(dumped, _own(stack))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``data``, containers and leaves."""
    out = [prefix] if prefix else []
    if isinstance(data, dict) and list(data) != ["secure"]:
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


OWN = {stack: _own(stack) for stack in STACKS}
SECTIONS = {stack: _sections(stack) for stack in STACKS}
CATALOGS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(CATALOG_DIR.glob("*.yaml"))}
CATALOG_PATHS = {name: _paths(data) for name, data in CATALOGS.items()}
OVERRIDABLE = ("enabled", "hostname", "mesh", "services", "routes", "cdn")
OVERRIDE_PATHS = {name: [p for p in paths if p[0] in OVERRIDABLE]
                  for name, paths in CATALOG_PATHS.items()}


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    del _get(data, path[:-1])[path[-1]]


# ---------------------------------------------------------------------------------------------
# Bad values

BOUNDS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**32, 2**63, 10**30]
NAMES = ["", " ", "Bad_Host", "-x", "x-", "kiali ui", "-x.example.com", "a" * 64, "a" * 254,
         "x preview", "ü", "a..b", "a@b..com", "UPPER", "*.", "*", "/tmp", "0.0.0.0/0",
         "0.0.0.0/00", "10.0.0.0/33", "61 * * * *", "a b c d e", "banana", "db.", "aws:x",
         "1.1.0", "true", "null", "{", "[", "\t", "\n", "x" * 300, "🙂"]


def bad_values(original: Any) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.booleans(), st.none(), st.sampled_from(BOUNDS), st.integers(),
        st.sampled_from([0.5, -0.5, 1e308, 1e-9]), st.sampled_from(NAMES),
        st.text(max_size=12))
    shaped = st.one_of(
        st.just([]), st.just({}), st.lists(scalars, max_size=3),
        st.dictionaries(st.sampled_from(NAMES[:8] + ["enabled", "name", "aws:x", "x" * 129]),
                        scalars, max_size=2))
    near = []
    if isinstance(original, list) and original:
        near += [st.just(original + original[:1]),            # a duplicate
                 st.just([original[0], *original])]
    if isinstance(original, str):
        near += [st.just(original.upper()), st.just(original + "_"), st.just(" " + original),
                 st.just([original])]
    if isinstance(original, bool):
        near += [st.just(int(original)), st.just(str(original).lower())]
    elif isinstance(original, int):
        near += [st.just(original + 2**31), st.just(-original), st.just(str(original)),
                 st.just(True), st.just(float(original) + 0.5)]
    if isinstance(original, dict) and original:
        key = next(iter(original))
        near += [st.just({**original, key + "x": original[key]}),   # a mistyped key
                 st.just(list(original.values()))]
    # the near misses (a duplicate, true for a number, a case change) as often as the rest
    return st.one_of(scalars, shaped, st.one_of(*near), st.one_of(*near)) if near else \
        st.one_of(scalars, shaped)


def wrong_type(original: Any, value: Any) -> bool:
    """A change no schema can accept: a boolean for a number, a mapping, list or scalar for
    another of those (``None`` aside: a key may be optional)."""
    if value is None or original is None:
        return False
    if isinstance(original, int) and not isinstance(original, bool):
        return isinstance(value, (bool, dict, list))
    shape = (dict, list)
    return (isinstance(original, shape) or isinstance(value, shape)) and \
        type(original) is not type(value)


# values the systems they land in refuse, by the key they sit under (the issue's classes)
BAD_HOSTS = {"Bad_Host", "-x", "x-", "kiali ui", "-x.example.com", "a..b", "🙂", " ", "\t"}
BAD_BY_KEY = (
    (lambda key: key.lower().endswith(("hostname", "hostnames")), BAD_HOSTS),
    (lambda key: key == "schedule", {"61 * * * *", "a b c d e", "0 25 * * *"}),
    (lambda key: key.endswith("Email"), {"a@b..com", "Bad_Host", "", " "}),
    (lambda key: key in ("previewHeader",), {"x preview", "", " ", "kiali ui"}),
    (lambda key: key in ("instanceTypes",), {"banana", "", " "}),
)


def must_refuse(path: tuple[Any, ...], original: Any, value: Any) -> bool:
    """A change to ``value`` at ``path`` that any correct reading refuses: a wrong type, an
    integer no Kubernetes or AWS field holds (past int32), a bad name where a name goes."""
    if wrong_type(original, value):
        return True
    if isinstance(original, int) and not isinstance(original, bool) and \
            isinstance(value, int) and not isinstance(value, bool) and \
            not -(2**31) <= value <= 2**31 - 1:
        return True
    if path == ("tags",) and isinstance(value, dict) and any(
            k == "" or k.lower().startswith("aws:") or len(k) > 128 for k in value):
        return True  # AWS refuses these tag keys
    if path == ("cluster", "name") and value in BAD_HOSTS | {"UPPER", "a" * 64}:
        return True  # it names RDS, ElastiCache, S3 ... resources: AWS refuses these
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    values = value if isinstance(value, list) else [value]
    return any(rule(key) and any(isinstance(v, str) and v in bad for v in values)
               for rule, bad in BAD_BY_KEY)


def _anchor(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Where a change at ``path`` is written in a stack file: the path itself, or the list on
    the way (a stack file overrides a list whole)."""
    cut = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
    return path if cut is None else path[:cut]


def _assign(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[path[-1]] = value


@st.composite
def mutated_sections(draw: st.DrawFn, stack: str
                     ) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The stack file's shipyard:* sections with one to three mutations, each at a key the
    file sets or leaves to its default; and the paths of the changes that must be refused
    (a wrong type, a secret in a setting)."""
    merged = copy.deepcopy(SECTIONS[stack])      # what the program sees
    own = copy.deepcopy(OWN[stack])              # what the file says
    refuse: list[tuple[tuple[Any, ...], Any]] = []
    touched: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(merged) or [("tags",)]))
        try:
            original = _get(merged, path)
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(original, dict) and list(original) == ["secure"]:
            continue  # a secure value is the harness's to read (tests/test_stack_files.py)
        try:
            first = _get(SECTIONS[stack], path)  # what the key held before any change
        except (KeyError, IndexError, TypeError):
            first = None
        kind = draw(st.sampled_from(["value", "value", "value", "delete", "typo", "secret"]))
        touched.append(path)
        if kind == "typo" and isinstance(path[-1], str) and path[-1] and path == _anchor(path):
            typo = path[-1][:-1] + path[-1][-1].swapcase() + "x"
            touched[-1] = (*path[:-1], typo)
            _delete(merged, path)
            try:
                _delete(own, path)
            except (KeyError, IndexError, TypeError):
                pass
            _assign(own, (*path[:-1], typo), original)
            _set(merged, (*path[:-1], typo), original)
            continue
        if kind == "delete":
            _delete(merged, path)
            if path == _anchor(path):
                try:
                    _delete(own, path)
                except (KeyError, IndexError, TypeError):
                    pass  # a default: a stack file cannot unset it
                continue
        else:
            value = SECURE if kind == "secret" else draw(bad_values(original))
            _set(merged, path, value)
            if path[0] not in SECRET_KEYS and (kind == "secret" or
                                               must_refuse(path, first, value)):
                refuse.append((path, value))
        anchor = _anchor(path)
        _assign(own, anchor, copy.deepcopy(_get(merged, anchor)))
    if draw(st.integers(0, 3)) == 0:  # a secret under a key of its own, mistyped or not
        key = draw(st.sampled_from(["kubeconfgi", "kubeconfig", "alertUrls", "alerturls",
                                    "tags", "network", "applications", "protect"]))
        own[key] = merged[key] = SECURE
        touched.append((key,))
        if key not in ("kubeconfig", "alertUrls"):
            refuse.append(((key,), SECURE))
    still = []
    for path, value in refuse:  # unless a later change undid it
        try:
            if _get(own, path) == value:
                still.append((path, value))
        except (KeyError, IndexError, TypeError):
            pass
    return own, (still, touched)


@st.composite
def mutated_overrides(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """``shipyard:applications``: an override of one of an application's overridable values
    (a list on the way, routes or ports, is overridden whole)."""
    app = draw(st.sampled_from(sorted(CATALOGS)))
    path = draw(st.sampled_from(OVERRIDE_PATHS[app]))
    original = _get(CATALOGS[app], path)
    value = draw(st.one_of(bad_values(original), st.just(SECURE)))
    key = ("applications", app, *path)
    refuse = ([(key, value)] if value == SECURE or must_refuse(path, original, value) else [],
              [key])
    anchor = _anchor(path)
    override: dict[str, Any] = {}
    if anchor == path:
        _assign(override, path, value)
    else:
        listed = copy.deepcopy(_get(CATALOGS[app], anchor))
        _set({"x": listed}, ("x", *path[len(anchor):]), value)
        _assign(override, anchor, listed)
    return {app: override}, refuse


TEXT_BREAKS = ["\tkey: 1\n", "---\nconfig: {}\n", "x: !!python/object/apply:os.system [ls]\n",
               "key: [1\n", "{", "config: [1, 2]\n", "config: 3\n", "- a\n", "key: {secure: }\n",
               "key: &a [*a]\n", "key: 2024-13-45\n", "? [a]\n: 1\n", "\ufeff", "  \t\n"]


@st.composite
def text_breaks(draw: st.DrawFn) -> tuple[str, int, Any]:
    """How to break a file's text at one line: an insertion, a line written twice, a cut,
    bytes that are not UTF-8, an indentation (a small description: the example stays
    readable; ``broken`` applies it)."""
    kind = draw(st.sampled_from(["insert", "twice", "cut", "bytes", "indent"]))
    at = draw(st.integers(0, 400))
    what = {"insert": st.sampled_from(TEXT_BREAKS), "indent": st.sampled_from(["\t", " ", "   "]),
            "cut": st.integers(0, 20000)}.get(kind, st.none())
    return kind, at, draw(what)


def broken(text: str, edit: tuple[str, int, Any]) -> bytes:
    kind, at, what = edit
    lines = text.splitlines(keepends=True)
    at = at % (len(lines) + 1)
    if kind == "insert":
        lines.insert(at, what)
    elif kind == "twice" and at < len(lines):
        lines.insert(at, lines[at])
    elif kind == "cut":
        return text[:what % (len(text) + 1)].encode()
    elif kind == "indent" and at < len(lines):
        lines[at] = what + lines[at]
    elif kind == "bytes":
        return "".join(lines[:at]).encode() + b"\xff\xfe" + "".join(lines[at:]).encode()
    return "".join(lines).encode()


def _stack_text(stack: str, sections: dict[str, Any]) -> str:
    doc = _stack_doc(stack)
    config = {k: v for k, v in doc["config"].items() if not k.startswith("shipyard:")}
    config.update({f"shipyard:{k}": v for k, v in sections.items()})
    return yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True)


# ---------------------------------------------------------------------------------------------
# The contract


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stack directory and a copy of the catalogs, rewritten by each example."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(CATALOG_DIR, root / "catalogs")
    return root


def _key_named(line: str, catalog_dir: Path) -> bool:
    """One line naming a key or a catalog file (the copy's path: the fuzz's catalogs are a
    copy outside the repository)."""
    return "\n" not in line and line.startswith(("shipyard:", "aws:", "catalogs/",
                                                 str(catalog_dir)))


def check_parse(stack_dir: Path, stack: str, catalog_dir: Path,
                secret_text: str = MARKER) -> tuple[str, list[str]]:
    """Read the stack and parse its settings as the program does, every secure value
    decrypting to ``secret_text``; assert the contract. The outcome: "ok", "stack file" or
    "settings"."""
    with mock.patch.object(harness, "OFFLINE_SECRET", secret_text):
        try:
            config, secret, project = read_stack_config(stack, stack_dir=stack_dir)
        except StackFileError as exc:
            assert f"Pulumi.{stack}.yaml" in str(exc) and "\n" not in str(exc), str(exc)
            assert MARKER not in str(exc), str(exc)
            return "stack file", [str(exc)]
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("shipyard:")}
    try:
        result = parse_settings(
            raw, project=project, stack=stack, region=config.get("aws:region"),
            secret_keys=frozenset(k.split(":", 1)[1] for k in secret
                                  if k.startswith("shipyard:")),
            catalog_dir=catalog_dir)
    except SettingsError as exc:
        assert exc.problems, "a SettingsError without a problem"
        for line in exc.problems:
            assert _key_named(line, catalog_dir), f"not one line naming a key: {line}"
            assert MARKER not in line, f"a secret shown: {line}"
        return "settings", exc.problems
    shown = result.config.model_dump_json(exclude={"kubeconfig", "alert_urls"})
    assert MARKER not in shown and MARKER not in json.dumps(result.notes), \
        "a secret reached the settings outside kubeconfig and alertUrls"
    return "ok", []


def _names(lines: list[str], path: tuple[Any, ...], *, siblings: bool = False) -> bool:
    """A problem names the key at ``path``, one above or below it (or, with ``siblings``,
    one near it: a rule between two keys may name the other), or its message does."""
    key = f"shipyard:{key_path(path)}"
    # a rule between keys names another one near: below the same section, two or three up
    up = path[:max(1, len(path) - 3)]
    near = [key] + ([f"shipyard:{key_path(up)}"] if siblings else [])
    named = [line.split(": ", 1)[0] for line in lines]
    # a change that creates a section may be refused for the section's other keys (a required
    # one not set): a key beside one of the change's own ancestors, up to five levels
    ancestors = {f"shipyard:{key_path(path[:depth])}"
                 for depth in range(max(1, len(path) - 5), len(path))} if siblings else set()
    return any(k.startswith(n) or n.startswith(k) for n in named for k in near) or \
        any(n.rsplit(".", 1)[0] in ancestors for n in named) or \
        any(re.search(rf"(?<![\w.]){re.escape(key_path(path))}(?![\w])", line) for line in lines)


def assert_refused(outcome: tuple[str, list[str]],
                   paths: tuple[list[tuple[tuple[Any, ...], Any]], list[tuple[Any, ...]]]) -> None:
    """Each change at ``paths[0]`` (a wrong type, a secret in a setting) must be refused, and
    when it is the only change, by a problem naming it; any refusal names one of the keys
    changed (``paths[1]``) or a key beside one."""
    refuse, touched = paths
    result, lines = outcome
    for path, value in refuse:
        written = json.dumps(value, default=str)
        assert result != "ok", f"accepted: shipyard:{key_path(path)} = {written}"
        if result == "settings" and len(touched) == 1:
            assert _names(lines, path), \
                f"shipyard:{key_path(path)} = {written} refused without naming it: {lines}"
    if result == "settings" and touched:
        assert any(_names(lines, path, siblings=True) for path in touched), \
            f"refused without naming {[key_path(p) for p in touched]}: {lines}"


def _write(work: Path, stack: str, data: bytes) -> Path:
    stack_dir = work / "stack"
    stack_dir.mkdir(exist_ok=True)
    (stack_dir / f"Pulumi.{stack}.yaml").write_bytes(data)
    return stack_dir


def _case(stack: str, path: tuple[Any, ...], value: Any) -> tuple[str, dict[str, Any], Any]:
    """An explicit example: the stack file with ``value`` at ``path``, which must be refused
    naming it."""
    own = copy.deepcopy(OWN[stack])
    _assign(own, path, value)
    return stack, own, ([(path, value)], [path])


@st.composite
def mutated_stacks(draw: st.DrawFn) -> tuple[str, dict[str, Any], Any]:
    stack = draw(st.sampled_from(STACKS))
    return (stack, *draw(mutated_sections(stack)))


@PARSE
@given(case=mutated_stacks(), secret_text=SECRET_TEXT)
def test_mutated_settings_keep_the_contract(work, case, secret_text):
    stack, sections, refuse = case
    stack_dir = _write(work, stack, _stack_text(stack, sections).encode())
    assert_refused(check_parse(stack_dir, stack, work / "catalogs", secret_text), refuse)


ISSUE_SETTINGS = {  # the issue's examples (each must be refused, naming its key)
    "true for an integer": ("prod", ("registry", "keepTaggedImages"), True),
    "true for a maximum": ("dev", ("cluster", "nodeGroups", "general", "maxSize"), True),
    "a cluster name AWS refuses": ("staging", ("cluster", "name"), "Shipyard_Staging"),
    "an aws: tag": ("prod", ("tags",), {"aws:team": "x"}),
    "a schedule past the hour": ("prod", ("backups", "schedule"), "61 * * * *"),
    "an e-mail with two dots": ("dev", ("addons", "certManager", "acmeEmail"), "a@b..com"),
    "a mistyped secret key": ("prod", ("kubeconfgi",), SECURE),
    "a secret network": ("prod", ("network",), SECURE),
}


@pytest.mark.parametrize("name", ISSUE_SETTINGS)
def test_the_issues_settings_are_refused(work, name):
    stack, sections, refuse = _case(*ISSUE_SETTINGS[name])
    stack_dir = _write(work, stack, _stack_text(stack, sections).encode())
    assert_refused(check_parse(stack_dir, stack, work / "catalogs", json.dumps({"x": MARKER})),
                   refuse)


def _override(app: str, path: tuple[Any, ...], value: Any) -> tuple[dict[str, Any], Any]:
    override: Any = value
    if path:
        override = {}
        _assign(override, path, value)
    key = ("applications", app, *path)
    return {app: override}, ([(key, value)], [key])


ISSUE_OVERRIDES = {
    "true for minReplicas": ("code-learn", ("services", "api-gateway", "autoscaling",
                                            "minReplicas"), True),
    "maxReplicas past int32": ("code-learn", ("services", "api-gateway", "autoscaling",
                                              "maxReplicas"), 2**31),
    "true for minAvailable": ("sre-platform", ("services", "auth", "disruptionBudget",
                                               "minAvailable"), True),
    "a secret override": ("code-learn", (), SECURE),
}


@pytest.mark.parametrize("name", ISSUE_OVERRIDES)
def test_the_issues_overrides_are_refused(work, name):
    overrides, refuse = _override(*ISSUE_OVERRIDES[name])
    sections = deep_merge(copy.deepcopy(OWN["prod"]), {"applications": overrides})
    stack_dir = _write(work, "prod", _stack_text("prod", sections).encode())
    assert_refused(check_parse(stack_dir, "prod", work / "catalogs"), refuse)


@PARSE
@given(stack=st.sampled_from(STACKS), overrides=mutated_overrides(), secret_text=SECRET_TEXT)
def test_mutated_application_overrides_keep_the_contract(work, stack, overrides, secret_text):
    overrides, refuse = overrides
    sections = copy.deepcopy(OWN[stack])
    sections["applications"] = deep_merge(sections.get("applications") or {}, overrides)
    stack_dir = _write(work, stack, _stack_text(stack, sections).encode())
    assert_refused(check_parse(stack_dir, stack, work / "catalogs", secret_text), refuse)


@settings(PARSE, max_examples=1000 if LONG else 30)
@given(stack=st.sampled_from(STACKS), data=st.data())
def test_broken_stack_files_keep_the_contract(work, stack, data):
    text = broken((ROOT / f"Pulumi.{stack}.yaml").read_text(), data.draw(text_breaks()))
    check_parse(_write(work, stack, text), stack, work / "catalogs", data.draw(SECRET_TEXT))


@st.composite
def mutated_catalog(draw: st.DrawFn) -> tuple[str, Any]:
    """A catalog's name and what to write: its text broken, or its data mutated."""
    name = draw(st.sampled_from(sorted(CATALOGS)))
    if draw(st.integers(0, 3)) == 0:
        return name, draw(text_breaks())
    data = copy.deepcopy(CATALOGS[name])
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_paths(data)))
        try:
            original = _get(data, path)
        except (KeyError, IndexError, TypeError):
            continue
        if draw(st.integers(0, 4)) == 0:
            _delete(data, path)
        else:
            _set(data, path, draw(bad_values(original)))
    return name, data


@settings(PARSE, max_examples=1000 if LONG else 30)
@given(stack=st.sampled_from(STACKS), catalog=mutated_catalog(), secret_text=SECRET_TEXT)
def test_mutated_catalogs_keep_the_contract(work, stack, catalog, secret_text):
    name, change = catalog
    path = work / "catalogs" / f"{name}.yaml"
    if isinstance(change, dict):
        path.write_text(yaml.safe_dump(change, sort_keys=False, allow_unicode=True))
    else:
        path.write_bytes(broken((CATALOG_DIR / f"{name}.yaml").read_text(), change))
    try:
        stack_dir = _write(work, stack, (ROOT / f"Pulumi.{stack}.yaml").read_bytes())
        check_parse(stack_dir, stack, work / "catalogs", secret_text)
    finally:
        shutil.copyfile(CATALOG_DIR / f"{name}.yaml", path)


@RUNS
@given(stack=st.sampled_from(STACKS), data=st.data())
def test_a_refused_input_registers_nothing(work, stack, data):
    """The whole program, on inputs the parse layer refuses: refused the same way, nothing
    registered, no secret in the error."""
    if data.draw(st.booleans()):
        sections, _ = data.draw(mutated_sections(stack))
        text = _stack_text(stack, sections).encode()
    else:
        text = broken((ROOT / f"Pulumi.{stack}.yaml").read_text(), data.draw(text_breaks()))
    stack_dir = _write(work, stack, text)
    # a success is a full plan (seconds): the plans' own tests run those
    assume(check_parse(stack_dir, stack, CATALOG_DIR)[0] != "ok")
    mocks = CountingMocks()
    with mock.patch.object(harness, "OFFLINE_SECRET", MARKER):
        try:
            run_program(stack, mocks=mocks, stack_dir=stack_dir)
        except (SettingsError, StackFileError, CatalogError) as exc:
            assert MARKER not in str(exc)
        else:
            raise AssertionError("the program accepted what the settings refused")
    assert mocks.registered == [], mocks.registered
