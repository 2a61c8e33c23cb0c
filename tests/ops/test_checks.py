"""The layout checks `make lint` runs (ops/checks.py), on small trees made for each case."""

import subprocess

from ops import checks


def _tree(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_the_repository_passes():
    assert checks.check() == []


def test_an_upward_import_and_the_cycle_it_makes_are_reported(tmp_path):
    root = _tree(
        tmp_path,
        {
            "store/views.py": "from tools import models\n",
            "tools/services.py": "def f():\n    from store import views\n",
        },
    )
    problems = checks.check(root)
    assert "tools/services.py: tools -> store is not an allowed import" in problems
    assert any(p.startswith("import cycle: ") and "store" in p and "tools" in p for p in problems)


def test_application_code_importing_tests_is_reported(tmp_path):
    root = _tree(tmp_path, {"bench/run.py": "from tests import helpers\n"})
    assert checks.check(root) == ["bench/run.py: application code imports the test suite"]


def test_long_modules_are_reported_but_not_migrations(tmp_path):
    long = "x = 1\n" * (checks.MAX_LINES + 1)
    root = _tree(tmp_path, {"store/big.py": long, "store/migrations/0001_initial.py": long})
    assert checks.check(root) == [f"store/big.py: {checks.MAX_LINES + 1} lines (more than 400)"]


def test_the_engine_library_must_not_import_django(tmp_path):
    root = _tree(tmp_path, {"inference/engine.py": "import django\n"})
    assert checks.check(root) == ["inference/engine.py: inference must not import django"]
