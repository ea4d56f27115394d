"""Bank entries of notebook 03 (cs231n_lite/init.py): initializers."""
from . import Bug, Correct

ZEROS = "    w = np.zeros((fan_in, fan_out))\n"
SMALL = "    w = std * rng.standard_normal((fan_in, fan_out))\n"
XAVIER = "    w = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)\n"
HE = "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)\n"
BOUND = "    bound = np.sqrt(6.0 / (fan_in + fan_out))\n"
UNIFORM = "    w = rng.uniform(-bound, bound, size=(fan_in, fan_out))\n"
LSUV_B = "            model.params[f\"b{i}\"] *= scale\n"
LSUV_LOOP = '''        for _ in range(max_iter):
            var = layer_output_variances(model, X)[i - 1]
            if abs(var - 1.0) < tol or var == 0.0:  # a dead layer cannot be rescaled
                break
            scale = 1.0 / np.sqrt(var)
            model.params[f"W{i}"] *= scale
            model.params[f"b{i}"] *= scale
'''

BUGS = [
    Bug("zeros_init", "(fan_out, fan_in)", ((ZEROS, "    w = np.zeros((fan_out, fan_in))\n"),), "you returned (fan_out, fan_in)"),
    Bug("zeros_init", "an integer array", ((ZEROS, "    w = np.zeros((fan_in, fan_out), dtype=int)\n"),), "an integer"),
    Bug("zeros_init", "ones", ((ZEROS, "    w = np.ones((fan_in, fan_out))\n"),), "np.ones instead of np.zeros"),
    Bug("small_random_init", "std ignored", ((SMALL, "    w = 0.01 * rng.standard_normal((fan_in, fan_out))\n"),),
        "the std argument was ignored"),
    Bug("small_random_init", "std as the variance", ((SMALL, "    w = np.sqrt(std) * rng.standard_normal((fan_in, fan_out))\n"),),
        "std was used as the variance"),
    Bug("small_random_init", "rng.random (all positive)", ((SMALL, "    w = std * rng.random((fan_in, fan_out))\n"),),
        "the weights are all positive"),
    Bug("small_random_init", "global np.random", ((SMALL, "    w = std * np.random.randn(fan_in, fan_out)\n"),),
        "instead of the rng argument"),
    Bug("xavier_init", "fan_out", ((XAVIER, "    w = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)\n"),),
        "you used fan_out"),
    Bug("xavier_init", "1 / fan_in as the std", ((XAVIER, "    w = rng.standard_normal((fan_in, fan_out)) / fan_in\n"),),
        "instead of sqrt(fan_in)"),
    Bug("xavier_init", "Glorot's variance", ((XAVIER, "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))\n"),),
        "Glorot's compromise"),
    Bug("xavier_init", "He's factor 2", ((XAVIER, "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)\n"),),
        "belongs to He init"),
    Bug("xavier_init", "uniform with the right variance",
        ((XAVIER, "    w = rng.uniform(-1.0, 1.0, (fan_in, fan_out)) * np.sqrt(3.0 / fan_in)\n"),), "not Gaussian"),
    Bug("he_init", "factor 2 missing", ((HE, "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)\n"),),
        "the factor 2 is missing"),
    Bug("he_init", "fan_out", ((HE, "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_out)\n"),),
        "you used fan_out"),
    Bug("he_init", "the variance as the std", ((HE, "    w = rng.standard_normal((fan_in, fan_out)) * 2.0 / fan_in\n"),),
        "which is the variance"),
    Bug("he_init", "2 / sqrt(fan_in)", ((HE, "    w = rng.standard_normal((fan_in, fan_out)) * 2.0 / np.sqrt(fan_in)\n"),),
        "2 / sqrt(fan_in)"),
    Bug("he_init", "(fan_out, fan_in)", ((HE, "    w = rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)\n"),),
        "you returned (fan_out, fan_in)"),
    Bug("glorot_uniform_init", "sqrt(2 / n) as the bound", ((BOUND, "    bound = np.sqrt(2.0 / (fan_in + fan_out))\n"),),
        "the bound is sqrt(2 / (fan_in + fan_out))"),
    Bug("glorot_uniform_init", "3 instead of 6", ((BOUND, "    bound = np.sqrt(3.0 / (fan_in + fan_out))\n"),),
        "3 instead of 6"),
    Bug("glorot_uniform_init", "fan_in only", ((BOUND, "    bound = np.sqrt(6.0 / fan_in)\n"),), "fan_in only"),
    Bug("glorot_uniform_init", "the 6 missing", ((BOUND, "    bound = np.sqrt(1.0 / (fan_in + fan_out))\n"),),
        "the 6 is missing"),
    Bug("glorot_uniform_init", "Gaussian", ((UNIFORM, "    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))\n"),),
        "look Gaussian"),
    Bug("glorot_uniform_init", "U(0, b)", ((UNIFORM, "    w = rng.uniform(0.0, bound, size=(fan_in, fan_out))\n"),),
        "all positive"),
    Bug("lsuv_init", "b not rescaled", ((LSUV_B, ""),), "b_i was not rescaled"),
    Bug("lsuv_init", "factor 1 / variance", (("            scale = 1.0 / np.sqrt(var)\n", "            scale = 1.0 / var\n"),),
        "a factor 1 / variance"),
    Bug("lsuv_init", "max_iter ignored (while loop)", (("        for _ in range(max_iter):\n", "        while True:\n"),),
        "max_iter was ignored"),
    Bug("lsuv_init", "every layer measured before any rescaling", ((LSUV_LOOP, '''        if i == 1:
            measured = layer_output_variances(model, X)
        scale = 1.0 / np.sqrt(measured[i - 1])
        model.params[f"W{i}"] *= scale
        model.params[f"b{i}"] *= scale
'''),), "not rescaled one after the other"),
]

CORRECT = [
    Correct("small_random_init", "rng.normal(0, std)", ((SMALL, "    w = rng.normal(0.0, std, size=(fan_in, fan_out))\n"),)),
    Correct("glorot_uniform_init", "rng.random scaled to [-b, b]",
            ((UNIFORM, "    w = (2.0 * rng.random((fan_in, fan_out)) - 1.0) * bound\n"),)),
    Correct("he_init", "rng.normal with scale", ((HE, "    w = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))\n"),)),
    Correct("lsuv_init", "one rescaling per layer, new arrays", ((LSUV_LOOP, '''        var = layer_output_variances(model, X)[i - 1]
        if max_iter > 0 and var > 0:
            model.params[f"W{i}"] = model.params[f"W{i}"] / np.sqrt(var)
            model.params[f"b{i}"] = model.params[f"b{i}"] / np.sqrt(var)
'''),)),
]
