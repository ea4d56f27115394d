"""The student, instructor and feedback experience in a real browser, offline.

Chromium (Debian's /usr/bin/chromium, driven by playwright) against JupyterLab
servers these tests start on 127.0.0.1 and stop again. Every request that
leaves the machine is refused, so whatever works here works without a network.
Run them alone with `python -m pytest tests/test_browser.py -q`.
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from grading.release.course import ASSIGNMENT, COURSE_ID, ROOT, STUDENT_CONFIG_DIR
from grading.release.strip import BEGIN, END
from helpers import copy_course, readme_setup, readme_venv

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NOTEBOOK = "01_activation_functions"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local(url):
    return url.startswith(("file://", "data:", "blob:", "about:", "http://127.0.0.1"))


@contextmanager
def jupyter_lab(root, home, config_dir=None, command=None):
    """A JupyterLab server in `root` on a free local port; yields (base url, token, log path).

    HOME (and so IPython's and Jupyter's user folders) is `home`; JUPYTER_CONFIG_DIR
    is `config_dir`, or an empty folder there; `command` starts JupyterLab (this
    Python's by default), the server options (port, token...) are added to it.
    The server and every process it started (kernels included) are ended when
    the block exits.
    """
    import psutil

    port, token = _free_port(), secrets.token_hex(16)
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(config_dir or home / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / ".ipython"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               MPLBACKEND="Agg")
    env.pop("JUPYTER_DATA_DIR", None)
    cmd = [*(command or [sys.executable, "-m", "jupyterlab"]), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "jupyter.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield base, token, log
    finally:
        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        try:
            os.killpg(proc.pid, signal.SIGTERM)     # its own session: the server and its helpers
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for child in family:                         # kernels run in sessions of their own
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that can reach only this machine; requests elsewhere are refused and listed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.blocked = []

    def route(r):
        if _local(r.request.url):
            r.continue_()
        else:
            page.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def reference_source(rel):
    """A package file as the instructor wrote it, markers removed: the student's finished work."""
    text = (ROOT / rel).read_text()
    return "\n".join(line for line in text.splitlines() if not (BEGIN.match(line) or END.match(line))) + "\n"


def code_cell(page, text):
    return page.locator(".jp-CodeCell").filter(has_text=text).first


def run_cell(page, cell, count):
    """Run one cell in place (Ctrl+Enter) and wait until its prompt shows execution `count`."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    cell.locator(".jp-InputPrompt", has_text=f"[{count}]").wait_for(timeout=30_000)
    return cell.locator(".jp-OutputArea").inner_text()


# -- (a) a student in the self-study workspace ---------------------------------------------------

def test_student_runs_a_stub_then_implements_it(page, tmp_path, release_template):
    start = time.time()
    release = copy_course(release_template, tmp_path / "course") / "release" / ASSIGNMENT
    workspace = tmp_path / "workspace" / ASSIGNMENT            # what `make workspace` makes
    shutil.copytree(release, workspace)
    config_dir = workspace / STUDENT_CONFIG_DIR                 # the release's, as `make lab` uses it
    with jupyter_lab(workspace, tmp_path / "home", config_dir) as (base, token, log):
        page.goto(f"{base}/lab/tree/{NOTEBOOK}.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)                  # the kernel's info reply has been applied
        tab = page.locator(".lm-TabBar-tab", has_text=f"{NOTEBOOK}.ipynb")
        assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the notebook opened modified"

        menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
        assert "File" in menus
        if "Nbgrader" in menus:
            page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            items = page.locator(".lm-Menu-content").inner_text()
            page.keyboard.press("Escape")
            assert "Formgrader" not in items and "Create Assignment" not in items
        assert page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").count() == 1

        out = run_cell(page, code_cell(page, "Setup: import"), 1)
        assert "Error" not in out and "Traceback" not in out, out
        test_cell = code_cell(page, 'grade("sigmoid_forward")')
        out = run_cell(page, test_cell, 2)
        assert "sigmoid_forward is not implemented yet: write it in" in " ".join(out.split()), out
        # one message, wrapped at 80 columns (selfcheck/feedback.py SHOWN_WIDTH)
        assert "Traceback" not in out and "---->" not in out and len(out.strip().splitlines()) <= 2, out

        layers = workspace / "cs231n_lite" / "layers.py"
        layers.write_text(reference_source("cs231n_lite/layers.py"))
        out = run_cell(page, test_cell, 3)
        assert "sigmoid_forward: visible checks passed" in out, out
        page.screenshot(path=str(tmp_path / "student.png"))
        assert page.get_by_text("official Jupyter news").count() == 0     # no offer to go online
        assert page.errors == [] and page.blocked == []
    server_log = log.read_text()
    assert not re.search(r"^\[E ", server_log, re.M), server_log[-3000:]
    assert "not a subdirectory" not in server_log and "formgrader" not in server_log.lower()
    print(f"student test: {time.time() - start:.0f} s")


# -- (a') a student opening the release as its README says --------------------------------------

# nbgrader's instructor and exchange tools, by the labels its JupyterLab extension gives them.
INSTRUCTOR_UI = ("Nbgrader", "Formgrader", "Create Assignment", "Create assignment", "Assignment List",
                 "Assignments", "Course List", "Courses")


def menu_and_palette_texts(page):
    """The text of every main-menu menu and of the command palette, each opened in turn."""
    texts = {}
    for label in page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts():
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=label).first.click()
        menu = page.locator(".lm-Menu-content").first
        menu.wait_for(timeout=5_000)
        texts[f"menu {label}"] = menu.inner_text()
        page.keyboard.press("Escape")
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-content")
    palette.first.wait_for(timeout=5_000)
    texts["command palette"] = palette.first.inner_text()
    page.keyboard.press("Escape")
    return texts


def test_release_opened_as_its_readme_says_has_student_tools_only(page, tmp_path, release_template):
    start = time.time()
    folder = tmp_path / "from-the-course" / ASSIGNMENT
    shutil.copytree(release_template / "release" / ASSIGNMENT, folder)
    home = tmp_path / "home"
    commands = readme_setup((folder / "README.md").read_text(), folder, home)
    venv = readme_venv(commands)
    assert not venv.is_relative_to(folder), f"the README puts its venv in the folder handed in: {venv}"
    [(env, argv)] = [(env, argv) for env, argv in commands if argv[1:2] == ["lab"]]
    assert argv[0] == str(venv / "bin" / "jupyter") and set(env) == {"JUPYTER_CONFIG_DIR"}, (env, argv)
    # the test's environment stands for the README's venv (creating one is not what is tested)
    lab = [str(Path(sys.executable).parent / "jupyter"), *argv[1:]]
    with jupyter_lab(folder, home, env["JUPYTER_CONFIG_DIR"], command=lab) as (base, token, log):
        page.goto(f"{base}/lab/tree/{NOTEBOOK}.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)                  # late panels and their error dialogs have come
        assert page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").count() == 1
        assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").all_inner_texts()
        assert "Error fetching" not in page.locator("body").inner_text()
        menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
        assert "File" in menus and "Nbgrader" not in menus, menus
        tabs = page.locator(".lm-TabBar-tab").evaluate_all(
            "tabs => tabs.map(t => `${t.getAttribute('title') || ''} ${t.innerText} ${t.dataset.id || ''}`)")
        texts = {"sidebar and main-area tabs": "\n".join(tabs), **menu_and_palette_texts(page)}
        shown = {(where, name) for where, text in texts.items() for name in INSTRUCTOR_UI
                 if re.search(rf"\b{name}\b", text)}
        assert shown == set(), sorted(shown)
        assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").all_inner_texts()
        # what the Assignments, Courses and Formgrader panels ask the server (on the release without
        # its config: the exchange's errors, tracebacks in the log) is not served; Validate's is (POST)
        asked = ("courses", "assignments", "formgraders", "formgrader", "assignments/validate")
        status = {path: page.request.get(f"{base}/{path}?token={token}").status for path in asked}
        assert status == {**dict.fromkeys(asked, 404), "assignments/validate": 405}, status
        page.screenshot(path=str(tmp_path / "release.png"))
        assert page.errors == [] and page.blocked == [], (page.errors, page.blocked)
    server_log = log.read_text()
    assert not re.search(r"^\[E ", server_log, re.M), server_log[-3000:]
    assert "Traceback" not in server_log, server_log[-3000:]
    print(f"release test: {time.time() - start:.0f} s")


# -- (b) and (c): a graded course ----------------------------------------------------------------

@pytest.fixture(scope="module")
def course(release_template, tmp_path_factory):
    from grading.classwide.grade import autograde
    from grading.release.samples import VARIANTS, make_submissions

    course = copy_course(release_template, tmp_path_factory.mktemp("browser") / "course")
    make_submissions(course, {"ada": VARIANTS["reference"]})
    assert autograde(course) == ["ada"]
    return course


def gradebook_grade(course, grade_id, student="ada"):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        grade = gb.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, student)
        notebook_id = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).id
        return notebook_id, grade.manual_score, grade.needs_manual_grade


def test_instructor_grade_survives_regrading(page, course, tmp_path):
    start = time.time()
    grade_id = "q_saturation"
    notebook_id, score, needs = gradebook_grade(course, grade_id)
    assert score is None and needs
    with jupyter_lab(course, tmp_path / "home") as (base, token, log):
        # Formgrader's own API calls carry no token: authenticate every request instead
        page.context.set_extra_http_headers({"Authorization": f"token {token}"})
        page.goto(f"{base}/formgrader/submissions/{notebook_id}/")
        box = page.locator(f"input.score#{grade_id}")
        box.wait_for(timeout=60_000)
        # math is typeset from the server's own MathJax, with the network refused
        page.wait_for_function("window.MathJax && MathJax.isReady && "
                               "document.querySelectorAll('.MathJax, .MathJax_Display').length > 0",
                               timeout=30_000)
        assert page.evaluate("MathJax.version").startswith("2.7")
        # Formgrader binds its score boxes once the grades are fetched and MathJax is done
        page.wait_for_function("MathJax.loaded === true", timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.locator(".MathJax_Display").first.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "formgrader.png"))
        assert "needs_manual_grade" in box.get_attribute("class")      # shown as not reviewed
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as saved:
            box.fill("1.5")
            box.press("Tab")
        assert saved.value.ok
        assert gradebook_grade(course, grade_id)[1:] == (1.5, False)

        regrade = subprocess.run([sys.executable, "-m", "grading", "autograde", "--course", str(course),
                                  "--regrade", "ada"], cwd=ROOT, capture_output=True, text=True)
        assert regrade.returncode == 0, regrade.stdout[-2000:] + regrade.stderr[-2000:]
        assert "graded 1 new or changed submission(s): ada" in regrade.stdout

        page.reload()
        box.wait_for(timeout=60_000)
        page.wait_for_function(f"document.getElementById('{grade_id}').value !== ''", timeout=15_000)
        assert box.input_value() == "1.5"
        assert "needs_manual_grade" not in box.get_attribute("class")  # still reviewed
        grades = page.request.get(f"{base}/formgrader/api/grades?submission_id={notebook_id}").json()
        shown = {g["name"]: g for g in grades}[grade_id]
        assert shown["manual_score"] == 1.5 and shown["needs_manual_grade"] is False
        assert page.blocked == [], page.blocked
    assert gradebook_grade(course, grade_id)[1:] == (1.5, False)
    assert not re.search(r"^\[E ", log.read_text(), re.M), log.read_text()[-3000:]
    print(f"instructor test: {time.time() - start:.0f} s")


def generate_feedback_in_formgrader(page, course, tmp_path, student="ada"):
    """Click Formgrader's Generate Feedback button for one student, as an instructor would."""
    with jupyter_lab(course, tmp_path / "home") as (base, token, log):
        page.context.set_extra_http_headers({"Authorization": f"token {token}"})
        page.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}")
        row = page.locator("tr", has=page.locator("td", has_text=student))
        button = row.locator("td.generate-feedback a")
        button.wait_for(timeout=60_000)
        with page.expect_response(lambda r: r.url.endswith(f"/{student}/generate_feedback"),
                                  timeout=120_000) as done:
            button.click()
        assert done.value.ok and done.value.json()["success"], done.value.text()[-3000:]
        page.locator("#success-modal").wait_for(timeout=15_000)
        assert page.blocked == [], page.blocked
    assert not re.search(r"^\[E ", log.read_text(), re.M), log.read_text()[-3000:]


def test_feedback_page_typesets_math_offline(page, course, tmp_path):
    """The page Formgrader's Generate Feedback button makes, opened from disk with no network."""
    shutil.rmtree(course / "feedback", ignore_errors=True)
    generate_feedback_in_formgrader(page, course, tmp_path)
    folder = course / "feedback" / "ada" / ASSIGNMENT
    assert all(p.is_file() and p.suffix == ".html" for p in folder.iterdir())    # pages only
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"feedback folder: {size / 1e6:.1f} MB for {len(list(folder.glob('*.html')))} pages")
    html_page = folder / f"{NOTEBOOK}.html"
    assert "cdnjs" not in html_page.read_text() and "not graded yet" in html_page.read_text()
    page.goto(html_page.as_uri())
    page.wait_for_function("window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0 && "
                           "document.querySelectorAll('script[type^=\"math/tex\"]').length > 0 && "
                           "document.querySelectorAll('.MathJax_MathML').length === "
                           "document.querySelectorAll('script[type^=\"math/tex\"]').length",
                           timeout=30_000)
    formulas = page.locator(".MathJax_MathML math").count()
    assert formulas > 10
    prose = " ".join(page.locator(".text_cell_render").all_inner_texts())
    assert "$$" not in prose and "\\frac" not in prose
    shot = tmp_path / "feedback.png"
    display = page.locator("math[display='block']")
    assert display.count() > 0
    display.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}; {formulas} formulas typeset")
    assert page.blocked == [] and page.errors == []
