"""A fully connected network of any depth, built from cs231n_lite.layers.

Architecture, for L - 1 hidden layers:

    {affine - [normalization] - activation - [dropout]} x (L - 1) - affine - softmax

Layers are looked up in ``cs231n_lite.layers`` by name when the network
runs, so the network always uses the student's current implementation.
"""
import inspect

import numpy as np

from .. import init, layers

NORMALIZATIONS = ("batchnorm", "layernorm")  # names of layer pairs in layers


def _layer_pair(name):
    """The (forward, backward) functions called ``name`` in layers."""
    try:
        return getattr(layers, name + "_forward"), getattr(layers, name + "_backward")
    except AttributeError:
        raise ValueError(
            f"unknown layer {name!r}: cs231n_lite.layers has no "
            f"{name}_forward/{name}_backward") from None


def _resolve_initializer(initializer):
    """A callable (fan_in, fan_out, rng) -> weights for ``initializer``.

    Accepts a callable, or a name ``xyz`` of ``cs231n_lite.init.xyz_init``.
    """
    if callable(initializer):
        return initializer
    fn = getattr(init, f"{initializer}_init", None)
    if fn is None:
        raise ValueError(f"unknown initializer {initializer!r}: use 'gaussian', "
                         "a callable, or the name of a cs231n_lite.init.*_init function")
    if "rng" not in inspect.signature(fn).parameters:       # zeros_init draws nothing
        return lambda fan_in, fan_out, rng: fn(fan_in, fan_out)
    return lambda fan_in, fan_out, rng: fn(fan_in, fan_out, rng=rng)


class FullyConnectedNet:
    """Fully connected classifier with a softmax loss and L2 regularization.

    Parameters live in ``self.params``: W1..WL (shapes (fan_in, fan_out)),
    b1..bL, and per hidden layer gamma_i/beta_i (normalization) and alpha_i
    (PReLU slopes).
    """

    def __init__(self, hidden_dims, input_dim=784, num_classes=10,
                 activation="relu", activation_kwargs=None,
                 initializer="gaussian", weight_scale=1e-2, bias_init=0.0,
                 normalization=None, reg=0.0, dtype=np.float64, seed=None,
                 dropout_keep_prob=None, dropout_seed=None, regularizer=None):
        """
        Inputs:
        - hidden_dims: list of hidden layer sizes (may be empty)
        - input_dim: number of input features D
        - num_classes: number of classes C
        - activation: name of a layer pair in layers ('relu', 'sigmoid',
          'tanh', 'leaky_relu', 'elu', 'prelu')
        - activation_kwargs: extra keyword arguments of the activation's
          forward (e.g. {'alpha': 0.1} for leaky_relu)
        - initializer: 'gaussian' (N(0, weight_scale**2)), a name of an
          initializer in cs231n_lite.init ('xavier', 'he', ...), or a
          callable (fan_in, fan_out, rng) -> array of shape (fan_in, fan_out)
        - weight_scale: std of the 'gaussian' initializer
        - bias_init: initial value of every hidden-layer bias (the output
          layer's biases start at 0)
        - normalization: None, 'batchnorm' or 'layernorm'
        - reg: L2 strength; the loss adds 0.5 * reg * sum(W ** 2)
        - dtype: float dtype of all parameters and computations
        - seed: seed of the Generator used for initialization
        - dropout_keep_prob: None (no dropout) or the keep probability of
          inverted dropout (layers.dropout_forward) after every hidden activation
        - dropout_seed: seed of the Generator the dropout masks are drawn from
        - regularizer: None (the built-in L2 above), or a callable
          (params, reg) -> (loss, grads) such as regularization.l2_penalty,
          whose loss is added to the data loss and grads to the gradients
        """
        if normalization not in (None, *NORMALIZATIONS):
            raise ValueError(f"normalization must be None, 'batchnorm' or 'layernorm', "
                             f"got {normalization!r}")
        self.activation = activation
        self.activation_kwargs = dict(activation_kwargs or {})
        self.normalization = normalization
        self.reg = reg
        self.dropout_keep_prob = dropout_keep_prob
        self.dropout_rng = np.random.default_rng(dropout_seed)
        self.regularizer = regularizer
        self.dtype = dtype
        self.num_layers = len(hidden_dims) + 1
        _layer_pair(activation)  # fail early on a misspelt name

        rng = np.random.default_rng(seed)
        if initializer == "gaussian":
            init = lambda fan_in, fan_out, rng: weight_scale * rng.standard_normal((fan_in, fan_out))
        else:
            init = _resolve_initializer(initializer)

        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[i - 1], dims[i]
            self.params[f"W{i}"] = np.asarray(init(fan_in, fan_out, rng), dtype=dtype)
            is_hidden = i < self.num_layers
            self.params[f"b{i}"] = np.full(fan_out, bias_init if is_hidden else 0.0, dtype=dtype)
            if is_hidden and normalization:
                self.params[f"gamma{i}"] = np.ones(fan_out, dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(fan_out, dtype=dtype)
            if is_hidden and activation == "prelu":
                self.params[f"alpha{i}"] = np.full(fan_out, 0.25, dtype=dtype)
        # running statistics of the normalization layers, one dict per layer
        self.norm_params = [{} for _ in range(self.num_layers - 1)]

    # ------------------------------------------------------------------
    def _forward(self, X, mode):
        """Scores, caches, and the (input, output) of every hidden activation."""
        act_forward, _ = _layer_pair(self.activation)
        h = X.astype(self.dtype, copy=False)
        caches, hidden = [], []
        for i in range(1, self.num_layers):
            p = self.params
            a, affine_cache = layers.affine_forward(h, p[f"W{i}"], p[f"b{i}"])
            norm_cache = None
            if self.normalization:
                norm_forward, _ = _layer_pair(self.normalization)
                norm_param = self.norm_params[i - 1]
                norm_param["mode"] = mode
                a, norm_cache = norm_forward(a, p[f"gamma{i}"], p[f"beta{i}"], norm_param)
            if self.activation == "prelu":
                h, act_cache = act_forward(a, p[f"alpha{i}"])
            else:
                h, act_cache = act_forward(a, **self.activation_kwargs)
            drop_cache = None
            if self.dropout_keep_prob is not None:
                h, drop_cache = layers.dropout_forward(
                    h, {"keep_prob": self.dropout_keep_prob, "mode": mode, "rng": self.dropout_rng})
            caches.append((affine_cache, norm_cache, act_cache, drop_cache))
            hidden.append((a, h))
        L = self.num_layers
        scores, out_cache = layers.affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])
        return scores, caches, out_cache, hidden

    def hidden_activations(self, X, pre=False):
        """Outputs of every hidden layer in test mode.

        Inputs:
        - X: shape (N, D)
        - pre: return the activation functions' inputs instead of outputs

        Returns:
        - list of L - 1 arrays, the i-th of shape (N, hidden_dims[i])
        """
        return [a if pre else h for a, h in self._forward(X, mode="test")[3]]

    def affine_output_variances(self, X):
        """Variance of every affine layer's output (before normalization/activation) on X.

        Inputs:
        - X: shape (N, D)

        Returns:
        - list of num_layers floats, one per affine layer (the last is the scores')
        """
        scores, _, _, hidden = self._forward(X, mode="test")
        return [float(np.var(a)) for a, _ in hidden] + [float(np.var(scores))]

    def loss(self, X, y=None):
        """Class scores, or the loss and the gradients of all parameters.

        Inputs:
        - X: shape (N, D)
        - y: integer labels, shape (N,), or None

        Returns:
        - if y is None: scores of shape (N, C), computed in test mode
        - else a tuple (loss, grads): the mean softmax loss plus the L2
          penalty, and a dict with the gradient of every entry of params
        """
        mode = "test" if y is None else "train"
        scores, caches, out_cache, _ = self._forward(X, mode)
        if y is None:
            return scores

        data_loss, dscores = layers.softmax_loss(scores, y)
        if self.regularizer is None:
            weights = [self.params[f"W{i}"] for i in range(1, self.num_layers + 1)]
            loss = data_loss + 0.5 * self.reg * sum(np.sum(w * w) for w in weights)
        else:
            reg_loss, reg_grads = self.regularizer(self.params, self.reg)
            loss = data_loss + reg_loss

        grads = {}
        L = self.num_layers
        dh, grads[f"W{L}"], grads[f"b{L}"] = layers.affine_backward(dscores, out_cache)
        _, act_backward = _layer_pair(self.activation)
        for i in range(L - 1, 0, -1):
            affine_cache, norm_cache, act_cache, drop_cache = caches[i - 1]
            if drop_cache is not None:
                dh = layers.dropout_backward(dh, drop_cache)
            if self.activation == "prelu":
                da, grads[f"alpha{i}"] = act_backward(dh, act_cache)
            else:
                da = act_backward(dh, act_cache)
            if self.normalization:
                _, norm_backward = _layer_pair(self.normalization)
                da, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(da, norm_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(da, affine_cache)
        if self.regularizer is None:
            for i in range(1, L + 1):
                grads[f"W{i}"] = grads[f"W{i}"] + self.reg * self.params[f"W{i}"]
        else:
            grads = {k: g + reg_grads[k] for k, g in grads.items()}
        return loss, grads

    def num_parameters(self):
        """Total number of learnable scalars."""
        return int(sum(v.size for v in self.params.values()))
