"""The Docker image holds everything the app needs: its file set is built here the way the Dockerfile builds it.

No Docker engine runs here, so the test reads the Dockerfile instead: it copies what its COPY lines copy
(less what .dockerignore leaves out) into a temporary /app, builds the wheel `pip install .` would install
from it, and imports every module of that wheel in a Python that sees neither this checkout nor the shared
venv's editable install of it. A package that `service` imports but the Dockerfile does not copy (issue 13:
`embeddings/`) fails here, naming it. The Dockerfile's pinned installs must also agree with pyproject.toml.
"""

import ast
import fnmatch
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from setuptools import find_namespace_packages  # type: ignore[import-untyped]  # no stubs in the venv

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    return out


def copies(steps: list[Instruction]) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context, destinations made absolute."""
    workdir = PurePosixPath("/")
    found: list[tuple[list[str], str]] = []
    for step in steps:
        if step.keyword == "WORKDIR":
            workdir = workdir / step.args
        elif step.keyword in ("COPY", "ADD"):
            words = [w for w in shlex.split(step.args) if not w.startswith("--")]
            assert not any(w.startswith("--from") for w in shlex.split(step.args)), "multi-stage COPY: teach this test"
            *sources, dest = words
            # a trailing slash means "into this directory", which the join would drop
            found.append((sources, str(workdir / dest) + ("/" if dest.endswith("/") else "")))
    return found


def ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore's rules for a path relative to the context: a pattern matches the path or a parent
    directory of it, `**/` at any depth, `!` re-includes; the last matching pattern wins."""
    parts = PurePosixPath(path).parts
    result = False
    for pattern in patterns:
        pat = pattern.removeprefix("!").strip("/")
        if pat.startswith("**/"):
            hit = any(fnmatch.fnmatchcase("/".join(parts[j : i + 1]), pat[3:])
                      for i in range(len(parts)) for j in range(i + 1))
        else:
            hit = any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), pat) for i in range(len(parts)))
        if hit:
            result = not pattern.startswith("!")
    return result


def dockerignore() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def build_file_set(target: Path) -> Path:
    """What the Dockerfile's COPY lines put in the image, under `target`; returns the WORKDIR (/app)."""
    steps = instructions(DOCKERFILE.read_text())
    patterns = dockerignore()
    for sources, dest in copies(steps):
        into = target / dest.lstrip("/")
        for source in sources:
            src = ROOT / source
            assert src.exists(), f"the Dockerfile copies {source}, which does not exist"
            if src.is_dir():
                for file in src.rglob("*"):
                    rel = file.relative_to(ROOT).as_posix()
                    if file.is_file() and not ignored(rel, patterns):
                        out = into / file.relative_to(src)
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(file, out)
            elif not ignored(source, patterns):
                # `COPY a b ./`: into the directory; `COPY a ./b`: as that file.
                out = into / src.name if dest.endswith("/") or len(sources) > 1 else into
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, out)
    workdirs = [s.args for s in steps if s.keyword == "WORKDIR"]
    return target / workdirs[-1].lstrip("/")


def find_config() -> dict[str, list[str]]:
    config: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    return config


def top_level(packages: list[str]) -> set[str]:
    return {p.split(".")[0] for p in packages}


def first_party() -> set[str]:
    """Every importable name this repository defines at its root (packages and modules)."""
    names = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return names | {p.stem for p in ROOT.glob("*.py")}


def imported_names(package_dir: Path) -> dict[str, set[str]]:
    """Top-level names each module of a package imports (absolute imports), by module path."""
    found: dict[str, set[str]] = {}
    for file in package_dir.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[file.relative_to(package_dir.parent).as_posix()] = names
    return found


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_file_set(tmp_path_factory.mktemp("image"))


def test_file_set_builder_follows_docker_rules(tmp_path: Path) -> None:
    """The parser and .dockerignore rules this test relies on, on cases with known answers."""
    steps = instructions("FROM x\n# c\nWORKDIR /app\nCOPY a.toml b.md ./\nCOPY --chown=u:u src \\\n  ./src\n")
    assert copies(steps) == [(["a.toml", "b.md"], "/app/"), (["src"], "/app/src")]
    patterns = ["**/__pycache__", "tests", "*.db", "docs", "!docs/keep.md"]
    assert ignored("service/routes/__pycache__/x.pyc", patterns)
    assert ignored("tests/test_x.py", patterns) and ignored("a.db", patterns)
    assert not ignored("service/app.py", patterns) and not ignored("service/tests_helper.py", patterns)
    assert ignored("docs/other.md", patterns) and not ignored("docs/keep.md", patterns)


def test_image_copies_every_package_pyproject_ships(image: Path) -> None:
    config = find_config()
    in_repo = find_namespace_packages(str(ROOT), include=config["include"])
    in_image = find_namespace_packages(str(image), include=config["include"])
    missing = sorted(top_level(in_repo) - top_level(in_image))
    assert not missing, f"the Dockerfile does not COPY {missing}, which pyproject's packages.find includes"
    assert sorted(in_image) == sorted(in_repo)


def test_every_first_party_import_of_the_app_is_in_the_image(image: Path) -> None:
    ours = first_party()
    shipped = top_level(find_namespace_packages(str(image), include=find_config()["include"]))
    missing: list[str] = []
    for package in sorted(shipped):
        for module, names in imported_names(image / package).items():
            missing += [f"{module} imports {name}" for name in sorted((names & ours) - shipped)]
    assert not missing, "not in the image (add a COPY line and the package to pyproject): " + "; ".join(missing)


def test_the_wheel_built_from_the_image_imports_and_finds_its_files(image: Path, tmp_path: Path) -> None:
    """`pip install .` in the image, then every module imported with nothing of this checkout in sight."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "dist"), str(image)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("matchmaker-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    # -S: no site processing, so neither the editable install's finder nor this checkout is importable;
    # the venv's packages are added by path, without their .pth files.
    script = f"""
import importlib, pkgutil, sys
sys.path[:0] = [{str(installed)!r}]
sys.path.append({sysconfig.get_paths()["purelib"]!r})
import service, matching, embeddings
for pkg in (service, matching, embeddings):
    assert pkg.__file__.startswith({str(installed)!r}), pkg.__file__
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if not mod.name.startswith("matching.migrations"):  # Alembic's env runs only under Alembic
            importlib.import_module(mod.name)
from service.app import create_app
from matching.db import head_revision
from service.routes.ui import STATIC_DIR, TEMPLATES_DIR
assert (TEMPLATES_DIR / "base.html").is_file() and (STATIC_DIR / "ui.js").is_file()
print(head_revision())
"""
    ran = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stderr[-3000:]
    from matching.db import head_revision

    assert ran.stdout.strip().splitlines()[-1] == head_revision()  # the migrations are in the wheel too


def test_package_data_patterns_cover_every_non_python_file(image: Path) -> None:
    """Templates, static files and Alembic's files reach the wheel only if package-data names them."""
    patterns = [p for ps in PYPROJECT["tool"]["setuptools"]["package-data"].values() for p in ps]
    for package in top_level(find_namespace_packages(str(image), include=find_config()["include"])):
        for file in (image / package).rglob("*"):
            if file.is_file() and file.suffix not in (".py", ".pyc"):
                assert any(fnmatch.fnmatch(file.name, p) for p in patterns), f"{file.relative_to(image)} not shipped"


def test_the_image_has_its_data_and_runs_the_console_script(image: Path) -> None:
    steps = instructions(DOCKERFILE.read_text())
    env = " ".join(s.args for s in steps if s.keyword == "ENV")
    data_dir = next(w.split("=", 1)[1] for w in shlex.split(env) if w.startswith("MATCH_DATA_DIR="))
    workdir = [s.args for s in steps if s.keyword == "WORKDIR"][-1]
    root = image.parents[len(PurePosixPath(workdir).parts) - 2]  # the image's / in the test's tree
    data = root / data_dir.lstrip("/")
    assert (data / "catalogue").is_dir() and (data / "sample" / "colleges.jsonl").is_file()
    (cmd,) = [s.args for s in steps if s.keyword == "CMD"]
    assert ast.literal_eval(cmd)[0] in PYPROJECT["project"]["scripts"]


def test_pinned_installs_agree_with_pyproject() -> None:
    """torch is pinned (==2.13.0, CPU) in pyproject; the image's first install must be that very version."""
    steps = instructions(DOCKERFILE.read_text())
    declared = {Requirement(d).name.lower(): Requirement(d) for d in PYPROJECT["project"]["dependencies"]}
    torch_pin = [str(s) for s in declared["torch"].specifier]
    assert len(torch_pin) == 1 and torch_pin[0].startswith("=="), "torch must stay pinned exactly in pyproject"
    pinned: dict[str, Requirement] = {}
    for step in (s for s in steps if s.keyword == "RUN"):
        for command in step.args.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["pip", "install"]:
                if "--index-url" in words and "torch" in " ".join(words):
                    assert words[words.index("--index-url") + 1].endswith("/whl/cpu"), "torch must come from the CPU index"
                for word in words[2:]:
                    if not word.startswith("-") and word != "." and "://" not in word:
                        req = Requirement(word)
                        pinned[req.name.lower()] = req
    assert "torch" in pinned, "the Dockerfile must install torch before the project (else pip pulls CUDA)"
    for name, req in pinned.items():
        assert name in declared, f"the Dockerfile installs {name}, which pyproject does not depend on"
        (version,) = [s.version for s in req.specifier if s.operator == "=="]
        assert declared[name].specifier.contains(version), f"{req} is not what pyproject allows ({declared[name]})"
    assert str(pinned["torch"].specifier) == str(declared["torch"].specifier)
