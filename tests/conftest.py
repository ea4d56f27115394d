"""Shared, expensive fixtures: one nbgrader course built, submitted and graded per session."""
import pytest

from grading.autograde import autograde
from grading.course import build_release
from grading.samples import DEFAULT_STUDENTS, VARIANTS, Edit, Variant, make_submissions

# Variants beyond the three samples of the main job, each probing one promise of the grader.
EXTRA_VARIANTS = {
    "noisy_correct": Variant(
        "correct ELU whose exp overflows (numpy warns) on the hidden input", "reference",
        (Edit("cs231n_lite/layers.py",
              "    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
              "    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))\n"),)),
    "forward_bug": Variant(
        "sigmoid_forward wrong for x >= 0; its backward must keep its points", "reference",
        (Edit("cs231n_lite/layers.py",
              "    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))\n",
              "    out[positive] = 1.0 / (1.0 + np.exp(x[positive]))\n"),),
        breaks=("test_sigmoid_forward",)),
    "deleted_cells": Variant(
        "reference answers, two grade cells deleted by the student", "reference",
        delete_cells=("test_relu_forward", "test_tanh_backward")),
    "tampered_tests": Variant(
        "untouched stubs, test library edited to pass everything", "untouched",
        (Edit("cs231n_lite/selfcheck/activations.py",
              '    return graded(name, module="layers", notebook=NOTEBOOK, points=points)\n',
              '    return lambda test: graded(name, "layers", NOTEBOOK, points)(lambda *a, **k: None)\n'),)),
}
ALL_VARIANTS = {**{s: VARIANTS[s] for s in DEFAULT_STUDENTS}, **EXTRA_VARIANTS}


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    build_release(course, log=course / "nbgrader.log")
    return course


@pytest.fixture(scope="session")
def release_dir(course_dir):
    return course_dir / "release" / "part1"


@pytest.fixture(scope="session")
def graded(course_dir):
    """{student: [Score]} after autograding every variant."""
    make_submissions(course_dir, ALL_VARIANTS)
    return autograde(course_dir, log=course_dir / "nbgrader.log")
