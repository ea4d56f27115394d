"""Generate the reference-output fixtures from the reference implementation.

    python grading/make_fixtures.py           # write them
    python grading/make_fixtures.py --check   # regenerate and compare; exit 1 on a difference

Visible fixtures go to cs231n_lite/selfcheck/fixtures/ (they ship to
students), hidden ones to grading/hidden_fixtures/ (they never do). Every
input comes from a seeded Generator, so the output is deterministic; values
are float64, i.e. ~16 significant digits.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cs231n_lite import layers  # noqa: E402  (the reference build)
from cs231n_lite.gradient_check import eval_numerical_gradient_array, rel_error  # noqa: E402

VISIBLE_DIR = ROOT / "cs231n_lite" / "selfcheck" / "fixtures"
HIDDEN_DIR = ROOT / "grading" / "hidden_fixtures"
SEEDS = {"visible": 231, "hidden": 90210}
H = 1e-5  # numerical-gradient step


def _with_zeros(x, rng, count):
    """x with `count` random entries set to exactly 0 (the ReLU kink)."""
    x = x.copy()
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, count, replace=False)] = 0.0
    return x


def _numeric(forward, x, dout, key, out, mask=None):
    """Store the numerical gradient of sum(forward(x) * dout) and its mask."""
    num = eval_numerical_gradient_array(forward, x.copy(), dout, h=H)
    mask = np.ones(x.shape, bool) if mask is None else mask
    out[key + "_num"] = num
    out[key + "_mask"] = mask
    err = rel_error(num[mask], out[key][mask]) if key in out else 0.0
    if err > 1e-7:  # leaves a 10x margin below the tests' NUMERIC_TOL
        raise AssertionError(f"reference {key} disagrees with its numerical gradient: {err:.1e}")


def _elementwise(name, forward, x, dout, **kw):
    """Fixtures of an elementwise activation's forward and backward."""
    out, cache = forward(x, **kw)
    backward = getattr(layers, name + "_backward")
    fields_f = {"x": x, "out": out}
    fields_b = {"x": x, "out": out, "dout": dout, "dx": backward(dout, cache)}
    away_from_kink = np.abs(x) > 10 * H
    _numeric(lambda v: forward(v, **kw)[0], x, dout, "dx", fields_b, away_from_kink)
    return fields_f, fields_b


def activation_fixtures(case):
    rng = np.random.default_rng(SEEDS[case])
    shape = (4, 5) if case == "visible" else (6, 7)
    fx = {}

    def add(name, fields):
        for k, v in fields.items():
            fx[f"{name}/{k}"] = np.asarray(v)

    def rand(scale=2.0):
        return scale * rng.standard_normal(shape)

    for name in ("sigmoid", "tanh"):
        x = rand(3.0)
        f, b = _elementwise(name, getattr(layers, name + "_forward"), x, rand(1.0))
        add(name + "_forward", f)
        add(name + "_backward", b)
    if case == "hidden":
        extreme = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0])
        add("sigmoid_forward", {"x_extreme": extreme, "out_extreme": layers.sigmoid_forward(extreme)[0]})

    x = _with_zeros(rand(), rng, 4)
    f, b = _elementwise("relu", layers.relu_forward, x, rand(1.0))
    add("relu_forward", f)
    add("relu_backward", b)

    alpha = 0.1 if case == "visible" else 0.01
    x = _with_zeros(rand(), rng, 3)
    kw = {"alpha": alpha}
    f, b = _elementwise("leaky_relu", layers.leaky_relu_forward, x, rand(1.0), **kw)
    add("leaky_relu_forward", {**f, "alpha": alpha, "use_default": case == "hidden"})
    add("leaky_relu_backward", {**b, "alpha": alpha})

    alpha = 1.5 if case == "visible" else 0.7
    x = rand(2.5)
    if case == "hidden":
        x.reshape(-1)[:3] = [800.0, 50.0, -800.0]  # a naive exp overflows here
    with np.errstate(over="raise"):
        f, b = _elementwise("elu", layers.elu_forward, x, rand(1.0), alpha=alpha)
    add("elu_forward", {**f, "alpha": alpha})
    add("elu_backward", {**b, "alpha": alpha})

    # PReLU: alpha per feature; dalpha's numerical gradient through alpha
    x = _with_zeros(rand(), rng, 3)
    alpha = rng.uniform(0.05, 0.5, size=shape[1])
    dout = rand(1.0)
    out, cache = layers.prelu_forward(x, alpha)
    dx, dalpha = layers.prelu_backward(dout, cache)
    b = {"x": x, "alpha": alpha, "dout": dout, "dx": dx, "dalpha": dalpha}
    _numeric(lambda v: layers.prelu_forward(v, alpha)[0], x, dout, "dx", b, np.abs(x) > 10 * H)
    _numeric(lambda a: layers.prelu_forward(x, a)[0], alpha, dout, "dalpha", b)
    add("prelu_forward", {"x": x, "alpha": alpha, "out": out})
    add("prelu_backward", b)

    # Maxout: N examples, D inputs, M outputs, K pieces
    N, D, M, K = (4, 5, 3, 2) if case == "visible" else (6, 4, 5, 3)
    x, w, b_ = rng.standard_normal((N, D)), rng.standard_normal((D, M, K)), rng.standard_normal((M, K))
    dout = rng.standard_normal((N, M))
    out, cache = layers.maxout_forward(x, w, b_)
    dx, dw, db = layers.maxout_backward(dout, cache)
    bw = {"x": x, "w": w, "b": b_, "z": cache[3], "dout": dout, "dx": dx, "dw": dw, "db": db}
    _numeric(lambda v: layers.maxout_forward(v, w, b_)[0], x, dout, "dx", bw)
    _numeric(lambda v: layers.maxout_forward(x, v, b_)[0], w, dout, "dw", bw)
    _numeric(lambda v: layers.maxout_forward(x, w, v)[0], b_, dout, "db", bw)
    add("maxout_forward", {"x": x, "w": w, "b": b_, "out": out})
    add("maxout_backward", bw)
    return fx


TOPICS = {"activations": activation_fixtures}


def generate(visible_dir=VISIBLE_DIR, hidden_dir=HIDDEN_DIR):
    """Write every topic's visible and hidden fixtures; returns the paths."""
    paths = []
    for topic, build in TOPICS.items():
        for case, folder in (("visible", visible_dir), ("hidden", hidden_dir)):
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{topic}.npz"
            np.savez_compressed(path, **build(case))
            paths.append(path)
    return paths


def compare(a, b):
    """Differences between two fixture files, as a list of strings."""
    with np.load(a) as fa, np.load(b) as fb:
        problems = [f"{a.name}: key {k} only in one file" for k in set(fa.files) ^ set(fb.files)]
        for k in sorted(set(fa.files) & set(fb.files)):
            x, y = fa[k], fb[k]
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{a.name}:{k}: {x.shape}/{x.dtype} vs {y.shape}/{y.dtype}")
            elif x.dtype.kind == "f" and not np.allclose(x, y, rtol=1e-12, atol=1e-300):
                problems.append(f"{a.name}:{k}: values differ (max {np.max(np.abs(x - y)):.1e})")
            elif x.dtype.kind != "f" and not np.array_equal(x, y):
                problems.append(f"{a.name}:{k}: values differ")
    return problems


def check():
    """Regenerate into a temporary folder and compare with the committed files."""
    with tempfile.TemporaryDirectory() as tmp:
        problems = []
        for topic in TOPICS:
            fresh_v, fresh_h = Path(tmp, "v"), Path(tmp, "h")
            generate(fresh_v, fresh_h)
            for fresh, committed in ((fresh_v, VISIBLE_DIR), (fresh_h, HIDDEN_DIR)):
                target = committed / f"{topic}.npz"
                if not target.exists():
                    problems.append(f"{target} is missing")
                else:
                    problems += compare(fresh / f"{topic}.npz", target)
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
