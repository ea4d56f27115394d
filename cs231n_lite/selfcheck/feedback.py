"""Comparisons that explain themselves.

A failing check raises ``CheckFailed`` whose message names the function and
the output, checks type and shape before values, reports NaN/inf, and leads
with the worst entry: where it is, what came back and what was expected
(with enough digits to see the difference), its absolute and relative
error against the allowed one, then how many entries differ and, when the
output matches a known wrong variant, the likely mistake:

    relu_backward: dx differs from the reference at [0, 3]: got 0.42, expected 0
    (absolute error 4.20e-01, relative error 1.00e+00 > 1e-08), where x = 0; 4 of 20
    entries differ. Likely mistake: your gradient passes through where x == 0; ...
"""
import textwrap
import traceback
import warnings
from pathlib import Path

import numpy as np

from .explain import SELFCHECK_DIR, broken_file_message, explain_not_implemented  # noqa: F401  (re-exported)

# An entry is wrong only if its absolute error also exceeds tol * ATOL_SCALE *
# (largest |expected|): see expect_array for why.
ATOL_SCALE = 1e-3
# Frames from files in SELFCHECK_DIR are the test library's: students never see them.

# Lines of a message as Jupyter shows it: nbgrader's Validate cuts every line of an error at
# Validator.width - 3 characters (87 by default), 4 of which are its indent.
SHOWN_WIDTH = 80


class CheckFailed(AssertionError):
    """A graded function's output is wrong; the message says how."""

    def _render_traceback_(self):
        """What IPython and Jupyter show instead of the traceback.

        The message says everything a student needs; the frames of the test
        library (and the known-mistake arrays they quote) only bury it. When
        the student's function crashed, the frames of the crash are kept,
        minus the test library's. IPython's showtraceback calls this hook
        (ipykernel still sends an error output, so a grade cell still
        fails); plain Python ignores it and prints the usual traceback.
        The message is wrapped at SHOWN_WIDTH columns, so that nbgrader's
        Validate, which truncates long lines, shows all of it.
        """
        lines = textwrap.wrap(f"{type(self).__name__}: {self}", SHOWN_WIDTH) or [type(self).__name__]
        cause = self.__cause__
        if cause is not None and cause.__traceback__ is not None:
            frames = [frame for frame in traceback.extract_tb(cause.__traceback__)
                      if Path(frame.filename).resolve().parent != SELFCHECK_DIR]
            if frames:
                lines += ["", f"{type(cause).__name__} was raised here:"]
                lines += [entry.rstrip("\n") for entry in traceback.format_list(frames)]
        return lines


def _fmt_index(ix):
    return "[" + ", ".join(str(int(i)) for i in ix) + "]"


def _fmt(v):
    return f"{v:.6g}" if np.isscalar(v) else repr(v)


def _fmt_pair(got, expected):
    """got and expected as text, with as many significant digits (6 to 17) as it takes to tell them apart."""
    if not (isinstance(got, (float, int)) and isinstance(expected, (float, int))):
        return _fmt(got), _fmt(expected)
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            return a, b
    return repr(got), repr(expected)


def _copy_args(args):
    """Deep-enough copies so a student function cannot alter the fixtures.

    Dicts (bn_param, ln_param) are passed as they are: mutating them is
    part of their contract.
    """
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            out.append(a.copy())
        elif isinstance(a, tuple):
            out.append(tuple(_copy_args(a)))
        else:
            out.append(a)
    return out


def call(fn, name, *args, **kwargs):
    """Call a student's function and return (result, caught_warnings).

    Warnings (numpy overflow included) are recorded, not printed: nbgrader
    scores a test cell 0 when anything reaches stderr, and a correct answer
    must not lose points for a harmless warning. Exceptions become a
    CheckFailed that says what was raised.
    """
    originals, args = args, _copy_args(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise CheckFailed(explain_not_implemented(name, exc)) from None
        except CheckFailed:
            raise
        except Exception as exc:
            broken = broken_file_message(name.split(" ")[0], exc)
            if broken:
                raise CheckFailed(broken) from None
            raise CheckFailed(f"{name} raised {type(exc).__name__}: {exc}") from exc
    changed = _modified_inputs(originals, args)
    if changed:
        labels = ", ".join(_argument_label(fn, where) for where in changed)
        raise CheckFailed(f"{name} changed its input {labels} in place; the caller's arrays must stay "
                          "as they were. Likely mistake: an in-place operation on an input, such as "
                          "`out = x; out[out < 0] = 0` or `dout[mask] = 0`; build a new array "
                          "(np.maximum, np.where) or work on a copy (x.copy()).")
    return result, list(caught)


def _modified_inputs(originals, copies, prefix=""):
    """Where (positions, e.g. '1' or '1[0]') the call changed an array argument in place."""
    changed = []
    for i, (orig, copy) in enumerate(zip(originals, copies)):
        where = f"{prefix}[{i}]" if prefix else str(i)
        if isinstance(orig, np.ndarray) and isinstance(copy, np.ndarray):
            same = orig.shape == copy.shape and np.array_equal(
                orig, copy, equal_nan=orig.dtype.kind in "fc" and copy.dtype.kind in "fc")
            if not same:
                changed.append(where)
        elif isinstance(orig, tuple) and isinstance(copy, tuple):
            changed += _modified_inputs(orig, copy, where)
    return changed


def _argument_label(fn, where):
    """'x' for position '0' of relu_forward(x), or 'argument 1' when the name is unknown."""
    import inspect
    head, _, rest = where.partition("[")
    try:
        parameter = list(inspect.signature(fn).parameters.values())[int(head)]
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ValueError("no name for it")
        label = parameter.name
    except (TypeError, ValueError, IndexError):
        label = f"argument {int(head) + 1}"
    return label + (f" (its item [{rest}" if rest else "")


def expect_outputs(name, result, output_names):
    """Unpack a returned tuple, checking how many values came back.

    Returns the result as a tuple with one entry per name in output_names.
    """
    n = len(output_names)
    wanted = ", ".join(output_names)
    if n == 1:
        if isinstance(result, tuple):
            raise CheckFailed(f"{name} must return {wanted} (one array); it returned a tuple "
                              f"of {len(result)} values.")
        return (result,)
    if not isinstance(result, tuple) or len(result) != n:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise CheckFailed(f"{name} must return a tuple ({wanted}); it returned {got}.")
    return result


def expect_float(name, value, what):
    """``value`` as a float, or CheckFailed if it is not a real number (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (float, int, np.floating, np.integer)):
        raise CheckFailed(f"{name} must return {what} as a float; got {type(value).__name__}.")
    return float(value)


STABILITY = ("the form exponentiates a large positive number (exp(-x) overflows at x = -1000); use a "
             "numerically stable form that only ever exponentiates non-positive numbers.")


def expect_no_warnings(name, caught, what, explanation=STABILITY):
    """Fail if the call emitted warnings (used where stability is the point)."""
    if caught:
        first = caught[0]
        raise CheckFailed(f"{name} emitted {len(caught)} warning(s) on {what}, first: "
                          f"{first.category.__name__}: {first.message}. Likely mistake: {explanation}")


def expect_array(name, output, got, expected, tol, context=None, mistakes=None, mask=None,
                 against="the reference", dtype=None, floor=1e-8, atol=None, nonfinite=None, dtype_hint=None):
    """Compare one output with its expected value, or raise CheckFailed.

    An entry is wrong when both its relative error
    |g - e| / max(floor, |g| + |e|) exceeds ``tol`` and its absolute error
    |g - e| exceeds ``atol``, by default ``tol * 1e-3 * max|expected|``.

    Why the absolute floor: a sound implementation rounds at the scale of
    the array's largest entries, so its absolute error is a few ulps of
    that scale (about 1e-16 * max|expected|) everywhere, and the relative
    error alone blows that up at near-zero entries. The sigmoid written as
    0.5 * (1 + tanh(x / 2)) is exact to 1e-16 in absolute terms but off by
    1e-3 relative where sigmoid(x) is 1e-13. ``tol * 1e-3 * scale`` is
    orders of magnitude above that noise for every tolerance used (>= 1e-9),
    yet a mistake is still caught at relative ``tol`` on every entry down to
    1/1000 of the largest, and below that once it exceeds ``atol``. The
    numerical-gradient comparison already uses the same 1e-3 of the scale
    (as its ``floor``).

    Inputs:
    - name: the graded function, e.g. 'relu_backward'
    - output: the output's name, e.g. 'dx'
    - got: what the student's function returned for this output
    - expected: float array with the right answer
    - tol: largest allowed relative error |g - e| / max(floor, |g| + |e|)
    - context: dict of input arrays with expected's shape, quoted at the
      first mismatch (e.g. {'x': x})
    - mistakes: list of (explanation, wrong_array) known wrong variants
    - mask: boolean array; compare only where True
    - against: what expected is, for the message
    - dtype: if given, the exact dtype required
    - floor: smallest denominator of the relative error (raise it for
      numerical gradients, whose near-zero entries carry absolute noise)
    - atol: largest ignored absolute error; None for the default above,
      0 for a purely relative comparison
    - nonfinite: the likely mistake when got has NaN/inf where expected is
      finite (default: overflow in exp or a division by zero)
    - dtype_hint: the likely mistake when the dtype is not ``dtype``

    The message leads with the worst entry (largest relative error): its
    index, got, expected, absolute and relative error, the context there;
    then how many entries differ, then the likely mistake if a known wrong
    variant matches.
    """
    expected = np.asarray(expected)
    if not isinstance(got, (np.ndarray, np.generic, float, int)):
        raise CheckFailed(f"{name}: {output} must be a numpy array of shape {expected.shape}; "
                          f"got {type(got).__name__}.")
    got = np.asarray(got)
    if got.shape != expected.shape:
        msg = f"{name}: {output} has shape {got.shape}, expected {expected.shape}."
        raise CheckFailed(_with_mistake(msg, got, mistakes, tol))
    if dtype is not None and got.dtype != dtype:
        hint = dtype_hint or ("the input's dtype was not kept (np.empty(shape) and np.zeros(shape) are "
                              "float64); keep the input's dtype, e.g. np.empty_like(x) or dtype=x.dtype.")
        raise CheckFailed(f"{name}: {output} has dtype {got.dtype}, expected {np.dtype(dtype)}. "
                          f"Likely mistake: {hint}")
    if not np.issubdtype(got.dtype, np.number) or np.issubdtype(got.dtype, np.complexfloating):
        msg = f"{name}: {output} has dtype {got.dtype}, expected a real float array."
        if got.dtype == bool:     # a mask returned as it is: name the mistake it would be as numbers
            msg = _with_mistake(msg, got.astype(np.float64), mistakes, tol)
        raise CheckFailed(msg)
    bad = ~np.isfinite(got)
    if bad.any() and np.isfinite(expected[bad]).all():
        n_nan, n_inf = int(np.isnan(got).sum()), int(np.isinf(got).sum())
        first = _fmt_index(np.argwhere(bad)[0])
        where = f" (first at {first})" if got.ndim else ""
        hint = (f". Likely mistake: {nonfinite}" if nonfinite else
                "; look for overflow in exp or a division by zero.")
        raise CheckFailed(f"{name}: {output} contains {n_nan} NaN and {n_inf} inf entries{where} "
                          f"where {against} is finite{hint}")
    if atol is None:
        atol = _default_atol(expected, tol, mask)
    err = _err_map(got, expected, floor, atol)
    if mask is not None:
        err = np.where(mask, err, 0.0)
    wrong = err > tol
    if not wrong.any():
        return
    ix = np.unravel_index(int(np.argmax(err)), err.shape)
    g, e = got[ix].item(), expected[ix].item()
    shown_g, shown_e = _fmt_pair(g, e)
    at = f" at {_fmt_index(ix)}" if got.ndim else ""
    msg = (f"{name}: {output} differs from {against}{at}: got {shown_g}, expected {shown_e} "
           f"(absolute error {abs(float(g) - float(e)):.2e}, relative error {float(err[ix]):.2e} > {tol:.0e})")
    for key, arr in (context or {}).items():
        if np.shape(arr) == expected.shape and got.ndim:
            msg += f", where {key} = {_fmt(np.asarray(arr)[ix].item())}"
    n_wrong = int(wrong.sum())
    if wrong.size > 1:
        msg += f"; {n_wrong} of {wrong.size} entries differ" if n_wrong > 1 else "; the only entry that differs"
    raise CheckFailed(_with_mistake(msg + ".", got, mistakes, tol))


def expect_cache(name, cache, layout, backward):
    """Check a forward pass's cache against its documented layout.

    layout: list of (label, expected) or (label, expected, mistakes) in the
    documented order, e.g. [('x', x), ('out', out)]; a single entry means
    the cache is that value itself (not a tuple). Arrays are compared with
    the reference (1e-9) and its known wrong variants (mistakes), other
    values for equality. backward: the backward pass whose test builds
    this cache itself (so the layout is a contract, named in the message).
    """
    layout = [(entry + (None,))[:3] for entry in layout]
    labels = [label for label, _, _ in layout]
    shown = labels[0] if len(labels) == 1 else "(" + ", ".join(labels) + ")"
    contract = (f"{name}: the cache must be {shown} as documented ({backward}'s test builds this "
                "cache itself from the documented layout)")
    items = [cache] if len(layout) == 1 else cache
    if len(layout) > 1 and (not isinstance(cache, (tuple, list)) or len(cache) != len(layout)):
        got = f"a tuple of {len(cache)} items" if isinstance(cache, (tuple, list)) else type(cache).__name__
        raise CheckFailed(f"{contract}; got {got}. Likely mistake: the cache was changed from the documented "
                          f"layout; keep {shown} and rebuild anything else the backward needs from it.")
    for i, (item, (label, expected, mistakes)) in enumerate(zip(items, layout)):
        if isinstance(expected, np.ndarray):
            try:
                expect_array(name, f"the cache's {label}", item, expected, 1e-9, mistakes=mistakes)
            except CheckFailed as exc:
                others = [j for j, (_, e, _) in enumerate(layout) if j != i and isinstance(e, np.ndarray)
                          and np.shape(item) == e.shape and np.allclose(item, e, rtol=1e-9, atol=0)]
                hint = (f" Likely mistake: the items are in another order; the cache is {shown}." if others
                        else "")
                raise CheckFailed(f"{contract}. {exc}{hint}") from None
        else:
            try:
                same = np.shape(item) == () and float(item) == float(expected)
            except (TypeError, ValueError):
                same = False
            if same:
                continue
            raise CheckFailed(f"{contract}; its {label} is {item!r:.60}, expected {expected!r}.")


def expect_gradients(name, keys, values, f, tol, numeric_tol, mistakes=None, context=None,
                     relative_floor=None):
    """Check each gradient against the reference, then against the numerical gradient.

    Inputs:
    - name: the graded backward function
    - keys: output names, e.g. ('dx', 'dgamma', 'dbeta'); f holds f[key] (the
      reference), f[key + '_num'] (centered differences of the reference
      forward) and optionally f[key + '_mask']
    - values: what the student's function returned, one per key
    - tol, numeric_tol: allowed relative errors against each
    - mistakes: dict key -> list of known wrong variants
    - context: input arrays quoted at the first mismatch
    - relative_floor: if given, the reference comparison's floor is this
      times the largest |reference| entry (else 1e-8)
    """
    for key, got in zip(keys, values):
        floor = 1e-8 if relative_floor is None else relative_floor * np.abs(f[key]).max()
        expect_array(name, key, got, f[key], tol, context=context,
                     mistakes=(mistakes or {}).get(key), floor=floor)
    for key, got in zip(keys, values):
        num = f[key + "_num"]
        expect_array(name, key, got, num, numeric_tol, mask=f.get(key + "_mask"),
                     floor=1e-3 * np.abs(num).max(),
                     against="the numerical gradient (centered differences)")


def _default_atol(expected, tol, mask=None):
    """tol * ATOL_SCALE * the largest finite |expected| entry (compared ones only)."""
    e = np.abs(np.asarray(expected, dtype=np.float64))
    keep = np.isfinite(e) if mask is None else np.isfinite(e) & np.asarray(mask, dtype=bool)
    return tol * ATOL_SCALE * np.max(e[keep], initial=0.0)


def _err_map(got, expected, floor=1e-8, atol=0.0):
    """Relative error per entry; 0 where the absolute error is at most atol."""
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(g - e)
        err = diff / np.maximum(floor, np.abs(g) + np.abs(e))
        err = np.where(diff <= atol, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def _with_mistake(msg, got, mistakes, tol):
    explanation = diagnose(got, mistakes, tol)
    return f"{msg} Likely mistake: {explanation}" if explanation else msg


def diagnose(got, mistakes, tol=1e-6):
    """The explanation of the first known wrong variant that got matches, or None.

    got matches a variant under the same rule as expect_array, at relative
    tolerance max(tol, 1e-6): a mistake written in another sound form (the
    tanh identity, say) must still be recognised.
    """
    tol = max(tol, 1e-6)
    got = np.asarray(got)
    if not np.issubdtype(got.dtype, np.number) or np.iscomplexobj(got) or not np.all(np.isfinite(got)):
        return None
    for explanation, wrong in mistakes or ():
        wrong = np.asarray(wrong)
        if wrong.shape == got.shape:
            err = _err_map(got, wrong, atol=_default_atol(wrong, tol))
            if np.max(err, initial=0.0) <= tol:
                return explanation
    return None
