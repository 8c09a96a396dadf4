"""Stack files that are not what Pulumi reads: each a clear StackFileError naming the file (and
the line where YAML gives it), plan.py's exit 2; never a traceback, never silence."""

import pytest

from offline.harness import StackFileError, read_stack_config
from tests.support.repo import ROOT

BAD = {
    "malformed": (b"config:\n  shipyard:tags: {a: [\n", "Pulumi.s.yaml:3:"),
    "tab": (b"config:\n  shipyard:environment: dev\n\tshipyard:x: 1\n", "Pulumi.s.yaml:3:1:"),
    "second document": (b"config:\n  shipyard:environment: dev\n---\nconfig: {}\n",
                        "Pulumi.s.yaml:3:1:"),
    "python tag": (b"config:\n  shipyard:environment: !!python/object/apply:os.system [ls]\n",
                   "Pulumi.s.yaml:2:"),
    "undecodable bytes": (b"config:\n  shipyard:environment: d\xffev\n",
                          "Pulumi.s.yaml:2: not UTF-8"),
    "config a list": (b"config: [1, 2]\n", "config: a mapping of config keys (found a list)"),
    "config a number": (b"config: 3\n", "config: a mapping of config keys (found a number)"),
    "a list": (b"- config\n", "a Pulumi file is a YAML mapping (found a list)"),
    "empty secure": (b"config:\n  shipyard:kubeconfig: {secure: }\n",
                     "shipyard:kubeconfig: secure: must be the value's ciphertext"),
    "secure not a string": (b"config:\n  shipyard:kubeconfig: {secure: [a]}\n",
                            "shipyard:kubeconfig: secure: must be"),
    "key written twice": (b"config:\n  shipyard:environment: dev\n  shipyard:environment: prod\n",
                          "Pulumi.s.yaml:3:3: invalid YAML: key 'shipyard:environment' written "
                          "twice"),
    "key written twice, with and without the namespace": (
        b"config:\n  shipyard:environment: dev\n  environment: prod\n",
        "shipyard:environment written twice"),
    "a number as a key": (b"config:\n  12: x\n", "a key is a string"),
    "a key not NAMESPACE:NAME": (b"config:\n  a:b:c: x\n", "is not a config key"),
    "a date out of range": (b"config:\n  shipyard:tags: {a: 2024-13-45}\n", "invalid YAML"),
    "a list as a key": (b"config:\n  ? [a]\n  : 1\n", "invalid YAML"),
    "an alias inside its anchor": (b"config:\n  shipyard:tags: &a {x: *a}\n", "holds itself"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_stack_file_names_the_file_and_line(tmp_path, name):
    text, message = BAD[name]
    (tmp_path / "Pulumi.s.yaml").write_bytes(text)
    with pytest.raises(StackFileError) as info:
        read_stack_config("s", stack_dir=tmp_path)
    assert "Pulumi.s.yaml" in str(info.value) and message in str(info.value)


def test_yaml_errors_quote_no_line_of_the_file(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n  shipyard:x: {secure: v1:CIPHER\n")
    with pytest.raises(StackFileError) as info:
        read_stack_config("s", stack_dir=tmp_path)
    assert "CIPHER" not in str(info.value)


def test_pulumi_yaml_is_read_as_strictly(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: shipyard\nname: other\n")
    (tmp_path / "Pulumi.s.yaml").write_text("config: {}\n")
    with pytest.raises(StackFileError, match="Pulumi.yaml:2:1: invalid YAML: key 'name' "
                                             "written twice"):
        read_stack_config("s", tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("description: no name\n")
    with pytest.raises(StackFileError, match="Pulumi.yaml: name: the project's name"):
        read_stack_config("s", tmp_path)


def test_nested_secure_values_make_the_key_secret(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  shipyard:tags: {a: {secure: v1:CIPHER}}\n  shipyard:environment: dev\n")
    config, secret, _ = read_stack_config("s", stack_dir=tmp_path)
    assert "shipyard:tags" in secret and "CIPHER" not in config["shipyard:tags"]
    assert "shipyard:environment" not in secret


def test_an_empty_stack_file_is_an_empty_config(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text("# nothing yet\n")
    config, secret, project = read_stack_config("s", stack_dir=tmp_path)
    assert project == "shipyard" and secret == set() and set(config) == {"aws:region"}


@pytest.mark.parametrize("stack", ["../dev", "a b", ""])
def test_a_stack_name_pulumi_refuses_is_refused(stack):
    with pytest.raises(StackFileError, match="is not a stack name"):
        read_stack_config(stack)


def test_the_real_stack_files_read_as_before():
    for stack in ("dev", "staging", "prod"):
        config, secret, project = read_stack_config(stack, ROOT)
        assert project == "shipyard" and config[f"{project}:environment"] == stack


@pytest.mark.parametrize("name", ["tab", "python tag", "empty secure", "key written twice"])
def test_plan_exits_2_with_the_message_alone(tmp_path, capsys, name):
    import plan

    (tmp_path / "Pulumi.s.yaml").write_bytes(BAD[name][0])
    assert plan.main(["s", "--stack-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "Pulumi.s.yaml" in captured.err and "Traceback" not in captured.err + captured.out


def test_plan_refuses_an_against_file_that_is_not_a_plan(tmp_path, capsys):
    import plan

    (tmp_path / "old.json").write_text("{not json")
    assert plan.main(["dev", "--against", str(tmp_path / "old.json")]) == 2
    assert "not a plan's JSON" in capsys.readouterr().err
    assert plan.main(["dev", "--against", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_plan_reports_an_internal_error_in_one_line(monkeypatch, capsys):
    import plan

    def broken(*_, **__):
        raise RuntimeError("boom")

    monkeypatch.setattr(plan, "run_program", broken)
    monkeypatch.delenv("SHIPYARD_TRACEBACK", raising=False)
    assert plan.main(["dev"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: boom" in err and "Traceback" not in err


def test_a_value_that_holds_itself_is_rendered_not_raised():
    from shipyard.config.base import render_value

    value: list = []
    value.append(value)
    assert "holds itself" in render_value(value)
