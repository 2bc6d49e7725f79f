"""Configuration per environment (SPEC §4): show, reveal, diff, check, export, and the digest runs record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stageward.configuration.digest import digest
from stageward.configuration.interpolate import EnvRefs
from stageward.configuration.resolve import ConfigFiles, Resolved, resolve
from stageward.errors import BadInput
from stageward.service.catalogue import verb
from stageward.service.results.config import (
    ConfigChecked,
    ConfigDiff,
    ConfigExported,
    ConfigShown,
    ExplainedKey,
    Finding,
)
from stageward.service.secret_source import secret_source_for
from stageward.service.unit import Unit

if TYPE_CHECKING:
    from stageward.project.loader import ProjectFile


def config_files(project: ProjectFile) -> ConfigFiles:
    return ConfigFiles(project.root / project.spec.config.dir, project.root)


def _process_environment(unit: Unit) -> tuple[Mapping[str, str], EnvRefs]:
    """The environment `${env:}` and PREFIX_ variables read: this process's in local mode; none on the server,
    which shows them as written (SPEC §4)."""
    if not unit.ctx.process_environment:
        return {}, "keep"
    return unit.ctx.environ, "resolve"


def resolve_for(
    unit: Unit,
    env: str,
    *,
    overrides: Sequence[str] = (),
    files: ConfigFiles | None = None,
    committed: bool = False,
) -> Resolved:
    """ENV's config, secret references as written. COMMITTED: the files alone, `${env:}` as written."""
    project = unit.ctx.project
    environ, env_refs = ({}, "keep") if committed else _process_environment(unit)
    return resolve(
        files or config_files(project),
        env,
        env_prefix=project.spec.config.env_prefix,
        environ=environ,
        env_refs=env_refs,
        overrides=overrides,
    )


def digest_for(unit: Unit, env: str) -> str:
    """The config digest of ENV as a run or an asset version records it (SPEC §4)."""
    return digest(resolve_for(unit, env).values)


def resolved_for_run(unit: Unit, env: str) -> tuple[dict[str, Any], str]:
    """What a run in ENV is given: the config with secrets revealed, and its digest (of the references)."""
    resolved = resolve_for(unit, env)
    return resolved.revealed(secret_source_for(unit, env)), digest(resolved.values)


def _shown(env: str, resolved: Resolved, *, explain: bool, values: dict[str, Any]) -> ConfigShown:
    from stageward.configuration.explain import explain as explain_rows

    rows = [ExplainedKey.model_validate(row) for row in explain_rows(resolved, values)] if explain else None
    return ConfigShown(environment=env, digest=digest(resolved.values), config=values, explain=rows)


@verb("config.show", permission="config.read", http=("GET", "/envs/{env}/config"))
def show(
    unit: Unit, *, env: str, explain: bool = False, overrides: list[str] | None = None
) -> ConfigShown:
    """ENV's resolved config, every secret reference masked as ***; with explain, each key's origin."""
    resolved = resolve_for(unit, env, overrides=overrides or ())
    return _shown(env, resolved, explain=explain, values=resolved.masked())


@verb(
    "config.reveal", permission="secrets.read_value", write=True, http=("POST", "/envs/{env}/config/reveal")
)
def reveal(
    unit: Unit, *, env: str, explain: bool = False, overrides: list[str] | None = None
) -> ConfigShown:
    """ENV's resolved config with secret values; needs secrets.read_value there, and is audited."""
    unit.require("config.read", env)
    resolved = resolve_for(unit, env, overrides=overrides or ())
    values = resolved.revealed(secret_source_for(unit, env))
    names = sorted(resolved.secrets())
    # The names of what was revealed, never the values.
    unit.audit(environment=env, target="config", details={"secrets": names})
    return _shown(env, resolved, explain=explain, values=values)


@verb("config.diff", http=("GET", "/config/diff"))
def diff(unit: Unit, *, env_a: str, env_b: str) -> ConfigDiff:
    """The difference between two environments' committed configs, intentional differences marked."""
    from stageward.configuration.diff import diff as diff_rows

    for name in (env_a, env_b):
        unit.ctx.environment(name)
        unit.require("config.read", name)
    if env_a == env_b:
        raise BadInput(f"config diff {env_a} {env_b}: name two different environments")
    files = config_files(unit.ctx.project)
    a = resolve_for(unit, env_a, files=files, committed=True)
    b = resolve_for(unit, env_b, files=files, committed=True)
    from stageward.configuration.check import stores_of

    spec = unit.ctx.project.spec
    rows = diff_rows(a, b, spec.config.intentional_differences, stores_of(spec))
    masked_a, masked_b = a.masked(), b.masked()
    return ConfigDiff(
        environments=[env_a, env_b],
        digests={env_a: digest(a.values), env_b: digest(b.values)},
        differences=[_masked_row(row, env_a, env_b, masked_a, masked_b) for row in rows],
    )


def _masked_row(
    row: dict[str, Any], env_a: str, env_b: str, masked_a: dict[str, Any], masked_b: dict[str, Any]
) -> dict[str, Any]:
    # Diff compares references as written; secret-like literal values stay out of the output.
    from stageward.configuration.model import is_secret_like

    if is_secret_like(row["key"].rsplit(".", 1)[-1]):
        for env in (env_a, env_b):
            if row[env] is not None and not (isinstance(row[env], str) and row[env].startswith("${secret:")):
                row[env] = "***"
    return row


@verb("config.check", http=("GET", "/config/check"))
def check(unit: Unit, *, env: str | None = None) -> ConfigChecked:
    """Every finding of SPEC §4 in the committed configs, one a line; ok is false when there is any."""
    from stageward.configuration.check import run_checks

    project = unit.ctx.project
    names = list(project.spec.environments)
    if env is not None:
        unit.require("config.read", env)
    else:
        # A check that skipped what the caller cannot read would pass when it should not.
        unit.require_everywhere("config.read")
    files = config_files(project)
    resolved = {name: resolve_for(unit, name, files=files, committed=True) for name in names}
    sources = {name: secret_source_for(unit, name) for name in names}
    schema_findings = []
    if project.spec.config.schema_:
        from stageward.configuration.schema import load_schema, violations

        schema = load_schema(project.root / project.spec.config.schema_, project.spec.config.schema_)
        for name, config in resolved.items():
            if env in (None, name):
                schema_findings += violations(schema, config)
    findings = run_checks(
        project.spec,
        resolved,
        sources,
        where=lambda *path: f"{project.path.name}:{project.source.line_of(path) or 1}",
        folders=files.folders(),
        conf_display=project.spec.config.dir,
        schema_findings=schema_findings,
        only=env,
    )
    return ConfigChecked(
        ok=not findings,
        environments=[env] if env else names,
        findings=[Finding.model_validate(f.to_dict()) for f in findings],
    )


@verb("config.export", permission="config.read", http=("GET", "/envs/{env}/config/export"))
def export(
    unit: Unit, *, env: str, format: str = "json", overrides: list[str] | None = None
) -> ConfigExported:
    """ENV's resolved config as dotenv, JSON or a Kubernetes ConfigMap and Secret; no secret value leaves."""
    from stageward.configuration import export as exporting

    if format not in exporting.FORMATS:
        raise BadInput(f"--format {format!r}: expected one of {', '.join(exporting.FORMATS)}")
    resolved = resolve_for(unit, env, overrides=overrides or ())
    spec = unit.ctx.project.spec
    prefix = spec.config.env_prefix
    as_written = resolve(
        config_files(unit.ctx.project), env, env_prefix=prefix, env_refs="keep", overrides=overrides or ()
    )
    shown = exporting.exported(resolved, as_written)
    if format == "dotenv":
        text = exporting.dotenv(shown, prefix)
    elif format == "json":
        text = exporting.as_json(shown)
    else:
        text = exporting.k8s(shown, project=spec.project, prefix=prefix, digest=digest(resolved.values))
    return ConfigExported(environment=env, format=format, digest=digest(resolved.values), text=text)
