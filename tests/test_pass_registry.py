"""Every pass module is registered, documented, and follows the module protocol."""

from pathlib import Path

import passes
from passes import PASS_MODULES, by_name

ROOT = Path(__file__).resolve().parent.parent


def test_every_pass_module_is_registered():
    on_disk = {p.stem for p in (ROOT / "passes").glob("*.py") if not p.stem.startswith("_")}
    assert on_disk == set(PASS_MODULES)


def test_every_pass_has_a_page_and_the_protocol():
    for module in passes.PASSES:
        assert module.NAME and module.DESCRIPTION and callable(module.run), module.__name__
        page = ROOT / "docs" / "passes" / f"{module.NAME}.md"
        assert page.exists(), f"docs/passes/{module.NAME}.md is missing"
        assert by_name(module.NAME) is module


def test_opt_levels_name_only_registered_passes():
    from dopt.pipeline import OPT_LEVELS, level_pipeline, parse_pipeline

    for level in OPT_LEVELS:
        parse_pipeline(level_pipeline(level))
