"""Bank entries of notebook 01 (cs231n_lite/layers.py): activation layers."""
from . import Bug, Correct

SIGMOID = ('''    out = np.empty(np.shape(x), dtype=np.result_type(x, 1.0))
    positive = x >= 0
    # exp of a non-positive number never overflows: pick the form per sign
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
''')
MAXOUT_DZ = "    dz[n_idx, m_idx, winner] = dout\n"
ELU_DX = "    dx = np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0)))\n"
LEAKY_FORWARD = ("    out = np.where(x > 0, x, alpha * x)\n    ### END SOLUTION\n    cache = (x, alpha)\n"
                 "    return out, cache\n\n\ndef leaky_relu_backward")
PRELU_FORWARD = ("    out = np.where(x > 0, x, alpha * x)\n    ### END SOLUTION\n    cache = (x, alpha)\n"
                 "    return out, cache\n\n\ndef prelu_backward")


def leaky(new):
    return ((LEAKY_FORWARD, LEAKY_FORWARD.replace("    out = np.where(x > 0, x, alpha * x)\n", new)),)


def prelu(new):
    return ((PRELU_FORWARD, PRELU_FORWARD.replace("    out = np.where(x > 0, x, alpha * x)\n", new)),)


BUGS = [
    # sigmoid_forward
    Bug("sigmoid_forward", "naive 1 / (1 + exp(-x)), overflow warning at -1000",
        ((SIGMOID, "    out = 1.0 / (1.0 + np.exp(-x))\n"),), "exponentiates a large positive number"),
    Bug("sigmoid_forward", "sign of the exponent flipped everywhere",
        ((SIGMOID, "    out = 1.0 / (1.0 + np.exp(x))\n"),), "the sign of the exponent is flipped"),
    Bug("sigmoid_forward", "sign flipped in the x >= 0 branch",
        (("    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))\n",
          "    out[positive] = 1.0 / (1.0 + np.exp(x[positive]))\n"),), "flipped for x >= 0"),
    Bug("sigmoid_forward", "x < 0 branch written 1 / (1 + exp(x))",
        (("    out[~positive] = exp_x / (1.0 + exp_x)\n", "    out[~positive] = 1.0 / (1.0 + exp_x)\n"),),
        "for x < 0 the stable form is exp(x) / (1 + exp(x))"),
    Bug("sigmoid_forward", "always float64 (float32 input not kept)",
        (("    out = np.empty(np.shape(x), dtype=np.result_type(x, 1.0))\n", "    out = np.empty(np.shape(x))\n"),),
        "keep the input's dtype"),
    Bug("sigmoid_forward", "cache items swapped",
        (("    cache = (x, out)\n    return out, cache\n\n\ndef sigmoid_backward",
          "    cache = (out, x)\n    return out, cache\n\n\ndef sigmoid_backward"),),
        "the items are in another order"),
    # sigmoid_backward
    Bug("sigmoid_backward", "local gradient from x", (("    dx = dout * out * (1.0 - out)\n",
                                                       "    dx = dout * x * (1.0 - x)\n"),),
        "computed from x instead of sigmoid(x)"),
    Bug("sigmoid_backward", "dout not multiplied", (("    dx = dout * out * (1.0 - out)\n", "    dx = out * (1.0 - out)\n"),),
        "dout was not multiplied in"),
    Bug("sigmoid_backward", "factor (1 - out) missing", (("    dx = dout * out * (1.0 - out)\n", "    dx = dout * out\n"),),
        "without the factor (1 - sigmoid(x))"),
    Bug("sigmoid_backward", "tanh's derivative", (("    dx = dout * out * (1.0 - out)\n", "    dx = dout * (1.0 - out ** 2)\n"),),
        "derivative of tanh"),
    Bug("sigmoid_backward", "sigmoid applied again to out",
        (("    dx = dout * out * (1.0 - out)\n", "    s = 1.0 / (1.0 + np.exp(-out))\n    dx = dout * s * (1.0 - s)\n"),),
        "sigmoid was applied again to out"),
    # tanh_forward
    Bug("tanh_forward", "the sigmoid instead", (("    out = np.tanh(x)\n", "    out = 1.0 / (1.0 + np.exp(-x))\n"),),
        "that is the sigmoid"),
    Bug("tanh_forward", "2 * sigmoid(2x) without - 1", (("    out = np.tanh(x)\n", "    out = 2.0 / (1.0 + np.exp(-2.0 * x))\n"),),
        "the - 1 is missing"),
    # tanh_backward
    Bug("tanh_backward", "1 - x**2", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = dout * (1.0 - x ** 2)\n"),),
        "you used 1 - x**2"),
    Bug("tanh_backward", "tanh applied twice", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = dout * (1.0 - np.tanh(out) ** 2)\n"),),
        "tanh was applied twice"),
    Bug("tanh_backward", "dout not multiplied", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = 1.0 - out ** 2\n"),),
        "dout was not multiplied in"),
    Bug("tanh_backward", "square missing", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = dout * (1.0 - out)\n"),),
        "the square is missing"),
    Bug("tanh_backward", "the sigmoid's derivative", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = dout * out * (1.0 - out)\n"),),
        "the sigmoid's derivative"),
    # relu_forward
    Bug("relu_forward", "min instead of max", (("    out = np.maximum(0, x)\n", "    out = np.minimum(0, x)\n"),),
        "the comparison is inverted"),
    Bug("relu_forward", "|x|", (("    out = np.maximum(0, x)\n", "    out = np.abs(x)\n"),), "not |x|"),
    Bug("relu_forward", "the boolean mask returned", (("    out = np.maximum(0, x)\n", "    out = x > 0\n"),),
        "you returned the mask x > 0"),
    Bug("relu_forward", "in place on the input", (("    out = np.maximum(0, x)\n", "    out = x\n    out[out < 0] = 0\n"),),
        "an in-place operation on an input"),
    Bug("relu_forward", "a leaky slope on the negative side",
        (("    out = np.maximum(0, x)\n", "    out = np.maximum(0.01 * x, x)\n"),), "a leaky ReLU"),
    # relu_backward
    Bug("relu_backward", "gradient at x == 0", (("    dx = dout * (x > 0)\n", "    dx = dout * (x >= 0)\n"),),
        "passes through where x == 0"),
    Bug("relu_backward", "gradient on the negative side", (("    dx = dout * (x > 0)\n", "    dx = dout * (x < 0)\n"),),
        "passes where x < 0"),
    Bug("relu_backward", "the mask without dout", (("    dx = dout * (x > 0)\n", "    dx = (x > 0) * 1.0\n"),),
        "without multiplying by the upstream gradient"),
    Bug("relu_backward", "dout times relu(x)", (("    dx = dout * (x > 0)\n", "    dx = dout * np.maximum(0, x)\n"),),
        "multiplied dout by relu(x)"),
    Bug("relu_backward", "dout zeroed in place", (("    dx = dout * (x > 0)\n", "    dout[x <= 0] = 0\n    dx = dout\n"),),
        "an in-place operation on an input"),
    # leaky_relu_forward
    Bug("leaky_relu_forward", "alpha on the positive side", leaky("    out = np.where(x > 0, alpha * x, x)\n"),
        "alpha was applied on the positive side"),
    Bug("leaky_relu_forward", "negative side alpha, not alpha * x", leaky("    out = np.where(x > 0, x, alpha)\n"),
        "set to alpha instead of alpha * x"),
    Bug("leaky_relu_forward", "alpha argument ignored", leaky("    out = np.where(x > 0, x, 0.01 * x)\n"),
        "the alpha argument was ignored"),
    Bug("leaky_relu_forward", "a plain ReLU", leaky("    out = np.maximum(0, x)\n"), "as in a plain ReLU"),
    # leaky_relu_backward
    Bug("leaky_relu_backward", "alpha on the positive side", (("    dx = np.where(x > 0, dout, alpha * dout)\n",
                                                              "    dx = np.where(x > 0, alpha * dout, dout)\n"),),
        "alpha was applied on the positive side"),
    Bug("leaky_relu_backward", "no gradient on the negative side", (("    dx = np.where(x > 0, dout, alpha * dout)\n",
                                                                    "    dx = np.where(x > 0, dout, 0.0)\n"),),
        "got no gradient at all"),
    Bug("leaky_relu_backward", "slope 1 at x == 0", (("    dx = np.where(x > 0, dout, alpha * dout)\n",
                                                     "    dx = np.where(x >= 0, dout, alpha * dout)\n"),),
        "at x == 0 the slope is alpha"),
    Bug("leaky_relu_backward", "the cache's alpha ignored", (("    dx = np.where(x > 0, dout, alpha * dout)\n",
                                                             "    dx = np.where(x > 0, dout, 0.01 * dout)\n"),),
        "the cache's alpha was ignored"),
    # prelu_forward
    Bug("prelu_forward", "alpha on the positive side", prelu("    out = np.where(x > 0, alpha * x, x)\n"),
        "alpha was applied on the positive side"),
    Bug("prelu_forward", "negative side 0", prelu("    out = np.where(x > 0, x, 0.0)\n"), "as in a plain ReLU"),
    # prelu_backward
    Bug("prelu_backward", "dalpha not summed", (("    dalpha = (dout * x * negative).sum(axis=0)\n",
                                                 "    dalpha = dout * x * negative\n"),), "dalpha was not summed"),
    Bug("prelu_backward", "dalpha averaged", (("    dalpha = (dout * x * negative).sum(axis=0)\n",
                                               "    dalpha = (dout * x * negative).mean(axis=0)\n"),), "dalpha was averaged"),
    Bug("prelu_backward", "dalpha where x > 0 too", (("    dalpha = (dout * x * negative).sum(axis=0)\n",
                                                      "    dalpha = (dout * x).sum(axis=0)\n"),), "also collected gradient"),
    Bug("prelu_backward", "dalpha without dout", (("    dalpha = (dout * x * negative).sum(axis=0)\n",
                                                   "    dalpha = (x * negative).sum(axis=0)\n"),), "lacks the upstream gradient"),
    Bug("prelu_backward", "slope 1 at x == 0", (("    negative = x <= 0\n", "    negative = x < 0\n"),),
        "at x == 0 the slope is alpha"),
    # elu_forward
    Bug("elu_forward", "alpha missing", (("    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
                                          "    out = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))\n"),),
        "alpha is missing"),
    Bug("elu_forward", "- 1 missing", (("    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
                                        "    out = np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))\n"),),
        "the '- 1' is missing"),
    Bug("elu_forward", "alpha * exp(x) - 1", (("    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
                                               "    out = np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1)\n"),),
        "alpha multiplies exp(x) only"),
    # elu_backward
    Bug("elu_backward", "alpha * exp(x) on the positive side too",
        ((ELU_DX, "    dx = dout * alpha * np.exp(np.minimum(x, 50))\n"),), "on the positive side too"),
    Bug("elu_backward", "alpha missing", ((ELU_DX, "    dx = np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0)))\n"),),
        "alpha is missing on the negative side"),
    Bug("elu_backward", "slope 1 at x == 0",
        ((ELU_DX, "    dx = np.where(x >= 0, dout, dout * alpha * np.exp(np.minimum(x, 0)))\n"),), "at x == 0 the slope is"),
    Bug("elu_backward", "the - 1 kept in the derivative",
        ((ELU_DX, "    dx = np.where(x > 0, dout, dout * alpha * np.expm1(np.minimum(x, 0)))\n"),), "the - 1 of the forward"),
    # maxout_forward
    Bug("maxout_forward", "pieces summed", (("    out = z.max(axis=2)\n", "    out = z.sum(axis=2)\n"),),
        "summed instead of taking their max"),
    Bug("maxout_forward", "bias left out", (('    z = np.einsum("nd,dmk->nmk", x, w) + b\n',
                                            '    z = np.einsum("nd,dmk->nmk", x, w)\n'),), "the bias b was left out"),
    Bug("maxout_forward", "max over the outputs", (("    out = z.max(axis=2)\n", "    out = z.max(axis=1)\n"),),
        "over the M outputs"),
    Bug("maxout_forward", "z in the cache without the bias",
        (('    z = np.einsum("nd,dmk->nmk", x, w) + b\n    out = z.max(axis=2)\n',
          '    z = np.einsum("nd,dmk->nmk", x, w)\n    out = (z + b).max(axis=2)\n'),), "the cache's z"),
    # maxout_backward
    Bug("maxout_backward", "gradient to every piece",
        ((MAXOUT_DZ, "    dz[...] = dout[:, :, None]\n"),), "the gradient went to every piece"),
    Bug("maxout_backward", "gradient to every tied piece",
        ((MAXOUT_DZ, "    dz = (z == z.max(axis=2, keepdims=True)) * dout[:, :, None]\n"),), "every tied piece"),
    Bug("maxout_backward", "gradient to the last tied piece",
        (("    winner = z.argmax(axis=2)                     # (N, M)\n",
          "    winner = z.shape[2] - 1 - z[:, :, ::-1].argmax(axis=2)\n"),), "the last of them"),
    Bug("maxout_backward", "db not summed over the batch",
        (("    db = dz.sum(axis=0)\n", "    db = dz\n"),), "db was not summed over the batch"),
]

CORRECT = [
    Correct("sigmoid_forward", "exp(-|x|) in both branches",
            ((SIGMOID, "    z = np.exp(-np.abs(x))\n    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))\n"),)),
    Correct("sigmoid_forward", "the tanh identity", ((SIGMOID, "    out = 0.5 * (1.0 + np.tanh(0.5 * x))\n"),)),
    Correct("sigmoid_forward", "naive form on a clipped input",
            ((SIGMOID, "    out = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))\n"),)),
    Correct("sigmoid_backward", "out - out**2", (("    dx = dout * out * (1.0 - out)\n", "    dx = dout * (out - out ** 2)\n"),)),
    Correct("tanh_backward", "1 / cosh(x)**2", (("    dx = dout * (1.0 - out ** 2)\n", "    dx = dout / np.cosh(x) ** 2\n"),)),
    Correct("tanh_forward", "2 * sigmoid(2x) - 1", (("    out = np.tanh(x)\n", "    out = 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0\n"),)),
    Correct("relu_forward", "x * (x > 0)", (("    out = np.maximum(0, x)\n", "    out = x * (x > 0)\n"),)),
    Correct("relu_backward", "np.where", (("    dx = dout * (x > 0)\n", "    dx = np.where(x > 0, dout, 0.0)\n"),)),
    Correct("leaky_relu_forward", "np.maximum(alpha * x, x)", leaky("    out = np.maximum(alpha * x, x)\n")),
    Correct("prelu_backward", "np.where for dalpha", (("    dalpha = (dout * x * negative).sum(axis=0)\n",
                                                       "    dalpha = np.where(negative, dout * x, 0.0).sum(axis=0)\n"),)),
    Correct("elu_forward", "naive exp (warns on huge x, right values)",
            (("    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
              "    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))\n"),)),
    Correct("maxout_forward", "a loop over the pieces",
            (('    z = np.einsum("nd,dmk->nmk", x, w) + b\n',
              '    z = np.stack([x @ w[:, :, k] + b[:, k] for k in range(w.shape[2])], axis=2)\n'),)),
    Correct("maxout_backward", "one-hot of argmax through np.eye",
            ((MAXOUT_DZ, "    dz = np.eye(z.shape[2])[winner] * dout[:, :, None]\n"),)),
]
