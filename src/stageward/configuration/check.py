"""`config check`: every finding of SPEC §4, each a plain line naming the environment, file:line and key.

The checks read each environment's config as committed: files only, no
override variables, `${env:}` as written, secret references unresolved.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from stageward.configuration import flags as flag_rules
from stageward.configuration.layers import BASE
from stageward.configuration.model import Finding, Path_, dotted, is_own_credential, is_secret_like
from stageward.configuration.resolve import Resolved
from stageward.configuration.secrets import SecretSource
from stageward.project.model import Environment, Project

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")

Where = Callable[..., str]


def intentional(path: Path_, patterns: Sequence[str]) -> bool:
    """A key is intentionally different when it is, or sits under, a listed key (globs allowed)."""
    key = dotted(path)
    return any(key == p or key.startswith(p + ".") or fnmatch.fnmatchcase(key, p) for p in patterns)


def _shown(path: Path_, value: Any) -> str:
    if is_secret_like(str(path[-1])) and value is not None:
        return "(a value)"
    text = repr(value) if isinstance(value, str) else _yaml_word(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- data stores -----------------------------------------------------------------------------------


def _norm(uri: str) -> str:
    return uri.rstrip("/")


def _within(uri: str, store: str) -> bool:
    return uri == store or uri.startswith(store + "/")


def _bucket(uri: str) -> str | None:
    """scheme://authority for object stores; None for file:// and other local paths."""
    parts = urlsplit(uri)
    if parts.scheme in ("", "file") or parts.netloc in ("", "."):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def stores_of(project: Project) -> dict[str, dict[str, str]]:
    return {
        env: {name: _norm(s.uri) for name, s in e.data.items()} for env, e in project.environments.items()
    }


def foreign_data(resolved: Resolved, project: Project) -> list[Finding]:
    """Values that point at another environment's data store (a production config reading s3://lp-dev/...)."""
    stores = stores_of(project)
    own = stores.get(resolved.environment, {})
    own_buckets = {_bucket(uri) for uri in own.values()} - {None}
    findings = []
    for path, value in resolved.leaves():
        for uri in _uris(value):
            uri = _norm(uri)
            if any(_within(uri, store) for store in own.values()):
                continue
            owner = _owner(uri, stores, resolved.environment)
            if owner is None:
                continue
            env, store, store_uri, exact = owner
            if not exact and _bucket(uri) in own_buckets:
                continue
            what = (
                f"is {env}'s data store {store} ({store_uri})"
                if exact
                else (f"is in {_bucket(uri)}, the bucket of {env}'s data store {store}")
            )
            findings.append(
                Finding(
                    "foreign-data",
                    f"{uri} {what}, not declared in {resolved.environment}",
                    resolved.environment,
                    dotted(path),
                    resolved.where(path),
                )
            )
    return findings


def _uris(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if "://" in value:
            yield from _URI.findall(value)
    elif isinstance(value, list):
        for item in value:
            yield from _uris(item)


def _owner(
    uri: str, stores: Mapping[str, Mapping[str, str]], besides: str
) -> tuple[str, str, str, bool] | None:
    best: tuple[str, str, str, bool] | None = None
    for env, named in stores.items():
        if env == besides:
            continue
        for store, store_uri in named.items():
            if _within(uri, store_uri) and (best is None or not best[3] or len(store_uri) > len(best[2])):
                best = (env, store, store_uri, True)
            elif best is None and _bucket(uri) is not None and _bucket(uri) == _bucket(store_uri):
                best = (env, store, store_uri, False)
    return best


def own_store_uri(value: Any, environment: str, stores: Mapping[str, Mapping[str, str]]) -> bool:
    return isinstance(value, str) and any(
        _within(_norm(value), s) for s in stores.get(environment, {}).values()
    )


# ---- across environments ---------------------------------------------------------------------------


def drift_pairs(project: Project) -> list[tuple[str, str]]:
    """(staging, production) pairs to compare: promotion edges between the tiers, else every pair."""
    envs = project.environments
    staging = [n for n, e in envs.items() if e.tier == "staging"]
    production = [n for n, e in envs.items() if e.tier == "production"]
    edges = [(s, p) for p in production for s in envs[p].promote_from if s in staging]
    return edges or [(s, p) for s in staging for p in production]


def drift(a: Resolved, b: Resolved, project: Project) -> list[Finding]:
    patterns = project.config.intentional_differences
    stores = stores_of(project)
    left = dict(a.leaves())
    findings = []
    for path, right in b.leaves():
        if path not in left or left[path] == right or intentional(path, patterns):
            continue
        if own_store_uri(left[path], a.environment, stores) and own_store_uri(right, b.environment, stores):
            continue  # each side points at its own environment's store: isolation, not drift
        findings.append(
            Finding(
                "drift",
                f"{a.environment} has {_shown(path, left[path])} ({a.where(path)}), "
                f"{b.environment} has {_shown(path, right)} ({b.where(path)}); "
                "not listed in config.intentional_differences",
                f"{a.environment}/{b.environment}",
                dotted(path),
            )
        )
    return findings


def missing_keys(
    resolved: Mapping[str, Resolved], patterns: Sequence[str], only: str | None = None
) -> list[Finding]:
    present: dict[Path_, list[str]] = {}
    where: dict[Path_, str | None] = {}
    for env, config in resolved.items():
        for path, _ in config.leaves():
            present.setdefault(path, []).append(env)
            where.setdefault(path, config.where(path))
    findings = []
    names = list(resolved)
    for path, envs in present.items():
        missing = [n for n in names if n not in envs]
        if not missing or intentional(path, patterns) or only not in (None, *envs, *missing):
            continue
        findings.append(
            Finding(
                "missing-key",
                f"set in {', '.join(envs)}; missing in {', '.join(missing)}",
                None,
                dotted(path),
                where[path],
            )
        )
    return findings


def weak_readers(project: Project, resolved: Mapping[str, Resolved], where: Where) -> list[Finding]:
    """Environments that can read production data with weaker controls than production."""
    envs = project.environments
    findings = []
    for prod_name, prod in envs.items():
        if prod.tier != "production":
            continue
        prod_stores = {_norm(s.uri) for s in prod.data.values()}
        prod_buckets = {_bucket(u) for u in prod_stores} - {None}
        for name, env in envs.items():
            if env.tier == "production":
                continue
            reads = [
                (store, _norm(s.uri))
                for store, s in env.data.items()
                if any(_within(_norm(s.uri), p) or _within(p, _norm(s.uri)) for p in prod_stores)
                or _bucket(_norm(s.uri)) in prod_buckets
            ]
            if not reads:
                continue
            weaker = _weaker(env, prod, prod_name, resolved.get(name), resolved.get(prod_name))
            if weaker:
                store, uri = reads[0]
                findings.append(
                    Finding(
                        "weak-controls",
                        f"can read {prod_name} data ({store}: {uri}) with weaker controls than {prod_name}: "
                        + "; ".join(weaker),
                        name,
                        f"environments.{name}.data.{store}",
                        where("environments", name, "data", store),
                    )
                )
    return findings


def alias_policy(project: Project, where: Where) -> list[Finding]:
    """Alias rules of stageward.yaml that cannot be kept (docs/policy.md, Protected aliases).

    A protected alias moves only by an executed promotion into its environment or an admin's rollback of
    one; in an environment nothing promotes into, an alias declared protected (explicitly, or by the
    production tier's default) could never be set: the rule cannot be satisfied, so it is a finding like
    any other (exit 1). An alias declared `protected: false` in the production tier is not one: it is the
    explicit, documented way out of the tier's default, and `policy plan` already marks it as loosening.
    """
    findings = []
    for name, env in project.environments.items():
        if env.promote_from:
            continue
        for alias in env.aliases:
            if env.alias_protected(alias):
                findings.append(
                    Finding(
                        "alias-unmovable",
                        f"alias {alias!r} is protected, but no environment promotes into {name} "
                        "(promote_from is empty): only a promotion moves a protected alias, so it could never "
                        "be set; add promote_from or declare it {protected: false}",
                        name,
                        f"environments.{name}.aliases.{alias}",
                        where("environments", name, "aliases", alias),
                    )
                )
    return findings


def _weaker(
    env: Environment, prod: Environment, prod_name: str, config: Resolved | None, prod_config: Resolved | None
) -> list[str]:
    reasons = []
    if prod.required_refs and not env.required_refs:
        reasons.append(f"no required refs ({prod_name} requires {', '.join(prod.required_refs)})")
    if prod.clean_tree_required and not env.clean_tree_required:
        reasons.append(f"no clean tree ({prod_name} requires one)")
    if config is not None and prod_config is not None:
        theirs = dict(prod_config.leaves())
        shared = [
            dotted(path)
            for path, value in config.leaves()
            if is_secret_like(str(path[-1]))
            and value not in (None, "")
            and not config.refs.get(path)
            and theirs.get(path) == value
        ]
        if shared:
            reasons.append(f"shared keys with {prod_name} ({', '.join(shared)})")
    return reasons


# ---- one environment -------------------------------------------------------------------------------


def secret_literals(resolved: Resolved) -> list[Finding]:
    findings = []
    for path, value in resolved.leaves():
        if not is_secret_like(str(path[-1])) or value is None or isinstance(value, bool) or value == "":
            continue
        refs = resolved.refs.get(path, frozenset())
        if any(r.startswith(("secret:", "env:")) for r in refs):
            continue
        findings.append(
            Finding(
                "secret-literal",
                "a literal value under a secret-like key; store it as a secret and write ${secret:NAME}",
                resolved.environment,
                dotted(path),
                resolved.where(path),
            )
        )
    return findings


def own_credentials(resolved: Resolved) -> list[Finding]:
    """`${env:NAME}` of one of Stageward's own credentials: refused wherever the config resolves.

    Each is reported once, where it is written: a key that refers to that key carries the
    reference too, and the innermost reference is resolved, and recorded, first.
    """
    findings = []
    reported: set[str] = set()
    for path, refs in resolved.refs.items():
        for ref in sorted(refs):
            if ref.startswith("env:") and is_own_credential(ref[len("env:") :]) and ref not in reported:
                reported.add(ref)
                findings.append(
                    Finding(
                        "own-credential",
                        f"${{{ref}}} reads one of Stageward's own credentials; they are never interpolated",
                        resolved.environment,
                        dotted(path),
                        resolved.where(path),
                    )
                )
    return findings


def missing_secrets(resolved: Resolved, source: SecretSource) -> list[Finding]:
    findings = []
    reported: set[str] = set()
    for path, refs in resolved.refs.items():
        for ref in sorted(refs):
            if not ref.startswith("secret:"):
                continue
            name = ref[len("secret:") :]
            if name in reported or source.exists(name):
                continue
            reported.add(name)
            findings.append(
                Finding(
                    "missing-secret",
                    f"${{secret:{name}}}: no such secret in {resolved.environment}",
                    resolved.environment,
                    dotted(path),
                    resolved.where(path),
                )
            )
    return findings


def flag_problems(resolved: Resolved) -> list[Finding]:
    section = resolved.values.get("flags")
    if not isinstance(section, dict):
        return []
    findings = []
    for name, definition in section.items():
        reason = flag_rules.problem(definition)
        if reason is not None:
            path = ("flags", name)
            findings.append(Finding("flag", reason, resolved.environment, dotted(path), resolved.where(path)))
    return findings


def stray_folders(folders: Sequence[str], project: Project, conf_display: str) -> list[Finding]:
    known = list(project.environments)
    findings = []
    for folder in folders:
        if folder == BASE or folder in known:
            continue
        close = difflib.get_close_matches(folder, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else f" (environments: {', '.join(known)})"
        findings.append(
            Finding(
                "stray-folder",
                f"a config folder for no environment in stageward.yaml; it is never read{hint}",
                where=f"{conf_display}/{folder}",
            )
        )
    return findings


def run_checks(
    project: Project,
    resolved: Mapping[str, Resolved],
    sources: Mapping[str, SecretSource],
    *,
    where: Where,
    folders: Sequence[str] = (),
    conf_display: str = "conf",
    schema_findings: Iterable[Finding] = (),
    only: str | None = None,
) -> list[Finding]:
    """Every finding, deduplicated (a base-file problem is reported once), in a stable order."""
    findings: list[Finding] = list(schema_findings)
    for env, config in resolved.items():
        if only is not None and env != only:
            continue
        findings += secret_literals(config)
        findings += own_credentials(config)
        findings += foreign_data(config, project)
        findings += missing_secrets(config, sources[env])
        findings += flag_problems(config)
    for staging, production in drift_pairs(project):
        if only in (None, staging, production) and staging in resolved and production in resolved:
            findings += drift(resolved[staging], resolved[production], project)
    findings += missing_keys(resolved, project.config.intentional_differences, only)
    findings += [f for f in weak_readers(project, resolved, where) if only in (None, f.environment)]
    findings += [f for f in alias_policy(project, where) if only in (None, f.environment)]
    if only is None:
        findings += stray_folders(folders, project, conf_display)
    return _dedupe(findings)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for finding in findings:
        # A problem in a base file shows in every environment; report it once.
        key = (finding.kind, finding.key, finding.where, finding.message)
        if key in seen:
            continue
        seen.add(key)
        kept.append(finding)
    return kept
