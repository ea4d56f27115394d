"""Feedback messages: what is wrong, where, by how much; warnings never reach stderr."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite import layers
from cs231n_lite.selfcheck import activations as T
from cs231n_lite.selfcheck import check
from cs231n_lite.selfcheck.feedback import CheckFailed, call, diagnose, expect_array

ROOT = Path(__file__).resolve().parents[2]


def message(fn, test, case="visible"):
    with pytest.raises(CheckFailed) as info:
        test(fn, case=case)
    return str(info.value)


def test_value_mismatch_leads_with_the_worst_entry():
    got = np.array([[0.0, 1.0], [2.1, 3.5]])
    with pytest.raises(CheckFailed) as info:
        expect_array("f", "dx", got, np.array([[0.0, 1.0], [2.0, 3.0]]), 1e-8, context={"x": np.ones((2, 2))})
    assert str(info.value) == ("f: dx differs from the reference at [1, 1]: got 3.5, expected 3 (absolute error "
                               "5.00e-01, relative error 7.69e-02 > 1e-08), where x = 1; 2 of 4 entries differ.")


def test_got_and_expected_show_enough_digits_to_differ():
    with pytest.raises(CheckFailed) as info:
        expect_array("f", "out", np.array([1.0, 0.294508123]), np.array([1.0, 0.294508456]), 1e-9)
    assert ("at [1]: got 0.2945081, expected 0.2945085 (absolute error 3.33e-07, relative error 5.65e-07 > 1e-09); "
            "the only entry that differs.") in str(info.value)


def test_a_scalar_output_has_no_index_and_no_count():
    with pytest.raises(CheckFailed) as info:
        expect_array("f", "loss", 2.5, np.array(2.0), 1e-9, mistakes=[("halved.", np.array(2.5))])
    assert str(info.value) == ("f: loss differs from the reference: got 2.5, expected 2 (absolute error 5.00e-01, "
                               "relative error 1.11e-01 > 1e-09). Likely mistake: halved.")


@pytest.mark.parametrize("got,expected_text", [
    (np.zeros((3, 2)), "dx has shape (3, 2), expected (2, 3)."),
    ((np.zeros((2, 3)), None), "dx must be a numpy array of shape (2, 3); got tuple."),
    (np.array([[1, np.nan, 1], [1, 1, np.inf]]), "dx contains 1 NaN and 1 inf entries (first at [0, 1])"),
    (np.array([["a"] * 3] * 2), "expected a real float array"),
])
def test_type_shape_and_nan_are_checked_before_values(got, expected_text):
    with pytest.raises(CheckFailed, match=None) as info:
        expect_array("f", "dx", got, np.ones((2, 3)), 1e-8)
    assert expected_text in str(info.value)


def test_dtype_requirement_and_mask():
    with pytest.raises(CheckFailed, match="dtype float64, expected float32"):
        expect_array("f", "out", np.ones(2), np.ones(2), 1e-8, dtype=np.float32)
    expect_array("f", "dx", np.array([1.0, 5.0]), np.array([1.0, 0.0]), 1e-8, mask=np.array([True, False]))


def raises(exc):
    def fn(*args, **kwargs):
        raise exc
    return fn


def test_not_implemented_and_crashes_become_clear_messages():
    assert message(raises(NotImplementedError("todo")), T.test_relu_forward) == \
        "relu_forward is not implemented yet (todo)."
    assert message(raises(NotImplementedError()), T.test_relu_forward) == \
        "relu_forward is not implemented yet."
    msg = message(lambda x: 1 / 0, T.test_relu_forward)
    assert msg == "relu_forward raised ZeroDivisionError: division by zero"


def test_wrong_number_of_outputs():
    assert "must return a tuple (out, cache); it returned ndarray" in message(
        lambda x: np.maximum(0, x), T.test_relu_forward)
    assert "must return dx (one array); it returned a tuple of 2" in message(
        lambda dout, cache: (dout, cache), T.test_relu_backward)
    assert "must return a tuple (dx, dalpha); it returned ndarray" in message(
        lambda dout, cache: dout, T.test_prelu_backward)


def test_student_cannot_mutate_the_fixture():
    def mutating_relu(x):
        x[x < 0] = 0      # in place: named as a mistake, and must not corrupt the test
        return x, x
    with pytest.raises(CheckFailed, match="changed its input x in place"):
        T.test_relu_forward(mutating_relu)
    T.test_relu_forward(layers.relu_forward)


def naive_elu(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))   # overflows for large positive x
    return out, (x, alpha)


def test_correct_answer_with_numpy_warning_keeps_its_points_and_prints_nothing(capfd):
    with np.errstate(over="warn"):
        T.test_elu_forward(naive_elu, case="hidden")   # x contains 800: exp overflows
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def naive_sigmoid(x):
    out = 1 / (1 + np.exp(-x))
    return out, (x, out)


@pytest.mark.parametrize("case", ["visible", "hidden"])
def test_overflowing_sigmoid_fails_the_stability_check_visibly(capfd, case):
    msg = message(naive_sigmoid, T.test_sigmoid_forward, case=case)
    assert "emitted 1 warning(s) on x = [-1000.0" in msg and "RuntimeWarning: overflow" in msg
    assert "Likely mistake: the form exponentiates a large positive number" in msg
    assert capfd.readouterr().err == ""


def test_call_returns_caught_warnings():
    result, caught = call(lambda: np.exp(1000.0), "f")
    assert result == np.inf and caught and caught[0].category is RuntimeWarning


def test_diagnose_matches_only_close_variants():
    wrong = np.array([1.0, 2.0])
    assert diagnose(wrong + 1e-12, [("explained", wrong)]) == "explained"
    assert diagnose(wrong + 0.1, [("explained", wrong)]) is None
    assert diagnose(wrong, [("shape", np.zeros(3))]) is None


def test_self_check_prints_verdicts(capsys):
    assert check("relu_forward") is True
    assert "PASS relu_forward: all visible checks passed (1 point)." in capsys.readouterr().out
    with pytest.raises(KeyError, match="known: "):
        check("relu_sideways")


# -- absolute floor: sound implementations pass, small real errors still fail ---------------
def tanh_sigmoid(x):
    out = 0.5 * (1 + np.tanh(x / 2))   # sound, but 1 + tanh(x/2) cancels for x << 0
    return out, (x, out)


@pytest.mark.parametrize("case", ["visible", "hidden"])
def test_sigmoid_through_the_tanh_identity_passes(case):
    # hidden: at x = -30 sigmoid is 9.4e-14 and this form is off by 1.6e-9 relative
    T.test_sigmoid_forward(tanh_sigmoid, case=case)


@pytest.mark.parametrize("case", ["visible", "hidden"])
def test_sigmoid_off_by_1e_6_relative_still_fails(case):
    def scaled_sigmoid(x):
        out = (1 + 1e-6) * layers.sigmoid_forward(x)[0]
        return out, (x, out)
    msg = message(scaled_sigmoid, T.test_sigmoid_forward, case=case)
    assert msg.startswith("sigmoid_forward: out differs from the reference at [")
    assert "relative error 5.00e-07 > 1e-09)" in msg


def test_flipped_sigmoid_through_the_tanh_identity_is_still_diagnosed():
    def flipped(x):
        out = 0.5 * (1 + np.tanh(-x / 2))
        return out, (x, out)
    msg = message(flipped, T.test_sigmoid_forward, case="hidden")
    assert "Likely mistake: the sign of the exponent is flipped" in msg


def test_absolute_floor_is_relative_to_the_largest_expected_entry():
    expected = np.array([2.0, 1e-13])
    # absolute error 1e-16: rounding noise, 1e-3 relative at the tiny entry
    expect_array("f", "out", np.array([2.0, 1e-13 + 1e-16]), expected, 1e-9)
    with pytest.raises(CheckFailed, match=r"at \[1\]: got 1.001e-13, expected 1e-13 .*; the only entry"):
        expect_array("f", "out", np.array([2.0, 1e-13 + 1e-16]), expected, 1e-9, atol=0)
    # default atol = 1e-9 * 1e-3 * 2 = 2e-12: an error of 3e-12 is reported (relative to the 1e-8 floor)
    with pytest.raises(CheckFailed, match=r"relative error 3\.00e-04 > 1e-09\); the only entry"):
        expect_array("f", "out", np.array([2.0, 3.1e-12]), expected, 1e-9)
    # masked-out entries do not set the scale
    with pytest.raises(CheckFailed):
        expect_array("f", "out", np.array([1e3, 1e-13 + 1e-11]), np.array([0.0, 1e-13]), 1e-9,
                     mask=np.array([False, True]))


def test_diagnose_ignores_rounding_noise_at_the_variants_scale():
    wrong = np.array([1e6, 1e-7])
    noisy = wrong + np.array([0.0, 1e-10])   # 1e-16 of the scale, 5e-4 relative at the small entry
    assert diagnose(noisy, [("explained", wrong)]) == "explained"
    assert diagnose(wrong + np.array([0.0, 1e-2]), [("explained", wrong)]) is None


# -- what a student sees ----------------------------------------------------------------------
STUB = NotImplementedError("relu_forward is not implemented yet: write it in cs231n_lite/layers.py; "
                           "01_activation_functions.ipynb tests it")


def test_the_release_stubs_message_is_shown_once():
    assert message(raises(STUB), T.test_relu_forward) == (
        "relu_forward is not implemented yet: write it in cs231n_lite/layers.py; "
        "01_activation_functions.ipynb tests it.")


def test_a_stub_shown_under_a_callers_note_keeps_the_note():
    from cs231n_lite.selfcheck.feedback import explain_not_implemented
    stub = NotImplementedError("spatial_batchnorm_forward is not implemented yet: write it in "
                               "cs231n_lite/normalization.py; 04_batch_normalization.ipynb tests it")
    assert explain_not_implemented("spatial_batchnorm_forward (a note)", stub) == (
        "spatial_batchnorm_forward (a note) is not implemented yet: "
        "write it in cs231n_lite/normalization.py; 04_batch_normalization.ipynb tests it.")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def ipython():
    """A real IPython shell (not a kernel): cells run as in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def run_cell(shell, capfd, source, **names):
    shell.user_ns.update(names)
    result = shell.run_cell(source)
    out, err = capfd.readouterr()
    return result, ANSI.sub("", out + err)


def seeded_relu_backward(dout, cache):
    return dout * (cache >= 0)     # the seeded bug: gradient passes at x == 0


def test_failing_grade_cell_in_ipython_shows_only_the_message(ipython, capfd):
    result, shown = run_cell(ipython, capfd, "from cs231n_lite.selfcheck import activations as tests\n"
                             "tests.test_relu_backward(relu_backward)", relu_backward=seeded_relu_backward)
    assert isinstance(result.error_in_exec, CheckFailed)          # the cell still fails
    assert " ".join(shown.split()) == f"CheckFailed: {result.error_in_exec}"     # wrapped at 80 columns
    assert max(len(line) for line in shown.strip().splitlines()) <= 80
    assert "relu_backward: dx differs from the reference" in shown and "Likely mistake: your gradient" in shown
    assert "Traceback" not in shown and "selfcheck/activations.py" not in shown
    assert "dout * (x < 0)" not in shown and "mistakes" not in shown   # the mistake table's source


def crashing_relu_forward(x):
    return np.maximum(0, x) + x[100], x    # IndexError in the student's code


def test_a_crash_in_ipython_shows_the_students_frames_only(ipython, capfd):
    _, shown = run_cell(ipython, capfd, "from cs231n_lite.selfcheck import activations as tests\n"
                        "tests.test_relu_forward(relu_forward)", relu_forward=crashing_relu_forward)
    assert shown.startswith("CheckFailed: relu_forward raised IndexError: index 100 is out of bounds")
    assert "IndexError was raised here:" in shown and "in crashing_relu_forward" in shown
    assert "x[100]" in shown and __file__ in shown
    assert "cs231n_lite/selfcheck" not in shown and "Traceback" not in shown   # no frame of the test library


def test_other_errors_and_check_keep_their_usual_output(ipython, capfd):
    _, shown = run_cell(ipython, capfd, "def f():\n    raise ValueError('boom')\nf()")
    assert "Traceback" in shown and "ValueError: boom" in shown
    _, shown = run_cell(ipython, capfd, "from cs231n_lite.selfcheck import check\n"
                        "check('relu_forward'), check('no_such_function')")
    assert "PASS relu_forward" in shown and "KeyError" in shown and "Traceback" in shown


def test_outside_ipython_the_traceback_is_plain_python():
    script = ("from cs231n_lite.selfcheck import activations as tests\n"
              "tests.test_relu_forward(lambda x: (x, x))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Traceback") and "selfcheck/activations.py" in proc.stderr
    assert "CheckFailed: relu_forward: out differs from the reference" in proc.stderr


def test_in_a_jupyter_kernel_the_grade_cell_has_a_short_error_output():
    """nbgrader scores a grade cell 0 because of its error output: it must still be there."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import numpy as np\n"
        "from cs231n_lite.selfcheck import activations as tests\n"
        "tests.test_relu_backward(lambda dout, x: dout * (x >= 0))")])
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "CheckFailed"
    assert errors[0].evalue.startswith("relu_backward: dx differs from the reference")
    lines = [ANSI.sub("", line) for line in errors[0].traceback]
    assert " ".join(lines) == f"CheckFailed: {errors[0].evalue}" and max(map(len, lines)) <= 80


def test_a_function_that_changes_its_input_in_place_is_named():
    from helpers import failure_message

    def in_place_relu(x):
        out = x
        out[out < 0] = 0
        return out, x

    def in_place_backward(dout, cache):
        dout[cache <= 0] = 0
        return dout

    msg = failure_message(T.test_relu_forward, in_place_relu)
    assert "relu_forward changed its input x in place" in msg and "x.copy()" in msg
    msg = failure_message(T.test_relu_backward, in_place_backward)
    assert "changed its input dout in place" in msg


@pytest.mark.parametrize("name", ["01_activation_functions", "01_activation_functions.ipynb",
                                  "activation_functions", "01", 1, "Activation functions"])
def test_check_all_accepts_a_notebook_in_any_reasonable_form(name, capsys):
    from cs231n_lite.selfcheck import REGISTRY, check_all
    n = sum(spec.notebook == "01_activation_functions.ipynb" for spec in REGISTRY.values())
    results = check_all(name)
    assert len(results) == n and all(results.values())
    assert f"{n} of {n} functions pass" in capsys.readouterr().out


def test_check_all_refuses_an_unknown_notebook_and_lists_the_valid_ones():
    from cs231n_lite.selfcheck import check_all
    with pytest.raises(ValueError, match="02_data_preprocessing.ipynb"):
        check_all("activations_notebook")
