"""Helpers shared by the test modules."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading.sandbox.limits import Limits

FAST = Limits(wall=5.0, startup=5.0, cpu=10)


def copy_course(template, dest):
    """A course at ``dest`` as build_release would make it: a copy of the session's built one.

    The built course holds no absolute path (its nbgrader_config.py finds its
    instructor folder from its own location), so a copy grades like a build
    and saves each module the ~15 s of nbgrader's generate_assignment.
    """
    shutil.copytree(template, dest, symlinks=True)
    return Path(dest)


def package(tmp_path, source, name="layers"):
    """A cs231n_lite package under tmp_path whose module ``name`` has the given source."""
    pkg = tmp_path / "cs231n_lite"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / f"{name}.py").write_text("import numpy as np\n" + source)
    return pkg


def failure_message(test, wrong, case="visible"):
    """The CheckFailed message a test gives a wrong implementation (fails if none is raised)."""
    with pytest.raises(CheckFailed) as info:
        with np.errstate(all="ignore"):
            test(wrong, case=case)
    return str(info.value)


def readme_setup(readme, folder, home):
    """What the "Open it" block of a release README does, typed in `folder` with HOME `home`.

    Returns [(env, argv)], one per line of the section's one indented block, with
    `$PWD` and `~` expanded and the leading VAR=value words in env: the tests run
    (or inspect) exactly what the README says.
    """
    import shlex
    section = readme.split("\n## Open it\n", 1)[1].split("\n## ", 1)[0]
    block, started = [], False
    for line in section.splitlines():
        if line.startswith("    ") and line.strip():
            block.append(line.strip())
            started = True
        elif started:
            break
    commands = []
    for line in block:
        words = [w.replace("${PWD}", str(folder)).replace("$PWD", str(folder))
                 for w in shlex.split(line, comments=True)]
        words = [str(home) + w[1:] if w.startswith("~/") else w for w in words]
        env = {}
        while "=" in words[0] and not words[0].startswith(("/", ".")):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        commands.append((env, words))
    return commands


def readme_venv(commands):
    """The venv the README's `python3 -m venv DIR` creates, as a Path."""
    [venv] = [Path(argv[3]) for env, argv in commands if argv[1:3] == ["-m", "venv"]]
    return venv
