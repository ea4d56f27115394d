"""FullyConnectedNet gradients and the Solver's behaviour."""
import numpy as np
import pytest

from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.gradient_check import eval_numerical_gradient, rel_error
from cs231n_lite.solver import Solver

rng = np.random.default_rng(1)
N, D, C = 6, 8, 4
X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "prelu"])
@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_net_gradients_match_numerical(activation, reg):
    net = FullyConnectedNet([7, 5], input_dim=D, num_classes=C, activation=activation,
                            weight_scale=0.5, bias_init=0.1, reg=reg, seed=0)
    loss, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    for name, param in net.params.items():
        numeric = eval_numerical_gradient(lambda _: net.loss(X, y)[0], param)
        assert rel_error(grads[name], numeric) < 1e-6, name


def test_initial_loss_is_log_classes_for_small_weights():
    net = FullyConnectedNet([20], input_dim=D, num_classes=C, weight_scale=1e-4, seed=0)
    assert net.loss(X, y)[0] == pytest.approx(np.log(C), rel=1e-3)
    assert net.loss(X).shape == (N, C)


def test_net_options_and_errors():
    net = FullyConnectedNet([], input_dim=D, num_classes=C, initializer=lambda i, o, r: np.ones((i, o)))
    assert net.num_layers == 1 and np.all(net.params["W1"] == 1) and net.num_parameters() == D * C + C
    with pytest.raises(ValueError, match="unknown layer"):
        FullyConnectedNet([3], activation="swish")
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([3], normalization="groupnorm")
    net = FullyConnectedNet([5], input_dim=D, num_classes=C, seed=0, activation="relu")
    h = net.hidden_activations(X)
    pre = net.hidden_activations(X, pre=True)
    np.testing.assert_allclose(h[0], np.maximum(pre[0], 0))


def toy_data(n=400, seed=0):
    r = np.random.default_rng(seed)
    centers = r.standard_normal((3, 10)) * 3
    labels = r.integers(0, 3, n)
    Xs = centers[labels] + r.standard_normal((n, 10))
    return {"X_train": Xs[:300], "y_train": labels[:300], "X_val": Xs[300:], "y_val": labels[300:]}


def test_solver_learns_and_records_histories():
    net = FullyConnectedNet([20], input_dim=10, num_classes=3, seed=0)
    solver = Solver(net, toy_data(), optim_config={"learning_rate": 0.1}, batch_size=30,
                    num_epochs=5, progress=False).train()
    assert len(solver.loss_history) == 50
    assert len(solver.val_acc_history) == 5 and solver.best_val_acc > 0.9
    assert solver.loss_history[-1] < solver.loss_history[0] / 4
    assert solver.stop_reason is None
    for k, v in solver.best_params.items():
        np.testing.assert_array_equal(net.params[k], v)


def test_solver_momentum_and_target_loss():
    net = FullyConnectedNet([20], input_dim=10, num_classes=3, seed=0)
    solver = Solver(net, toy_data(), update_rule="sgd_momentum", optim_config={"learning_rate": 0.05},
                    batch_size=30, num_iterations=500, target_loss=0.3, target_window=5,
                    progress=False).train()
    assert solver.reached_target_at is not None and solver.reached_target_at < 500
    assert len(solver.loss_history) == solver.reached_target_at
    assert np.mean(solver.loss_history[-5:]) < 0.3


def test_solver_stops_on_divergence_with_a_message(capsys):
    net = FullyConnectedNet([50], input_dim=10, num_classes=3, weight_scale=1.0, seed=0)
    solver = Solver(net, toy_data(), optim_config={"learning_rate": 50.0}, batch_size=30,
                    num_epochs=5, progress=False).train()
    assert solver.stop_reason is not None
    assert "exceeded 3x its initial value" in solver.stop_reason or "loss became" in solver.stop_reason
    assert len(solver.loss_history) < 50
    assert "Solver stopped" in capsys.readouterr().out


def test_solver_stops_on_nan(capsys):
    class NanModel:
        params = {"w": np.zeros(1)}

        def loss(self, X, y=None):
            return (float("nan"), {"w": np.zeros(1)}) if y is not None else np.zeros((len(X), 3))

    solver = Solver(NanModel(), toy_data(), num_iterations=10, progress=False).train()
    assert solver.stop_reason.startswith("loss became nan")
    assert len(solver.loss_history) == 1


def test_solver_rejects_bad_arguments():
    net = FullyConnectedNet([5], input_dim=10, num_classes=3)
    with pytest.raises(ValueError, match="update_rule"):
        Solver(net, toy_data(), update_rule="adamw")
    with pytest.raises(ValueError, match="X_val"):
        Solver(net, {"X_train": 1, "y_train": 1, "y_val": 1})
