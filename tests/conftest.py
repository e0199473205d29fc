"""Shared test helpers."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_SCHEMAS = ROOT / "tests" / "schemas"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """iompolicy installed from a wheel into a fresh virtual environment (see wheelkit)."""
    from wheelkit import install

    return install(tmp_path_factory.mktemp("installed"))
