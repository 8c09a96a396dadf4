"""The documentation stays true to the code, and its links lead somewhere."""

import enum
import re
import typing
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from pydantic.fields import FieldInfo

from offline.docs import REFERENCE, SHARED, accepted, reference, reference_block
from shipyard.config import base
from shipyard.config.stack import StackConfig
from shipyard.rules import cidr as cidrlib

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
CODE_SPAN = re.compile(r"(`+).+?\1")


def test_the_configuration_reference_is_current():
    assert REFERENCE == ROOT / "docs" / "configuration.md"
    assert reference_block() == reference(), "run: python -m offline.docs --write"


def test_the_reference_lists_every_leaf_key_with_a_description():
    rows = [line for line in reference().splitlines() if line.startswith("| `shipyard:")]
    assert len(rows) >= 15
    assert all(line.rstrip().rsplit("|", 2)[-2].strip() for line in rows)


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in _prose(path.read_text()):
        match = re.match(r"#{1,6} (.+)", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_the_slug_is_githubs():
    assert slug("Runbook: PodRestartingOften") == "runbook-podrestartingoften"
    assert slug("Known limits (next steps)") == "known-limits-next-steps"
    assert slug("Where the seeds' choices are outdated") == "where-the-seeds-choices-are-outdated"


def test_the_readme_fits_on_a_screen_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    linked = {target.split("#")[0] for line in _prose(readme) for target in LINK.findall(line)}
    pages = {f"docs/{page.name}" for page in PAGES[1:]}
    assert pages and pages <= linked


def test_every_docs_page_opens_with_a_title_and_an_intro():
    for page in PAGES[1:]:
        lines = page.read_text().splitlines()
        assert lines[0].startswith("# "), page.name
        intro = next(line for line in lines[1:] if line.strip())
        assert not intro.startswith("#"), page.name


def test_every_relative_link_points_to_a_file_and_heading_that_exist():
    broken = []
    for page in PAGES:
        for line in _prose(page.read_text()):
            # not in code spans: a pattern in the reference can look like a link
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):      # https:, mailto:, ...
                    continue
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                if not file.exists():
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


# ---------------------------------------------------------------------------------------------
# The reference states what each key accepts, read from the models' metadata


def _accepted_cells() -> dict[str, str]:
    """key (without the namespace) -> its accepted cell, pipes unescaped."""
    cells = {}
    for line in reference().splitlines():
        if line.startswith("| `shipyard:"):
            key, _type, allowed = re.split(r"(?<!\\)\|", line)[1:4]
            cells[key.strip().strip("`").removeprefix("shipyard:")] = (
                allowed.strip().replace("\\|", "|"))
    return cells


def test_known_keys_state_their_accepted_values():
    cells = _accepted_cells()
    assert cells["registry.keepTaggedImages"] == "1–1000"
    assert cells["network.azCount"] == f"1–{cidrlib.MAX_ZONES}"
    assert cells["network.natGateways"] == "none | single | per-az | instance"
    assert cells["network.flowLogs.trafficType"] == "ALL | ACCEPT | REJECT"
    assert cells["addons.karpenter.capacityTypes"] == (
        "non-empty; no item twice; each: on-demand | spot")
    assert cells["cluster.admins"] == "IAM role/user ARNs"
    assert cells["dns.zoneId"] == "pattern `^[A-Z0-9]{1,32}$`"
    assert cells["addons.argocd.repoUrl"] == r"pattern `^(https://|ssh://|git@)\S+$`"
    assert cells["addons.istio.traceSampling"] == "0–100"
    assert cells["addons.ingress.hstsMaxAgeSeconds"] == "≥ 0 (int32)"
    # after the sections move to base.Cron, base.AwsTags...: say "cron" for backups.schedule
    # and "AWS tags" for tags here (the test below already checks every such key generically)


def _walk(model: type[BaseModel], prefix: str = ""):
    """(key, FieldInfo) for every key of the stack, nested models included."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        yield key, field
        for arg in _annotations(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg is not StackConfig:
                yield from _walk(arg, key + ".")


def _annotations(annotation):
    """The annotation and every type inside it (list items, map keys and values, unions)."""
    yield annotation
    for arg in typing.get_args(annotation):
        if not isinstance(arg, str | int | float):       # Literal values, Annotated metadata
            yield from _annotations(arg)


def _constraints(field):
    """What the field's metadata and annotated types constrain: (bounds, lengths, patterns,
    enumerated values, validators)."""
    meta = list(field.metadata)
    values: list = []
    for ann in _annotations(field.annotation):
        if typing.get_origin(ann) is Annotated:
            meta.extend(ann.__metadata__)
        if typing.get_origin(ann) is typing.Literal:
            values.extend(typing.get_args(ann))
        if isinstance(ann, type) and issubclass(ann, enum.Enum):
            values.extend(m.value for m in ann)
    meta = [m for item in meta for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
    bounds = [getattr(m, a) for m in meta for a in ("ge", "gt", "le", "lt")
              if getattr(m, a, None) is not None]
    lengths = [getattr(m, a) for m in meta for a in ("min_length", "max_length")
               if getattr(m, a, None) is not None]
    patterns = [m.pattern for m in meta if getattr(m, "pattern", None)]
    validators = [m.func for m in meta if isinstance(m, AfterValidator | BeforeValidator)]
    return bounds, lengths, patterns, values, validators


def test_every_key_with_a_range_pattern_enum_or_shared_type_states_it():
    cells = _accepted_cells()
    checked = 0
    for key, field in _walk(StackConfig):
        bounds, lengths, patterns, values, validators = _constraints(field)
        cell = cells[key]
        if bounds:
            shown = {str(b).replace("-", "−") for b in bounds} | {"int32"}
            assert any(s in cell for s in shown), (key, bounds, cell)
        if lengths:
            assert "non-empty" in cell or any(str(n) in cell for n in lengths), (key, cell)
        for pattern in patterns:
            assert f"`{pattern}`" in cell, (key, pattern, cell)
        for value in values:
            assert str(value) in cell.replace("`", ""), (key, value, cell)
        for func in validators:
            assert SHARED.get(func, "") in cell, (key, func, cell)
        checked += bool(bounds or lengths or patterns or values or validators)
    assert checked >= 40


def test_every_shared_type_in_base_has_a_description():
    """A new value type in shipyard/config/base.py: give its validator a short meaning in
    offline.docs.SHARED (what a user reads in the reference's accepted column)."""
    missing = [f"{name}: {m.func.__name__}" for name, obj in vars(base).items()
               if typing.get_origin(obj) is Annotated
               for m in obj.__metadata__ if callable(getattr(m, "func", None))
               and m.func not in SHARED]
    assert missing == []


class _Colour(StrEnum):
    RED = "red"
    DARK_BLUE = "dark-blue"


class _Sample(base.Model):
    """One key per kind of metadata, so the generator's words are pinned whatever the sections
    use today."""

    int32: base.Int32 = 0
    replicas: base.Int32 = Field(1, ge=1)
    keep: base.Int = Field(1, ge=1, le=1000)
    ratio: base.Float = Field(1, gt=0, lt=5)
    offset: int = Field(0, ge=-5)
    labels: list[base.DnsLabel] = Field(default_factory=list, max_length=3)
    node_labels: dict[base.LabelKey, base.LabelValue] = Field(default_factory=dict)
    tags: base.AwsTags = Field(default_factory=dict)
    name: str = Field("x", min_length=1, pattern=r"^(x|y)$")
    host: base.Hostname | None = None
    hosts: list[base.WildcardHostname] = Field(default_factory=list)
    ports: list[base.Int32] = Field(default_factory=list)
    colour: _Colour = _Colour.RED
    schedule: base.Cron = "@daily"
    header: base.HeaderName = "x"
    email: base.Email | None = None
    sizes: list[Literal["s", "m"]] = Field(default_factory=list, min_length=2, max_length=4)
    admins: base.IamArns = Field(default_factory=list)


def test_the_generator_names_each_kind_of_metadata():
    got = {name: accepted(f.annotation, f.metadata) for name, f in _Sample.model_fields.items()}
    assert got == {
        "int32": "int32",
        "replicas": "≥ 1 (int32)",
        "keep": "1–1000",
        "ratio": "> 0, < 5",
        "offset": "≥ −5",
        "labels": "≤ 3 items; each: RFC 1123 label (≤ 63)",
        "node_labels": "keys: Kubernetes label key ([prefix/]name, name ≤ 63); "
                       "values: Kubernetes label value (≤ 63)",
        "tags": "AWS tags: ≤ 50, key 1–128 not `aws:*`, value ≤ 256",
        "name": "non-empty; pattern `^(x|y)$`",
        "host": "hostname",
        "hosts": "each: hostname or `*.`hostname",
        "ports": "each: int32",
        "colour": "red | dark-blue",
        "schedule": "cron schedule (5 fields, or @daily…)",
        "header": "HTTP header name",
        "email": "e-mail address",
        "sizes": "2–4 items; each: s | m",
        "admins": "IAM role/user ARNs",
    }


def test_a_validator_of_a_section_is_described_by_its_docstring():
    def retention(v: int) -> int:
        """A CloudWatch Logs retention (days): one of the periods CloudWatch accepts."""
        return v

    def max_surge(v: int) -> int:
        return v

    assert accepted(Annotated[int, AfterValidator(retention)]) == ("A CloudWatch Logs "
                                                                   "retention (days)")
    assert accepted(Annotated[int, AfterValidator(max_surge)]) == "max surge"
    assert accepted(Annotated[int, AfterValidator(lambda v: v)]) == ""
