"""The API against its own OpenAPI schema: Schemathesis (the CLI, every phase and every check) sends
generated requests over HTTP to the app served on the test database with a real token, and must
find nothing: every status code documented, every body as the schema says, data the schema calls
valid accepted and data it calls invalid refused, no 5xx.

Bounded for `make test`: a fixed seed, CONTRACT_EXAMPLES cases per operation in the fuzzing phase,
the coverage phase's own cases and a few short stateful scenarios (about a minute on two slow
cores). For a longer hand run: TALLY_CONTRACT_EXAMPLES=200 make test
ARGS=tests/api/test_contract.py. tests/api/contract_hooks.py makes positive cases respect the rules
that relate two values (from before to, ...), which the schema can only describe."""

import os
import subprocess
import sys
from pathlib import Path

from analytics.catalogue import services as catalogue
from core.auth import token_create
from core.models import Workspace
from tests.analytics import test_group_commit
from tests.api.conftest import SUPPORT_WEEK, ingest

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261203
CONTRACT_EXAMPLES = int(os.environ.get("TALLY_CONTRACT_EXAMPLES", "12"))
# gunicorn with gunicorn.conf.py, as `make run` serves the app, on the test database.
gunicorn_url = test_group_commit.gunicorn_url


# Properties are free JSON, and OpenAPI 3.0 cannot say "no NUL in any key" (propertyNames); the
# NUL refusals are tested by hand (tests/analytics/test_ingest_validation.py). The stateful phase's
# scenarios are kept few and short to stay within the time of the other phases.
CONFIG = """
[generation]
allow-x00 = false

[phases.stateful]
max-steps = 5

[phases.stateful.generation]
max-examples = 4
"""


def schemathesis(url: str, key: str, directory: Path) -> subprocess.CompletedProcess:
    config = directory / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).parent / "st"),
        f"--config-file={config}",
        "run",
        f"{url}/api/schema/?format=json",
        "--checks=all",
        f"--seed={SEED}",
        f"--max-examples={CONTRACT_EXAMPLES}",
        "--generation-database=none",
        "--workers=1",
        "--request-timeout=30",
        "--no-color",
        "--header",
        f"Authorization: Token {key}",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.contract_hooks", "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=900)


def test_schemathesis_finds_no_failure_with_every_check(gunicorn_url, make_client, tmp_path):
    """Verifies Schemathesis (fixed seed, every phase and check) finds 0 failures against the live app."""
    workspace = Workspace.objects.create(slug="contract", name="Contract", timezone="Europe/Berlin")
    ingest(make_client(workspace, scopes=("ingest",)), SUPPORT_WEEK)
    product = {"product": {"kind": "dimension", "cap": 5}}
    catalogue.definition_create(workspace=workspace, name="signup", properties=product)
    _, key = token_create(workspace=workspace, scopes=["ingest", "read"])
    result = schemathesis(gunicorn_url, key, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "No issues found" in output or " passed" in output, output[-5000:]
