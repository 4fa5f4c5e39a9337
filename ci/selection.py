"""`make sim CHANGED=<rev>`: which testbenches a change since a git revision can affect.

Every testbench of tb/registry.py declares its RTL sources; its Python side is the folder
tb/<block>/ plus everything its modules import from this repository (found with ``ast``, so an
import inside a function counts too), transitively: the harness, the golden model, the
generators. The RTL side adds the files the sources `include. The networks (tb/network) depend
on every core the generated top instantiates (vectors.network_top.CORE_SOURCES), on their own
modules' imports and on the trained models in models/.

A change to a file every run shares (:data:`SHARED_PATHS`: the harness, the registry, the
regression's own scripts, the pinned requirements) selects everything. :func:`select` maps a
list of changed paths to the selected units and, per unit, why.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Paths (a trailing / is a folder) whose change reruns the whole regression.
SHARED_PATHS = ("tb/harness/", "tb/registry.py", "tb/__init__.py", "ci/sim_regression.py",
                "ci/selection.py", "ci/shards.py", "ci/progress.py", "requirements.txt",
                "Makefile")

#: The selection unit of the networks (every network of tb/network/networks.py).
NETWORK = "network"

_SHARED = " (shared by every run)"
_INCLUDE = re.compile(r'^\s*`include\s+"([^"]+)"', re.M)


class RevisionError(ValueError):
    """The revision given to CHANGED is not one git knows."""


def changed_paths(revision: str, repo: Path = REPO_ROOT) -> list[str]:
    """Files changed between ``revision`` and the working tree (committed, staged or not),
    plus untracked files, as repository-relative POSIX paths."""
    def git(*args: str) -> list[str]:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RevisionError(f"git {' '.join(args)}: {done.stderr.strip()}")
        return [line for line in done.stdout.splitlines() if line]

    try:
        git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except RevisionError:
        raise RevisionError(f"unknown revision {revision!r}") from None
    return sorted(set(git("diff", "--name-only", revision, "--")
                      + git("ls-files", "--others", "--exclude-standard")))


def _module_file(module: str, root: Path) -> Path | None:
    """The file of a repository module (``a.b`` -> a/b.py or a/b/__init__.py), else None."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.parent.relative_to(REPO_ROOT).as_posix().replace("/", ".")
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n}


@cache
def python_closure(path: str) -> frozenset[str]:
    """``path`` and every repository module it imports, transitively, with the packages'
    ``__init__.py`` that importing runs (repository-relative paths)."""
    seen: set[str] = set()
    pending = [REPO_ROOT / path]
    while pending:
        file = pending.pop()
        rel = file.relative_to(REPO_ROOT).as_posix()
        if rel in seen:
            continue
        seen.add(rel)
        for module in _imported_modules(file):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):  # a.b.c runs a/__init__ and a/b/__init__
                found = _module_file(".".join(parts[:depth]), REPO_ROOT)
                if found is not None:
                    pending.append(found)
    return frozenset(seen)


def rtl_closure(sources: Iterable[str]) -> set[str]:
    """rtl/<source> for each source, plus the files they `include (transitively)."""
    found: set[str] = set()
    pending = [f"rtl/{s}" for s in sources]
    while pending:
        rel = pending.pop()
        if rel in found or not (REPO_ROOT / rel).is_file():
            continue
        found.add(rel)
        pending += [f"rtl/{inc}" for inc in _INCLUDE.findall((REPO_ROOT / rel).read_text())]
    return found


def _folder_files(folder: str) -> set[str]:
    return {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / folder).rglob("*.py")}


def dependencies() -> dict[str, set[str]]:
    """Per unit (each block of the registry, and :data:`NETWORK`): the paths it depends on; a
    path ending in / stands for everything under that folder."""
    from tb.registry import TESTBENCHES  # noqa: PLC0415 - imports Hypothesis
    from vectors.network_top import CORE_SOURCES  # noqa: PLC0415

    units: dict[str, set[str]] = {}
    for block, testbench in TESTBENCHES.items():
        deps = {f"tb/{block}/"} | rtl_closure(testbench.sources)
        for module in _folder_files(f"tb/{block}"):
            deps |= python_closure(module)
        units[block] = deps
    deps = {"tb/network/", "models/"} | rtl_closure(CORE_SOURCES)
    for module in _folder_files("tb/network"):
        deps |= python_closure(module)
    units[NETWORK] = deps
    return units


def _matches(path: str, dependency: str) -> bool:
    return path.startswith(dependency) if dependency.endswith("/") else path == dependency


def _kind(path: str) -> str:
    for prefix, kind in (("rtl/", "RTL"), ("tb/harness/", "harness"), ("golden/", "golden model"),
                         ("models/", "trained model"), ("tb/", "testbench")):
        if path.startswith(prefix):
            return kind
    return "Python import"


def select(changed: Iterable[str], units: dict[str, set[str]] | None = None
           ) -> dict[str, list[str]]:
    """The units a change to ``changed`` (repository-relative paths) selects, each with the
    reasons (``"rtl/lif_unit.sv (RTL)"``), in the order of ``units``."""
    units = dependencies() if units is None else units
    changed = sorted(set(changed))
    shared = [p for p in changed if any(_matches(p, s) for s in SHARED_PATHS)]
    selected: dict[str, list[str]] = {}
    for unit, deps in units.items():
        reasons = [f"{p}{_SHARED}" for p in shared]
        reasons += [f"{p} ({_kind(p)})" for p in changed
                    if p not in shared and any(_matches(p, d) for d in deps)]
        if reasons:
            selected[unit] = reasons
    return selected


def describe(selected: dict[str, list[str]], revision: str, changed_count: int) -> str:
    """What ``make sim CHANGED=`` prints before it runs: the units and why (the files every
    run shares once, not per unit)."""
    if not selected:
        return f"CHANGED={revision}: {changed_count} changed file(s), no testbench affected"
    lines = [f"CHANGED={revision}: {changed_count} changed file(s) select "
             f"{len(selected)} unit(s):"]

    def listed(items: list[str]) -> str:
        more = f" and {len(items) - 4} more" if len(items) > 4 else ""
        return ", ".join(items[:4]) + more

    shared = [r.removesuffix(_SHARED) for r in next(iter(selected.values())) if r.endswith(_SHARED)]
    if shared:
        lines.append(f"  every unit: {listed(shared)} (shared by every run)")
    for unit, reasons in selected.items():
        own = [r for r in reasons if not r.endswith(_SHARED)]
        lines.append(f"  {unit}: {listed(own) if own else 'the shared files'}")
    return "\n".join(lines)
