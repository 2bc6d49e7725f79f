"""Resolve one realistic layered config with Stageward and with the tools users would otherwise pick.

The job (BENCHMARKS.md): 3 base files with ~200 keys, ~20 interpolations, an
environment layer, and 3 overrides from environment variables, resolved to
plain values. Stageward keeps the origin (file:line, variable) of every value
and computes the digest; the others keep no origins.

In-process: each tool resolves the same files repeatedly; ops/s and the ratio
Stageward / other are printed. Cold: one whole process per run -
`stageward config show --env production --json` (project file, store, access
check and all) beside a script doing the same resolve with each other tool,
and beside `python -c pass`.

Run: .venv/bin/pip install -r benchmarks/requirements.txt; .venv/bin/python benchmarks/config_resolve.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PREFIX = "BENCH_"
OVERRIDES = {
    "BENCH_TRAINING__LR": "0.1",
    "BENCH_DATA__BATCH_SIZE": "64",
    "BENCH_MODEL__LAYER_7__UNITS": "512",
}
SECTIONS = {"model": 8, "data": 7, "training": 7}  # groups of ~9 keys each: ~200 keys in all


def base_files() -> dict[str, dict[str, Any]]:
    """Three files: model, data, training; 22 groups of 9 keys; 20 interpolations."""
    files: dict[str, dict[str, Any]] = {}
    refs = 0
    for section, groups in SECTIONS.items():
        body: dict[str, Any] = {"root": f"/srv/{section}", "batch_size": 256, "lr": 0.01, "name": section}
        for g in range(groups):
            group: dict[str, Any] = {
                "units": 64 * (g + 1),
                "dropout": 0.1,
                "activation": "relu",
                "enabled": True,
                "tags": ["a", "b"],
                "path": f"/srv/{section}/{g}",
                "seed": g,
                "weight": 1.5,
            }
            if refs < 20:
                group["location"] = f"${{{section}.root}}/layer-{g}"
                refs += 1
            else:
                group["location"] = f"/srv/{section}/layer-{g}"
            body[f"layer_{g}"] = group
        files[section] = {section: body}
    return files


ENV_LAYER = {
    "model": {"root": "/prod/model", "layer_0": {"units": 1024}},
    "data": {"root": "/prod/data", "layer_1": {"dropout": 0.0}},
    "training": {"lr": 0.005, "layer_2": {"seed": 42}},
}


def count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_keys(v) for v in value.values())
    return 0


def write_yaml(path: Path, data: Any) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def as_dynaconf(value: Any) -> Any:
    """Dynaconf writes interpolation as '@format {this.section.root}/x'."""
    if isinstance(value, dict):
        return {k: as_dynaconf(v) for k, v in value.items()}
    if isinstance(value, str) and "${" in value:
        ref, rest = value[2:].split("}", 1)
        return "@format {this." + ref + "}" + rest
    return value


def build(root: Path) -> None:
    files = base_files()
    # Stageward project
    project = root / "stageward"
    (project).mkdir(parents=True)
    (project / "stageward.yaml").write_text(
        textwrap.dedent(
            f"""\
            project: bench
            config: {{dir: conf, env_prefix: {PREFIX}}}
            environments:
              staging: {{tier: staging}}
              production: {{tier: production}}
            """
        )
    )
    for name, data in files.items():
        write_yaml(project / "conf" / "base" / f"{name}.yaml", data)
    write_yaml(project / "conf" / "production" / "main.yaml", ENV_LAYER)
    # Hydra: the base files as one group selected together, the environment as another
    hydra = root / "hydra"
    for name, data in files.items():
        write_yaml(hydra / "base" / f"{name}.yaml", data)
    write_yaml(hydra / "env" / "production.yaml", ENV_LAYER)
    (hydra / "config.yaml").write_text(
        "defaults:\n  - base@_here_: [model, data, training]\n  - env@_here_: production\n  - _self_\n"
    )
    # Dynaconf
    dyn = root / "dynaconf"
    for name, data in files.items():
        write_yaml(dyn / f"{name}.yaml", as_dynaconf(data))
    write_yaml(dyn / "production.yaml", ENV_LAYER)


# ---- in-process resolvers -------------------------------------------------------------------------


def stageward_resolver(root: Path) -> Callable[[], Any]:
    from stageward.configuration import ConfigFiles, resolve
    from stageward.configuration.digest import digest

    project = root / "stageward"
    environ = dict(OVERRIDES)

    def run() -> Any:
        files = ConfigFiles(project / "conf", project)  # files are read again on every run
        resolved = resolve(files, "production", env_prefix=PREFIX, environ=environ)
        origins = resolved.origins()  # every value's origin, as --explain needs
        digest(resolved.values)
        return resolved.values, origins

    return run


def plain_yaml_resolver(root: Path) -> Callable[[], Any]:
    """The floor: C-YAML and plain dicts, no origins, no checks, no interpolation."""
    import yaml

    project = root / "stageward" / "conf"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def merge(a: dict[str, Any], b: dict[str, Any]) -> None:
        for k, v in b.items():
            if isinstance(a.get(k), dict) and isinstance(v, dict):
                merge(a[k], v)
            else:
                a[k] = v

    def run() -> Any:
        merged: dict[str, Any] = {}
        for path in [*sorted((project / "base").glob("*.yaml")), project / "production" / "main.yaml"]:
            merge(merged, yaml.load(path.read_text(), Loader=loader))
        return merged

    return run


def omegaconf_resolver(root: Path) -> Callable[[], Any]:
    from omegaconf import OmegaConf

    project = root / "stageward" / "conf"
    dotlist = [f"{k[len(PREFIX) :].lower().replace('__', '.')}={v}" for k, v in OVERRIDES.items()]

    def run() -> Any:
        layers = [OmegaConf.load(p) for p in sorted((project / "base").glob("*.yaml"))]
        layers.append(OmegaConf.load(project / "production" / "main.yaml"))
        layers.append(OmegaConf.from_dotlist(dotlist))
        return OmegaConf.to_container(OmegaConf.merge(*layers), resolve=True)

    return run


def hydra_resolver(root: Path) -> Callable[[], Any]:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    overrides = [f"{k[len(PREFIX) :].lower().replace('__', '.')}={v}" for k, v in OVERRIDES.items()]
    context = initialize_config_dir(config_dir=str(root / "hydra"), version_base=None)
    context.__enter__()

    def run() -> Any:
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)

    return run


def dynaconf_resolver(root: Path) -> Callable[[], Any]:
    from dynaconf import Dynaconf

    folder = root / "dynaconf"
    files = [str(folder / f"{n}.yaml") for n in SECTIONS] + [str(folder / "production.yaml")]
    interpolated = [f"{s}.layer_{g}.location" for s, n in SECTIONS.items() for g in range(n)][:20]
    os.environ.update(OVERRIDES)

    def run() -> Any:
        settings = Dynaconf(
            settings_files=files, envvar_prefix=PREFIX.rstrip("_"), merge_enabled=True, environments=False
        )
        data = settings.as_dict()
        for key in interpolated:
            settings.get(key)  # @format values are evaluated on access
        return data

    return run


def pydantic_settings_resolver(root: Path) -> Callable[[], Any]:
    """pydantic-settings has no interpolation: a small pass over the result does it, as users write it."""
    import re

    from pydantic import create_model
    from pydantic_settings import BaseSettings, SettingsConfigDict, YamlConfigSettingsSource

    project = root / "stageward" / "conf"
    yaml_files = [*sorted((project / "base").glob("*.yaml")), project / "production" / "main.yaml"]
    sample = base_files()

    def model_of(name: str, value: Any) -> Any:
        if isinstance(value, dict):
            fields = {k: (model_of(f"{name}_{k}", v), ...) for k, v in value.items()}
            return create_model(name, **fields)  # type: ignore[call-overload]
        return type(value) if not isinstance(value, list) else list[str]

    fields = {section: (model_of(section, data[section]), ...) for section, data in sample.items()}

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix=PREFIX, env_nested_delimiter="__")

        @classmethod
        def settings_customise_sources(  # type: ignore[no-untyped-def,override]
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ):
            return (
                init_settings,
                env_settings,
                YamlConfigSettingsSource(settings_cls, yaml_files, deep_merge=True),
            )

    Model = create_model("BenchSettings", __base__=Settings, **fields)  # type: ignore[call-overload]
    reference = re.compile(r"\$\{([^}]+)\}")
    os.environ.update(OVERRIDES)

    def interpolate(node: Any, root_values: dict[str, Any]) -> Any:
        if isinstance(node, dict):
            return {k: interpolate(v, root_values) for k, v in node.items()}
        if isinstance(node, str) and "${" in node:

            def lookup(match: re.Match[str]) -> str:
                value: Any = root_values
                for part in match.group(1).split("."):
                    value = value[part]
                return str(value)

            return reference.sub(lookup, node)
        return node

    def run() -> Any:
        values = Model().model_dump()
        return interpolate(values, values)

    return run


def measure(run: Callable[[], Any], seconds: float = 2.0) -> tuple[float, float]:
    run()  # warm: imports, caches
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times) / sum(times)


# ---- cold processes -------------------------------------------------------------------------------

COLD_SCRIPTS = {
    "OmegaConf": """
import json, sys
from pathlib import Path
from omegaconf import OmegaConf
conf = Path(sys.argv[1]) / "stageward" / "conf"
layers = [OmegaConf.load(p) for p in sorted((conf / "base").glob("*.yaml"))]
layers.append(OmegaConf.load(conf / "production" / "main.yaml"))
layers.append(OmegaConf.from_dotlist({dotlist!r}))
print(json.dumps(OmegaConf.to_container(OmegaConf.merge(*layers), resolve=True)))
""",
    "Hydra compose": """
import json, sys
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
with initialize_config_dir(config_dir=sys.argv[1] + "/hydra", version_base=None):
    config = compose(config_name="config", overrides={dotlist!r})
    print(json.dumps(OmegaConf.to_container(config, resolve=True)))
""",
    "Dynaconf": """
import json, sys
from dynaconf import Dynaconf
d = sys.argv[1] + "/dynaconf/"
s = Dynaconf(settings_files=[d + n + ".yaml" for n in ("model", "data", "training", "production")],
             envvar_prefix="BENCH", merge_enabled=True, environments=False)
print(json.dumps(s.as_dict(), default=str))
""",
    "pydantic-settings": """
import json, re, sys
from pathlib import Path
from pydantic import BaseModel, ConfigDict
from pydantic_settings import BaseSettings, SettingsConfigDict, YamlConfigSettingsSource
conf = Path(sys.argv[1]) / "stageward" / "conf"
files = [*sorted((conf / "base").glob("*.yaml")), conf / "production" / "main.yaml"]
class Section(BaseModel):
    model_config = ConfigDict(extra="allow")
class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_", env_nested_delimiter="__")
    model: Section
    data: Section
    training: Section
    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls, files, deep_merge=True))
values = Settings().model_dump()
def lookup(match):
    node = values
    for part in match.group(1).split("."):
        node = node[part]
    return str(node)
def interpolate(node):
    if isinstance(node, dict):
        return {k: interpolate(v) for k, v in node.items()}
    return re.sub(r"\\$\\{([^}]+)\\}", lookup, node) if isinstance(node, str) else node
print(json.dumps(interpolate(values)))
""",
}


def cold(command: list[str], env: dict[str, str], cwd: Path, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="stageward-bench-") as folder:
        root = Path(folder)
        build(root)
        keys = sum(count_keys(d) for d in base_files().values())
        print(f"config: 3 base files, {keys} keys, 20 interpolations, an environment layer, 3 overrides")
        print("\nin-process (median time per resolve; ops/s over the whole run; ratios of medians)")
        tools: list[tuple[str, Callable[[Path], Callable[[], Any]]]] = [
            ("Stageward (origins kept)", stageward_resolver),
            ("pydantic-settings", pydantic_settings_resolver),
            ("Dynaconf", dynaconf_resolver),
            ("OmegaConf", omegaconf_resolver),
            ("Hydra compose", hydra_resolver),
            ("C-YAML + dicts (no origins, no interpolation)", plain_yaml_resolver),
        ]
        results: dict[str, float] = {}
        for name, make in tools:
            median, ops = measure(make(root))
            results[name] = median
            print(f"  {name:<48} {median * 1000:8.2f} ms median  {ops:6.0f} ops/s (mean, GC pauses included)")
        ours = results["Stageward (origins kept)"]
        for name, median in results.items():
            if not name.startswith("Stageward"):
                print(f"  Stageward resolves {median / ours:5.1f}x as fast as {name}")

        print("\ncold process (median of 7)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", PREFIX))}
        env.update(OVERRIDES)
        env["STAGEWARD_USER"] = "bench"
        python = sys.executable
        stageward = str(Path(python).with_name("stageward"))
        project = root / "stageward"
        for _ in range(2):
            # The first run creates the store and applies the policy; the second finds the working copy applied
            # and leaves the memo every later cold run reads (docs/config.md, The cold config show).
            subprocess.run(
                [stageward, "config", "show", "--env", "production", "--json"],
                env=env,
                cwd=project,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        floor = cold([python, "-c", "pass"], env, root)
        cold_ours = cold([stageward, "config", "show", "--env", "production", "--json"], env, project)
        rows = [
            ("python -c pass", floor),
            ("python -c 'import yaml'", cold([python, "-c", "import yaml"], env, root)),
        ]
        rows.append(("stageward config show --env production --json", cold_ours))
        dotlist = [f"{k[len(PREFIX) :].lower().replace('__', '.')}={v}" for k, v in OVERRIDES.items()]
        for name, script in COLD_SCRIPTS.items():
            code = script.replace("{dotlist!r}", repr(dotlist))
            rows.append((name, cold([python, "-c", code, str(root)], env, root)))
        for name, seconds in rows:
            ratio = f"  Stageward takes {cold_ours / seconds:4.2f}x this" if "stageward" not in name else ""
            print(f"  {name:<48} {seconds * 1000:8.1f} ms{ratio}")
        omegaconf = dict(rows)["OmegaConf"]
        verdict = "met" if cold_ours < omegaconf else "MISSED"
        print(
            f"\n  goal: the cold config show faster than OmegaConf's cold process: {verdict} "
            f"({cold_ours * 1000:.1f} ms against {omegaconf * 1000:.1f} ms, {cold_ours / omegaconf:.2f}x)"
        )


if __name__ == "__main__":
    main()
