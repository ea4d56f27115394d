"""Shared, expensive fixtures: one nbgrader course built, submitted and graded per session."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")   # before numpy: results and timings independent of the machine

from threadpoolctl import threadpool_limits  # noqa: E402
import pytest  # noqa: E402

from cs231n_lite.selfcheck.fixtures import install_hidden

from grading.classwide.grade import autograde
from grading.release.course import build_release
from grading.judge.hidden import HiddenSource
from grading.release.samples import Append, Edit, Variant, make_submissions

import variants
from helpers import copy_course

# Appended to the student's copy of a selfcheck topic: every registered test becomes a no-op.
TESTS_PASS_EVERYTHING = ("from .registry import REGISTRY as _R\n"
                         "for _n, _s in list(_R.items()):\n"
                         "    _R[_n] = type(_s)(_s.name, _s.module, _s.notebook, _s.points, lambda *a, **k: None, _s.uses)\n")

# Variants beyond the three samples of the main job, each probing one promise of the grader.
EXTRA_VARIANTS = {
    "several_bugs": Variant(
        "sigmoid_forward wrong for x >= 0, he_init without its factor 2, layernorm_backward "
        "without the path through the mean, subtract_mean refitting on its input; "
        "sigmoid_backward must keep its points (its test builds its own cache)", "reference",
        (Edit("cs231n_lite/layers.py",
              "    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))\n",
              "    out[positive] = 1.0 / (1.0 + np.exp(x[positive]))\n"),
         Edit("cs231n_lite/init.py",
              "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)\n",
              "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)\n"),
         Edit("cs231n_lite/normalization.py",
              "    dx = (inv_std / D) * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)\n",
              "    dx = (inv_std / D) * (D * dx_hat - 0 * dx_hat.sum(axis=1, keepdims=True)\n"),
         Edit("cs231n_lite/preprocess.py", "    out = X - mean\n", "    out = X - X.mean(axis=0)\n")),
        breaks=("test_sigmoid_forward", "test_he_init", "test_layernorm_backward", "test_subtract_mean")),
    "noisy_deleted": Variant(
        "correct answers, but an ELU whose exp overflows (numpy warns) on the hidden input, "
        "and two grade cells deleted by the student", "reference",
        (Edit("cs231n_lite/layers.py",
              "    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
              "    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))\n"),),
        delete_cells=("test_relu_forward", "test_xavier_init")),
    "tampered_tests": Variant(
        "untouched stubs, test library edited to pass everything", "untouched",
        (Append("cs231n_lite/selfcheck/activations.py", TESTS_PASS_EVERYTHING),)),
}


ALL_VARIANTS = {**variants.ALL_VARIANTS, **EXTRA_VARIANTS}
threadpool_limits(1)


def pytest_collection_modifyitems(session, config, items):
    """The notebooks the selected tests read are executed together, two at a time, at the first use."""
    if any(item.get_closest_marker("notebooks") for item in items):
        import test_notebooks
        test_notebooks.want_notebooks_of(items)


@pytest.fixture(scope="session", autouse=True)
def hidden_inputs():
    """Hidden inputs for the tests' case='hidden' calls, as the grader would install them."""
    source = HiddenSource(b"pytest-secret", "pytest")
    previous = install_hidden(source)
    yield source
    install_hidden(previous)


@pytest.fixture(scope="session")
def release_template(tmp_path_factory):
    """One course built by build_release for the session; modules take copies (helpers.copy_course)."""
    course = tmp_path_factory.mktemp("template") / "course"
    build_release(course, log=course / "nbgrader.log")
    return course


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory, release_template):
    return copy_course(release_template, tmp_path_factory.mktemp("course") / "course")


@pytest.fixture(scope="session")
def release_dir(course_dir):
    return course_dir / "release" / "part1"


SMALL_CLASS = ("reference", "seeded_bug")


@pytest.fixture(scope="session")
def small_class(release_template, tmp_path_factory):
    """A course of two students who came through nbgrader's exchange, graded, with feedback pages.

    Their folders hold what `nbgrader submit` writes and `nbgrader collect` keeps
    (timestamp.txt, submission_secret.txt); the written answers are not graded.
    """
    from grading.gradebook.feedback import generate
    course = copy_course(release_template, tmp_path_factory.mktemp("small") / "course")
    for student, path in make_submissions(course, {s: ALL_VARIANTS[s] for s in SMALL_CLASS}).items():
        (path / "timestamp.txt").write_text("2026-01-15 10:00:00.000000 UTC")
        (path / "submission_secret.txt").write_text(f"secret-of-{student}")
    autograde(course, log=course / "nbgrader.log", workers=2)
    generate(course, include_ungraded=True, log=course / "nbgrader.log")
    return course


@pytest.fixture(scope="session")
def graded(course_dir):
    """{student: [Score]} after autograding every variant."""
    from grading.gradebook.grades import collect_scores
    from grading.gradebook.feedback import generate
    make_submissions(course_dir, ALL_VARIANTS)
    autograde(course_dir, log=course_dir / "nbgrader.log")
    generate(course_dir, FEEDBACK_STUDENTS, include_ungraded=True, log=course_dir / "nbgrader.log")
    return collect_scores(course_dir)


# Feedback pages cost ~1 s of nbconvert per notebook: written for the samples whose pages are read
# (the seeded bug's messages) and for the hostile ones whose text could leak into a page.
FEEDBACK_STUDENTS = ("reference", "untouched", "seeded_bug", "steals_and_sabotages", "floods_output",
                     "tampers_metadata", "tampered_tests")
