"""The test fixtures, built from the reference implementation: the instructor's CLI and ``build``.

    python grading/judge/make_fixtures.py           # write the visible fixtures
    python grading/judge/make_fixtures.py --check   # regenerate and compare; exit 1 on a difference

Each fixture topic has its case builder in grading/judge/cases/<topic>.py
(named like the selfcheck topic whose tests read it), ``build(case, seed)``,
reached through ``build(topic, case, seed)`` here: ``case`` ('visible' or
'hidden') chooses the regime (shapes, extreme inputs, eps, momentum...),
``seed`` the Generator every input is drawn from. Visible fixtures use the
fixed seeds of VISIBLE_SEEDS and are committed in
cs231n_lite/selfcheck/fixtures/ (they ship to students). Hidden fixtures are
never written: the grader builds them per student at grading time, with a
seed derived from the course secret (grading/judge/hidden.py), so the hidden
regime must hold for any seed. Values are float64.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from grading.judge.cases import activations, hyperopt, normalization, optimization, preprocessing  # noqa: E402
from grading.judge.cases.activations import MAXOUT_MIN_GAP  # noqa: E402,F401  (tests read it here)
from grading.judge.cases.common import NUMERIC_TOL, ONLY, check_numeric, numeric_errors  # noqa: E402,F401

VISIBLE_DIR = ROOT / "cs231n_lite" / "selfcheck" / "fixtures"
# changing one of these changes the committed visible fixtures
VISIBLE_SEEDS = {"activations": 231, "normalization": 232, "preprocessing": 233, "hyperopt": 236,
                 "optimization": 237}
TOPICS = {"activations": activations, "normalization": normalization, "preprocessing": preprocessing,
          "hyperopt": hyperopt, "optimization": optimization}
# How far a reference gradient may be from its numerical gradient (same error
# measure as the tests). Visible seeds are fixed: 1e-7 leaves a 10x margin.
# Hidden seeds are arbitrary, and centered differences of spatial batch norm
# (27 coupled outputs per input) carry rounding noise that exceeds 1e-7 for
# ~0.7% of seeds (3.4e-7 at worst over 20000; the tail falls ~25x per 1e-7):
# NUMERIC_TOL / 2 still guarantees that a correct gradient passes the test.
NUMERIC_SANITY = {"visible": 1e-7, "hidden": NUMERIC_TOL / 2}


def build(topic, case, seed, only=None):
    """The fixture dict of ``topic`` in regime ``case``, inputs drawn from ``seed``.

    Parameters
    ----------
    topic : str
        A key of TOPICS.
    case : {'visible', 'hidden'}
        The regime (shapes, extreme inputs, eps...).
    seed : int or sequence of int
        Seed of the Generator every input is drawn from.
    only : str, optional
        Keep this function's fields only (same draws; the grader's hidden
        case of one function).

    Returns
    -------
    dict of str to numpy.ndarray
        ``'<function>/<field>' -> array``; every reference gradient has been
        checked against its numerical gradient (NUMERIC_SANITY).
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown fixture topic {topic!r}; known: {', '.join(TOPICS)}")
    token = ONLY.set(only)
    try:
        fx = TOPICS[topic].build(case, seed)
    finally:
        ONLY.reset(token)
    if only is not None:   # builders with their own add() keep everything
        fx = {k: v for k, v in fx.items() if k.startswith(only + "/")}
    try:
        check_numeric(fx, NUMERIC_SANITY[case])
    except AssertionError as exc:
        raise AssertionError(f"{topic} fixtures ({case}, seed {seed}): {exc}") from None
    return fx


def generate(visible_dir=VISIBLE_DIR):
    """Write every topic's visible fixture; returns the paths."""
    folder = Path(visible_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for topic, seed in VISIBLE_SEEDS.items():
        path = folder / f"{topic}.npz"
        np.savez_compressed(path, **build(topic, "visible", seed))
        paths.append(path)
    return paths


# Whitening matrices (and data whitened with them) go through 1 / sqrt(S + eps)
# with an eigenvalue S ~ 1e-9 << eps: a last-bit change of the covariance
# (another BLAS's summation order) moves them by ~ eps_mach * ||C|| / eps.
WHITENED_FIELDS = ("W_pca", "W_zca", "out_pca", "out_zca")


def _finite_scale(x):
    """Largest finite |value| of x (0 if none): an inf must not make atol infinite."""
    finite = np.abs(x[np.isfinite(x)])
    return float(finite.max(initial=0.0))


def tolerance(key, x, y):
    """(rtol, atol) for comparing two versions of the float array ``key``.

    Not exact, because another CPU's libm (exp, expm1, tanh) or BLAS/LAPACK
    may differ in the last bit; each kind of value amplifies that differently:
    * inputs and reference outputs inherit it as ~1e-15 relative: rtol 1e-9,
      plus atol 1e-12 of the array's scale for entries near 0;
    * whitening (WHITENED_FIELDS) amplifies it by ||C|| / eps ~ 1e7 (2e-9
      measured between two machines): rtol 1e-7, still 10x below the 1e-6
      at which the tests compare W;
    * a numerical gradient ``*_num`` divides a difference of two nearby sums
      by 2h = 2e-5, i.e. magnifies it ~1e5 times (7.6e-12 seen on
      elu_backward/dx_num); the tests only use it at NUMERIC_TOL = 1e-6
      relative, so atol 1e-7 of its largest |value| is safe and still tight.
    """
    scale = max(_finite_scale(x), _finite_scale(y))
    field = key.rsplit("/", 1)[-1]
    if field.endswith("_num"):
        return 0.0, 1e-7 * scale
    if field in WHITENED_FIELDS:
        return 1e-7, 1e-12 * scale
    return 1e-9, 1e-12 * scale


def compare(a, b):
    """Differences between two fixture files, as a list of strings (empty if they agree).

    Float arrays are compared with ``tolerance``; other arrays (masks, ints,
    booleans) must be equal.
    """
    a, b = Path(a), Path(b)
    with np.load(a) as fa, np.load(b) as fb:
        problems = [f"{a.name}: key {k} only in one file" for k in sorted(set(fa.files) ^ set(fb.files))]
        for k in sorted(set(fa.files) & set(fb.files)):
            x, y = fa[k], fb[k]
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{a.name}:{k}: {x.shape}/{x.dtype} vs {y.shape}/{y.dtype}")
            elif x.dtype.kind == "f":
                rtol, atol = tolerance(k, x, y)
                if not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
                    problems.append(f"{a.name}:{k}: values differ (max {np.max(np.abs(x - y)):.1e}; "
                                    f"allowed rtol {rtol:g}, atol {atol:.1e})")
            elif not np.array_equal(x, y):
                problems.append(f"{a.name}:{k}: values differ")
    return problems


def check(visible_dir=VISIBLE_DIR):
    """Regenerate the visible fixtures in a temporary folder; compare with ``visible_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        problems = []
        for fresh in generate(tmp):
            committed = Path(visible_dir) / fresh.name
            if not committed.exists():
                problems.append(f"{committed} is missing")
            else:
                problems += compare(fresh, committed)
        return problems


def main():
    parser = argparse.ArgumentParser(description="Generate or check the test fixtures.")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for p in problems:
            print(p)
        print("fixtures are up to date" if not problems else f"{len(problems)} difference(s)")
        sys.exit(1 if problems else 0)
    for path in generate():
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
