"""Hidden inputs: per student, computed at grading time; visible fixtures checked with tolerances."""
import hashlib
import importlib
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite.selfcheck import REGISTRY, fixtures
from cs231n_lite.selfcheck.fixtures import hidden_seed, install_hidden, load
from grading.judge import make_fixtures
from grading.judge.hidden import HiddenSource, new_secret, read_secret, write_secret

SECRET = b"course-secret"
# one function per topic and the input arrays its test feeds the function under test
INPUTS = [("activations", "relu_forward", ("x",)),
          ("activations", "maxout_backward", ("x", "w", "b", "dout")),
          ("normalization", "batchnorm_forward", ("x1", "x2", "x3", "x_test")),
          ("normalization", "spatial_batchnorm_backward", ("x", "dout")),
          ("preprocessing", "fit_pca", ("X",))]


@pytest.fixture
def installed():
    """install(source) for the duration of one test; the session's source comes back after."""
    previous = install_hidden(None)
    yield install_hidden
    install_hidden(previous)


def reference(spec):
    return getattr(importlib.import_module("cs231n_lite." + spec.module), spec.name)


# --------------------------------------------------------------------------
# seeds and inputs per student
@pytest.mark.parametrize("topic,function,keys", INPUTS)
def test_two_students_get_different_inputs(topic, function, keys):
    alice = HiddenSource(SECRET, "alice").fields(topic, function)
    bob = HiddenSource(SECRET, "bob").fields(topic, function)
    for key in keys:
        assert alice[key].shape == bob[key].shape
        assert not np.allclose(alice[key], bob[key]), key


@pytest.mark.parametrize("topic,function,keys", INPUTS)
def test_same_student_gets_identical_inputs_again(topic, function, keys):
    first = HiddenSource(SECRET, "alice").fields(topic, function)
    again = HiddenSource(SECRET, "alice").fields(topic, function)    # a new grading run
    assert sorted(first) == sorted(again)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])


def test_another_course_secret_gives_other_inputs():
    ours = HiddenSource(SECRET, "alice").fields("activations", "relu_forward")["x"]
    theirs = HiddenSource(b"another-course", "alice").fields("activations", "relu_forward")["x"]
    assert not np.allclose(ours, theirs)


def test_seed_is_the_documented_hash():
    source = HiddenSource(SECRET, "alice")
    digest = hashlib.sha256(SECRET + b"\0alice\0relu_forward").digest()
    assert source.seed("relu_forward") == int.from_bytes(digest[:8], "big") & (2 ** 63 - 1)


def test_seeds_differ_per_function_and_per_student():
    alice, bob = HiddenSource(SECRET, "alice"), HiddenSource(SECRET, "bob")
    seeds = {alice.seed(name) for name in REGISTRY} | {bob.seed(name) for name in REGISTRY}
    assert len(seeds) == 2 * len(REGISTRY)
    assert all(0 <= s < 2 ** 63 for s in seeds)


def test_fields_are_the_hidden_build_with_the_functions_seed():
    source = HiddenSource(SECRET, "alice")
    built = make_fixtures.build("activations", "hidden", source.seed("prelu_backward"))
    fields = source.fields("activations", "prelu_backward")
    assert sorted(fields) == sorted(k.split("/")[1] for k in built if k.startswith("prelu_backward/"))
    for key, value in fields.items():
        np.testing.assert_array_equal(value, built["prelu_backward/" + key])


@pytest.mark.parametrize("topic", sorted(make_fixtures.TOPICS))
def test_building_one_function_gives_its_fields_of_the_whole_build(topic):
    # the grader builds one function's hidden case (the others' numerical gradients are skipped)
    full = make_fixtures.build(topic, "hidden", SWEEP[1])
    for function in sorted({k.split("/", 1)[0] for k in full}):
        alone = make_fixtures.build(topic, "hidden", SWEEP[1], only=function)
        assert sorted(alone) == sorted(k for k in full if k.startswith(function + "/"))
        for key, value in alone.items():
            np.testing.assert_array_equal(value, full[key], err_msg=key)


def test_fields_are_copies_and_builds_are_cached():
    source = HiddenSource(SECRET, "alice")
    x = source.fields("activations", "relu_forward")["x"]
    x[...] = 0.0
    assert np.any(source.fields("activations", "relu_forward")["x"] != 0.0)
    assert len(source._built) == 1        # the topic was built once for that function's seed


@pytest.mark.parametrize("topic,function,phrase", [
    ("optimizers", "relu_forward", "unknown fixture topic 'optimizers'"),
    ("activations", "batchnorm_forward", "has no hidden fixture for 'batchnorm_forward'"),
])
def test_unknown_topic_or_function_is_a_clear_error(topic, function, phrase):
    with pytest.raises(ValueError, match=phrase):
        HiddenSource(SECRET, "alice").fields(topic, function)


def test_repr_does_not_show_the_secret():
    assert "course-secret" not in repr(HiddenSource(SECRET, "alice"))


# --------------------------------------------------------------------------
# the student package's side: cs231n_lite.selfcheck.fixtures
def test_hidden_load_without_a_source_is_a_clear_error(installed, monkeypatch):
    installed(None)
    # the variable of the former file-based design must not help either
    monkeypatch.setenv("CS231N_LITE_HIDDEN_FIXTURES", os.getcwd())
    with pytest.raises(RuntimeError, match="hidden tests run only in the grader"):
        load("activations", "relu_forward", "hidden")
    with pytest.raises(RuntimeError, match="hidden tests run only in the grader"):
        hidden_seed("he_init")
    assert load("activations", "relu_forward")["x"].shape == (4, 5)   # visible still works


def test_the_package_does_not_know_where_hidden_material_is():
    source = Path(fixtures.__file__).read_text()
    assert "environ" not in source and "hidden_fixtures" not in source


def test_install_returns_the_previous_source(installed):
    alice, bob = HiddenSource(SECRET, "alice"), HiddenSource(SECRET, "bob")
    assert installed(alice) is None
    assert installed(bob) is alice
    assert installed(None) is bob


def test_load_hidden_comes_from_the_installed_source(installed):
    alice = HiddenSource(SECRET, "alice")
    installed(alice)
    got = load("normalization", "batchnorm_forward", "hidden")
    expected = alice.fields("normalization", "batchnorm_forward")
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])
    got["x1"][...] = 0.0                                              # callers get copies
    assert np.any(load("normalization", "batchnorm_forward", "hidden")["x1"] != 0.0)
    assert hidden_seed("he_init") == alice.seed("he_init")


def test_bad_case_is_rejected():
    with pytest.raises(ValueError, match="case must be"):
        load("activations", "relu_forward", "secret")


@pytest.mark.parametrize("student", ["alice", "bob", "carol"])
def test_reference_passes_every_hidden_test(installed, student):
    installed(HiddenSource(SECRET, student))
    assert len(REGISTRY) >= 39     # every registered function, whatever later notebooks add
    for name, spec in REGISTRY.items():
        spec.test(reference(spec), case="hidden")


# --------------------------------------------------------------------------
# the builders' hidden regime holds for any seed
SWEEP = [HiddenSource(b"sweep", f"student{i}").seed("any") for i in range(25)]
WITH_BACKWARD = {"activations", "normalization", "optimization"}   # dropout_backward


@pytest.mark.parametrize("topic", sorted(make_fixtures.TOPICS))
def test_hidden_regime_builds_for_many_seeds(topic):
    for seed in SWEEP:
        fx = make_fixtures.build(topic, "hidden", seed)     # raises if a gradient check fails
        errors = make_fixtures.numeric_errors(fx)
        assert all(e <= make_fixtures.NUMERIC_SANITY["hidden"] for e in errors.values())
        # every backward pass has its numerical gradient; topics without one have none
        assert bool(errors) == (topic in WITH_BACKWARD)


def test_seeds_that_broke_earlier_hidden_regimes(installed):
    # a near-tie between two Maxout pieces (numerical gradient across the kink)
    make_fixtures.build("activations", "hidden", 1067)
    # spatial batchnorm's centered differences 1.7e-7 from the exact gradient (rounding noise)
    make_fixtures.build("normalization", "hidden", 7560277257062324499)
    # float32 batchnorm: feature 1 at 0.5 lost too many digits for the test's float32 check
    installed(HiddenSource(b"ref-sweep", "s263"))
    spec = REGISTRY["batchnorm_forward"]
    spec.test(reference(spec), case="hidden")


def test_gradient_sanity_check_catches_a_wrong_reference():
    fx = make_fixtures.build("normalization", "hidden", SWEEP[0])
    fx["layernorm_backward/dx"] = fx["layernorm_backward/dx"] * 1.001
    with pytest.raises(AssertionError, match="layernorm_backward/dx"):
        make_fixtures.check_numeric(fx, make_fixtures.NUMERIC_SANITY["hidden"])


def test_maxout_inputs_have_no_near_tie():
    for seed in SWEEP:
        f = make_fixtures.build("activations", "hidden", seed)
        x, w, b = f["maxout_backward/x"], f["maxout_backward/w"], f["maxout_backward/b"]
        top2 = np.sort(np.einsum("nd,dmk->nmk", x, w) + b, axis=2)[..., -2:]
        assert np.min(top2[..., 1] - top2[..., 0]) > make_fixtures.MAXOUT_MIN_GAP


def test_hidden_regime_differs_from_visible():
    visible = make_fixtures.build("activations", "visible", 231)
    hidden = make_fixtures.build("activations", "hidden", 231)
    assert visible["relu_forward/x"].shape != hidden["relu_forward/x"].shape
    assert visible["elu_forward/x"].max() < 100 < hidden["elu_forward/x"].max()   # a naive exp overflows


# --------------------------------------------------------------------------
# the visible fixtures: written, and checked with tolerances
def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.fixture
def base():
    rng = np.random.default_rng(0)
    return {"f/dx_num": rng.standard_normal((4, 5)), "f/x": rng.standard_normal((4, 5)),
            "f/dx_mask": rng.random((4, 5)) > 0.3, "f/k": np.array(3)}


@pytest.mark.parametrize("key,relative,flagged", [
    ("f/dx_num", 1e-11, False),     # a numerical gradient: last bits of exp magnified ~1e5 times
    ("f/x", 1e-13, False),          # an input or reference output: last bits only
    ("f/dx_num", 1e-6, True),
    ("f/x", 1e-6, True),
])
def test_compare_tolerances(tmp_path, base, key, relative, flagged):
    perturbed = dict(base)
    perturbed[key] = base[key] * (1 + relative)
    a, b = _write(tmp_path / "a.npz", **base), _write(tmp_path / "b.npz", **perturbed)
    problems = make_fixtures.compare(a, b)
    assert bool(problems) == flagged, problems
    if flagged:
        assert problems[0].startswith(f"a.npz:{key}: values differ")


def test_compare_flags_non_float_shape_and_key_changes(tmp_path, base):
    a = _write(tmp_path / "a.npz", **base)
    mask = base["f/dx_mask"].copy()
    mask[0, 0] = not mask[0, 0]
    assert make_fixtures.compare(a, _write(tmp_path / "b.npz", **{**base, "f/dx_mask": mask})) == \
        ["a.npz:f/dx_mask: values differ"]
    assert "(4, 5)/float64 vs (5, 4)/float64" in \
        make_fixtures.compare(a, _write(tmp_path / "c.npz", **{**base, "f/x": base["f/x"].T}))[0]
    missing = {k: v for k, v in base.items() if k != "f/k"}
    d = _write(tmp_path / "d.npz", **missing)
    assert make_fixtures.compare(a, d) == ["a.npz: key f/k only in one file"]


def test_whitened_fields_get_their_own_tolerance(tmp_path):
    w = np.random.default_rng(1).standard_normal((6, 6)) * 300
    a = _write(tmp_path / "a.npz", **{"fit_whitening/W_pca": w})
    near = _write(tmp_path / "b.npz", **{"fit_whitening/W_pca": w * (1 + 5e-9)})    # seen: 2e-9
    far = _write(tmp_path / "c.npz", **{"fit_whitening/W_pca": w * (1 + 1e-6)})
    assert make_fixtures.compare(a, near) == []
    assert len(make_fixtures.compare(a, far)) == 1


def test_committed_visible_fixtures_pass_the_check():
    assert make_fixtures.check() == []


def test_check_flags_a_stale_committed_fixture(tmp_path):
    stale = tmp_path / "fixtures"
    shutil.copytree(make_fixtures.VISIBLE_DIR, stale)
    with np.load(stale / "normalization.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["batchnorm_forward/out1"] = arrays["batchnorm_forward/out1"] * (1 + 1e-6)
    np.savez_compressed(stale / "normalization.npz", **arrays)
    (stale / "preprocessing.npz").unlink()
    problems = make_fixtures.check(stale)
    assert len(problems) == 2
    assert problems[0].startswith("normalization.npz:batchnorm_forward/out1: values differ")
    assert problems[1].endswith("preprocessing.npz is missing")


def test_generate_writes_only_visible_fixtures(tmp_path):
    paths = make_fixtures.generate(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{topic}.npz" for topic in make_fixtures.TOPICS)
    assert {"activations.npz", "normalization.npz", "preprocessing.npz"} <= {p.name for p in paths}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    with np.load(tmp_path / "activations.npz") as f:
        assert f["elu_forward/x"].max() < 100               # the hidden regime's extreme input is not there


# --------------------------------------------------------------------------
# the course secret
def test_secret_round_trip_is_private_hex(tmp_path):
    path = tmp_path / "course_secret"
    secret = write_secret(path)
    assert len(secret) == 32 and read_secret(path) == secret
    assert path.read_text().strip() == secret.hex()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_secret_never_overwrites(tmp_path):
    path = tmp_path / "course_secret"
    secret = write_secret(path)
    with pytest.raises(FileExistsError):
        write_secret(path)
    assert read_secret(path) == secret


def test_new_secrets_differ_and_bad_files_are_refused(tmp_path):
    assert new_secret() != new_secret()
    (tmp_path / "bad").write_text("not hex\n")
    with pytest.raises(ValueError, match="hex course secret"):
        read_secret(tmp_path / "bad")
