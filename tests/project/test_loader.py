"""stageward.yaml: validation errors a user sees, tier defaults, and finding the file."""

from pathlib import Path

import pytest

from stageward.errors import ProjectFileError
from stageward.project import find_project_file, load_project
from stageward.testing import EXAMPLE_PROJECT, write_project


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Errors name the file as the user would type it: relative to where they stand.
    monkeypatch.chdir(tmp_path)


def _load(tmp_path: Path, text: str):
    return load_project(write_project(tmp_path, text))


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ProjectFileError) as caught:
        _load(tmp_path, text)
    return caught.value.message


def test_the_spec_example_loads_with_tier_defaults(tmp_path: Path):
    project = _load(tmp_path, EXAMPLE_PROJECT).spec
    production = project.environments["production"]
    assert production.required_approvals == 2
    assert production.required_refs == ["refs/heads/main", "refs/tags/v*"]
    assert production.clean_tree_required is True
    assert project.environments["staging"].clean_tree_required is True
    assert project.environments["development"].clean_tree_required is False
    assert project.environments["sandbox"].required_approvals == 0


def test_production_defaults_when_not_written(tmp_path: Path):
    text = "project: p\nenvironments:\n  prod:\n    tier: production\n"
    prod = _load(tmp_path, text).spec.environments["prod"]
    assert prod.required_approvals == 1
    assert prod.required_refs == ["refs/heads/main", "refs/tags/*"]
    assert prod.clean_tree_required is True


def test_acceptance_is_an_alias_of_staging(tmp_path: Path):
    text = "project: p\nenvironments:\n  acc:\n    tier: acceptance\n"
    assert _load(tmp_path, text).spec.environments["acc"].tier == "staging"


def test_wrong_literal_names_file_line_key_expected_and_got(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace("mode: copy", "mode: move")
    message = _error(tmp_path, text)
    line = text.splitlines().index("      mode: move") + 1
    assert message == (
        f"stageward.yaml:{line} environments.production.promotion.mode: expected 'copy' or 'retrain', got 'move'"
    )


def test_unknown_key_suggests_the_closest(tmp_path: Path):
    message = _error(tmp_path, EXAMPLE_PROJECT.replace("    promotion:\n", "    promotoin:\n"))
    assert "environments.production.promotoin: unknown key; did you mean 'promotion'?" in message


def test_unknown_key_without_a_close_match_lists_the_valid_ones(tmp_path: Path):
    message = _error(tmp_path, "project: p\nflavour: x\nenvironments:\n  s:\n    tier: sandbox\n")
    assert message.startswith("stageward.yaml:2 flavour: unknown key (expected one of: ")
    assert "environments" in message


def test_unknown_tier(tmp_path: Path):
    message = _error(tmp_path, "project: p\nenvironments:\n  s:\n    tier: prod\n")
    assert message.startswith("stageward.yaml:4 environments.s.tier: expected 'sandbox', 'development', 'staging'")
    assert message == (
        "stageward.yaml:4 environments.s.tier: expected 'sandbox', 'development', 'staging' or 'production' "
        "(or 'acceptance' for 'staging'), got 'prod'"
    )
    close = _error(tmp_path, "project: p\nenvironments:\n  s:\n    tier: stagin\n")
    assert close.endswith("got 'stagin'; did you mean 'staging'?")
    alias = _error(tmp_path, "project: p\nenvironments:\n  s:\n    tier: acceptence\n")
    assert alias.endswith("got 'acceptence'; did you mean 'acceptance'?")


def test_wrong_type(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace("approvals: 2", "approvals: many")
    assert "environments.production.promotion.approvals: expected an integer, got 'many'" in _error(tmp_path, text)


def test_promotion_edge_going_down_the_tiers(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace("promote_from: [development]", "promote_from: [production]")
    message = _error(tmp_path, text)
    assert "environments.staging.promote_from.0: promotion must go up the tiers" in message


def test_promotion_edge_naming_a_missing_environment(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace("promote_from: [staging]", "promote_from: [stagin]")
    assert "environments.production.promote_from.0: no environment named 'stagin'" in _error(tmp_path, text)


def test_gate_needs_exactly_one_bound(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace("{metric: auc, min: 0.80}", "{metric: auc}")
    assert "a gate takes exactly one of min, max or max_drop" in _error(tmp_path, text)


def test_malformed_yaml(tmp_path: Path):
    assert _error(tmp_path, "project: [p\nenvironments: {}\n").startswith("stageward.yaml:")


def test_several_problems_are_counted(tmp_path: Path):
    message = _error(tmp_path, "project: P\nenvironments:\n  s:\n    tier: x\n")
    assert "(and 1 more problem in this file)" in message


def test_not_a_mapping(tmp_path: Path):
    assert _error(tmp_path, "- a\n- b\n") == "stageward.yaml:1: expected a mapping with project: and environments:"


def test_found_by_walking_up(tmp_path: Path):
    write_project(tmp_path, EXAMPLE_PROJECT)
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_project_file(deep) == tmp_path / "stageward.yaml"


def test_outside_a_project(tmp_path: Path):
    with pytest.raises(ProjectFileError, match="no stageward.yaml in .* or any folder above it"):
        find_project_file(tmp_path)


@pytest.mark.parametrize("bound", [".nan", ".inf", "-.inf"])
def test_gate_bounds_must_be_finite(tmp_path: Path, bound: str):
    text = EXAMPLE_PROJECT.replace("{metric: auc, min: 0.80}", f"{{metric: auc, min: {bound}}}")
    message = _error(tmp_path, text)
    assert "environments.production.promotion.gates.0.min: expected a finite number" in message


@pytest.mark.parametrize(
    ("generators", "expected"),
    [
        ('  rotate: "echo hi"\n', "generators.rotate: expected a list of arguments"),
        (
            "  rotate: ['echo rotated-$(date)']\n",
            "generators.rotate.command: the program 'echo rotated-$(date)' holds shell syntax",
        ),
    ],
)
def test_a_generator_is_an_argv_list_without_shell_syntax(tmp_path: Path, generators: str, expected: str):
    message = _error(tmp_path, EXAMPLE_PROJECT + "generators:\n" + generators)
    assert message.startswith("stageward.yaml:") and expected in message


def test_production_aliases_are_protected_unless_declared_otherwise(tmp_path: Path):
    text = EXAMPLE_PROJECT.replace(
        "  production:\n    tier: production\n",
        "  production:\n    tier: production\n    aliases: {shadow: {protected: false}}\n",
    )
    production = _load(tmp_path, text).spec.environments["production"]
    assert production.alias_protection() == {"protected": [], "unprotected": ["shadow"], "others_protected": True}
    assert production.alias_protected("champion") and not production.alias_protected("shadow")
    assert not _load(tmp_path, EXAMPLE_PROJECT).spec.environments["staging"].alias_protected("champion")
    staging = "  staging:\n    tier: staging\n"
    bad = EXAMPLE_PROJECT.replace(staging, staging + "    aliases: {Bad_Name: {}}\n")
    assert "alias name 'Bad_Name' must match [a-z0-9-]+" in _error(tmp_path, bad)
