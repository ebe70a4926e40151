"""Configuration: discovery upward to the repository root, validation with file and key named,
and precedence file < environment < command line."""

from __future__ import annotations

import pytest

from dopt.config import ConfigError, find_config, load_config


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    svc = tmp_path / "services" / "api"
    svc.mkdir(parents=True)
    (svc / "Dockerfile").write_text("FROM alpine:3.19\n")
    return tmp_path, svc


def test_found_upward_from_the_dockerfile_folder(repo):
    root, svc = repo
    (root / "pyproject.toml").write_text('[project]\nname="x"\n\n[tool.dopt]\nfailure-threshold = "error"\n')
    assert find_config(svc / "Dockerfile") == root / "pyproject.toml"
    assert load_config(svc, env={}).failure_threshold == "error"


def test_nearest_wins_and_dopt_toml_first(repo):
    root, svc = repo
    (root / ".dopt.toml").write_text('failure-threshold = "error"\n')
    (svc / "pyproject.toml").write_text('[tool.dopt]\nfailure-threshold = "info"\n')
    (svc / ".dopt.toml").write_text('failure-threshold = "style"\n')
    assert load_config(svc, env={}).failure_threshold == "style"
    (svc / ".dopt.toml").unlink()
    assert load_config(svc, env={}).failure_threshold == "info"


def test_pyproject_without_tool_dopt_is_skipped(repo):
    root, svc = repo
    (svc / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (root / ".dopt.toml").write_text('ignore = ["DO208"]\n')
    assert load_config(svc, env={}).ignore == {"DO208"}


def test_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / ".dopt.toml").write_text('failure-threshold = "error"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find_config(repo) is None
    assert load_config(repo, env={}).failure_threshold == "warning"


def test_precedence_file_then_env_then_cli(repo):
    root, svc = repo
    (root / ".dopt.toml").write_text('failure-threshold = "error"\npipeline = "fuse"\nignore = ["DO208"]\n')
    cfg = load_config(svc, env={})
    assert (cfg.failure_threshold, cfg.pipeline, cfg.threshold_source) == ("error", "fuse", str(root / ".dopt.toml"))
    env = {"DOPT_FAILURE_THRESHOLD": "info", "DOPT_PIPELINE": "cleanup", "DOPT_IGNORE": "DL3059"}
    cfg = load_config(svc, env=env)
    assert (cfg.failure_threshold, cfg.pipeline) == ("info", "cleanup")
    assert cfg.ignore == {"DO208", "DO310"}  # ignore lists add up; DL3059 maps to DO310
    cfg = load_config(svc, env=env, cli_threshold="none", cli_pipeline="noop", cli_ignore=["DO305"])
    assert (cfg.failure_threshold, cfg.pipeline, cfg.threshold_source) == ("none", "noop", "command line")
    assert cfg.ignore == {"DO208", "DO310", "DO305"}


def test_all_tables(repo):
    root, svc = repo
    (root / ".dopt.toml").write_text(
        '[severity]\nDO310 = "error"\nDL3015 = "warning"\n'
        '[base-images]\n"acme/py:*" = { to = "acme/py:slim", savings-mb = 120 }\n"acme/j:17" = "acme/j:17-jre"\n'
        '[cost]\npulls-per-month = 5000\nregions = 5\n')
    cfg = load_config(svc, env={})
    assert cfg.severity == {"DO310": "error", "DO207": "warning"}
    assert cfg.base_images["acme/py:*"] == {"to": "acme/py:slim", "savings_mb": 120.0}
    assert cfg.base_images["acme/j:17"]["to"] == "acme/j:17-jre"
    assert cfg.cost == {"pulls_per_month": 5000, "regions": 5}


@pytest.mark.parametrize("body,where", [
    ('failure-threshold = "loud"\n', "failure-threshold"),
    ('ignroe = ["DO201"]\n', "ignroe: unknown key; did you mean 'ignore'?"),
    ('ignore = ["DO999"]\n', "ignore: unknown rule DO999"),
    ('ignore = "not a rule"\n', "ignore"),
    ('[severity]\nDO201 = "critical"\n', "severity.DO201"),
    ('[cost]\nregions = -1\n', "cost.regions"),
    ('[cost]\npulls = 5\n', "cost.pulls: unknown key"),
    ('[base-images]\n"x" = { from = "y" }\n', "base-images.x"),
    ('failure-threshold = \n', "invalid TOML"),
])
def test_invalid_config_names_file_and_key(repo, body, where):
    root, svc = repo
    (root / ".dopt.toml").write_text(body)
    with pytest.raises(ConfigError) as e:
        load_config(svc, env={})
    assert str(root / ".dopt.toml") in str(e.value) and where in str(e.value)
    assert e.value.exit_code == 2


def test_invalid_environment_is_named():
    with pytest.raises(ConfigError, match="environment: DOPT_FAILURE_THRESHOLD"):
        load_config(None, env={"DOPT_FAILURE_THRESHOLD": "loud"})
    with pytest.raises(ConfigError, match="DOPT_IGNORE: unknown rule DO777"):
        load_config(None, env={"DOPT_IGNORE": "DO777"})
