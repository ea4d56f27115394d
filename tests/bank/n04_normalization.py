"""Bank entries of notebook 04 (cs231n_lite/normalization.py): batch, layer and spatial batch norm."""
from . import Bug, Correct

RUNNING = ('''        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
''')
INV_STD = "        inv_std = 1.0 / np.sqrt(var + eps)\n"
TEST_MODE = "        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta\n"
STAGED_DX = "    dx = dcentered + dmean / N\n"
ALT_DX = "    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)\n"
LN_STATS = "    mean = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)\n"
LN_DX = ('''    dx = (inv_std / D) * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
''')
SBN_FLAT = "    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)        # rows: (n, h, w), columns: channels\n"
SBN_BACK = "    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n"
SBN_CALL = "    out_flat, cache = batchnorm_forward(flat, gamma, beta, bn_param)\n"
SBNB_FLAT = "    flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)\n"
SBNB_BACK = "    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n"


def param_bugs(function, dbeta_line, dgamma_line):
    return [
        Bug(function, "dgamma not summed", ((dgamma_line, "    dgamma = dout * x_hat\n"),), "dgamma was not summed"),
        Bug(function, "dbeta averaged", ((dbeta_line, "    dbeta = dout.mean(axis=0)\n"),), "dbeta was averaged"),
        Bug(function, "dgamma and dbeta swapped", ((dbeta_line + dgamma_line,
                                                    "    dgamma = dout.sum(axis=0)\n    dbeta = (dout * x_hat).sum(axis=0)\n"),),
            "dgamma and dbeta are swapped"),
    ]


DBETA, DGAMMA = "    dbeta = dout.sum(axis=0)\n", "    dgamma = (dout * x_hat).sum(axis=0)\n"


BUGS = [
    Bug("batchnorm_forward", "unbiased variance", (("        var = x.var(axis=0)\n", "        var = x.var(axis=0, ddof=1)\n"),),
        "the unbiased one"),
    Bug("batchnorm_forward", "eps outside the root", ((INV_STD, "        inv_std = 1.0 / (np.sqrt(var) + eps)\n"),),
        "eps was added outside the square root"),
    Bug("batchnorm_forward", "eps ignored", ((INV_STD, "        inv_std = 1.0 / np.sqrt(var + 1e-5)\n"),),
        "bn_param['eps'] was ignored"),
    Bug("batchnorm_forward", "normalized over the features", (("        mean = x.mean(axis=0)\n        var = x.var(axis=0)\n",
                                                               "        mean = x.mean(axis=1, keepdims=True)\n"
                                                               "        var = x.var(axis=1, keepdims=True)\n"),),
        "over the wrong axis"),
    Bug("batchnorm_forward", "gamma and beta not applied", (("        out = gamma * x_hat + beta\n", "        out = x_hat\n"),),
        "gamma and beta were not applied"),
    Bug("batchnorm_forward", "momentum the wrong way round", ((RUNNING, RUNNING.replace(
        "momentum * running_mean + (1 - momentum) * mean", "(1 - momentum) * running_mean + momentum * mean").replace(
        "momentum * running_var + (1 - momentum) * var", "(1 - momentum) * running_var + momentum * var")),),
        "the wrong way round"),
    Bug("batchnorm_forward", "momentum ignored", ((RUNNING, RUNNING.replace("momentum", "0.9").replace("(1 - 0.9)", "0.1")),),
        "bn_param['momentum'] was ignored"),
    Bug("batchnorm_forward", "running statistics not stored", ((RUNNING, ""),), "not stored back"),
    Bug("batchnorm_forward", "running variance unbiased", ((RUNNING, RUNNING.replace(
        "(1 - momentum) * var\n", "(1 - momentum) * x.var(axis=0, ddof=1)\n")),), "averages the unbiased variance"),
    Bug("batchnorm_forward", "test mode with the batch statistics",
        ((TEST_MODE, "        out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta\n"),),
        "statistics of the test batch"),
    Bug("batchnorm_forward", "test mode without eps",
        ((TEST_MODE, "        out = gamma * (x - running_mean) / np.sqrt(running_var) + beta\n"),), "without eps"),
    Bug("batchnorm_forward", "std stored as inv_std",
        ((INV_STD + "        x_hat = (x - mean) * inv_std\n",
          "        inv_std = np.sqrt(var + eps)\n        x_hat = (x - mean) / inv_std\n"),), "not the std"),
    Bug("batchnorm_forward", "x added to the cache",
        (("        cache = (x_hat, gamma, inv_std)\n", "        cache = (x, x_hat, gamma, inv_std, eps)\n"),),
        "the cache was changed from the documented layout"),
    Bug("batchnorm_backward", "no path through the mean", ((STAGED_DX, "    dx = dcentered\n"),),
        "path through the batch mean is missing"),
    Bug("batchnorm_backward", "no path through the variance",
        (("    dcentered = dx_hat * inv_std + dvar * 2.0 * centered / N\n", "    dcentered = dx_hat * inv_std\n"),),
        "path through the batch variance is missing"),
    Bug("batchnorm_backward", "inv_std instead of inv_std ** 3",
        (("    dvar = dinv_std * -0.5 * inv_std ** 3           # d/dvar (var + eps)^(-1/2)\n",
          "    dvar = dinv_std * -0.5 * inv_std\n"),), "a power of inv_std is missing"),
    Bug("batchnorm_backward", "gamma missing",
        (("    dx_hat = dout * gamma\n    centered = x_hat / inv_std ", "    dx_hat = dout\n    centered = x_hat / inv_std "),),
        "gamma is missing"),
    Bug("batchnorm_backward", "dgamma not summed",
        (("    dgamma = (dout * x_hat).sum(axis=0)\n    dx_hat = dout * gamma\n    centered",
          "    dgamma = dout * x_hat\n    dx_hat = dout * gamma\n    centered"),), "dgamma was not summed"),
    Bug("batchnorm_backward_alt", "no mean term", ((ALT_DX, "    dx = (gamma * inv_std / N) * (N * dout - x_hat * dgamma)\n"),),
        "path through the batch mean is missing"),
    Bug("batchnorm_backward_alt", "no variance term", ((ALT_DX, "    dx = (gamma * inv_std / N) * (N * dout - dbeta)\n"),),
        "path through the batch variance is missing"),
    Bug("batchnorm_backward_alt", "1/N missing", ((ALT_DX, "    dx = (gamma * inv_std) * (N * dout - dbeta - x_hat * dgamma)\n"),),
        "the factor 1/N is missing"),
    Bug("batchnorm_backward_alt", "gamma missing", ((ALT_DX, "    dx = (inv_std / N) * (N * dout - dbeta - x_hat * dgamma)\n"),),
        "gamma is missing"),
    Bug("batchnorm_backward_alt", "dbeta averaged",
        ((ALT_DX, ALT_DX + "    dbeta = dbeta / N\n"),), "dbeta was averaged"),
    Bug("layernorm_forward", "statistics over the batch", ((LN_STATS, LN_STATS.replace("axis=1", "axis=0")),),
        "over the batch (axis 0)"),
    Bug("layernorm_forward", "keepdims missing", ((LN_STATS, "    mean = x.mean(axis=1)\n    var = x.var(axis=1)\n"),),
        "keepdims=True"),
    Bug("layernorm_forward", "eps ignored", (("    inv_std = 1.0 / np.sqrt(var + eps)\n    x_hat = (x - mean) * inv_std\n    out",
                                              "    inv_std = 1.0 / np.sqrt(var + 1e-5)\n    x_hat = (x - mean) * inv_std\n    out"),),
        "ln_param['eps'] was ignored"),
    Bug("layernorm_forward", "unbiased variance", ((LN_STATS, LN_STATS.replace("keepdims=True)\n", "keepdims=True, ddof=1)\n", 2)
                                                   .replace("x.mean(axis=1, keepdims=True, ddof=1)", "x.mean(axis=1, keepdims=True)")),),
        "D - 1"),
    Bug("layernorm_backward", "batch norm's formula", ((LN_DX, '''    dx = (inv_std / len(dout)) * (len(dout) * dx_hat - dx_hat.sum(axis=0)
                                  - x_hat * (dx_hat * x_hat).sum(axis=0))
'''),), "batch norm's formula"),
    Bug("layernorm_backward", "only the direct path", ((LN_DX, "    dx = dx_hat * inv_std\n"),), "only the direct path"),
    Bug("layernorm_backward", "gamma missing", (("    dx_hat = dout * gamma\n    dx = (inv_std / D)", "    dx_hat = dout\n    dx = (inv_std / D)"),),
        "gamma is missing"),
    Bug("layernorm_backward", "dgamma averaged", (("    dgamma = (dout * x_hat).sum(axis=0)\n    dx_hat = dout * gamma\n    dx = (inv_std",
                                                   "    dgamma = (dout * x_hat).mean(axis=0)\n    dx_hat = dout * gamma\n    dx = (inv_std"),),
        "dgamma was averaged"),
    Bug("spatial_batchnorm_forward", "no transpose before reshaping",
        ((SBN_FLAT, "    flat = x.reshape(-1, C)\n"), (SBN_BACK, "    out = out_flat.reshape(N, C, H, W)\n")),
        "without moving the channels last"),
    Bug("spatial_batchnorm_forward", "reshaped straight back", ((SBN_BACK, "    out = out_flat.reshape(N, C, H, W)\n"),),
        "reshaped straight back"),
    Bug("spatial_batchnorm_forward", "bn_param not passed on",
        ((SBN_CALL, "    out_flat, cache = batchnorm_forward(flat, gamma, beta, {\"mode\": bn_param[\"mode\"]})\n"),),
        "bn_param was not passed on"),
    Bug("spatial_batchnorm_forward", "statistics per position", ((SBN_FLAT + SBN_CALL + SBN_BACK, '''    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    out = gamma[:, None, None] * (x - mean) / np.sqrt(var + bn_param.get("eps", 1e-5)) + beta[:, None, None]
    cache = None
'''),), "per (C, H, W) position"),
    Bug("spatial_batchnorm_backward", "no transpose before reshaping",
        ((SBNB_FLAT, "    flat = dout.reshape(-1, C)\n"), (SBNB_BACK, "    dx = dx_flat.reshape(N, C, H, W)\n")),
        "without moving the channels last"),
    Bug("spatial_batchnorm_backward", "dx reshaped straight back", ((SBNB_BACK, "    dx = dx_flat.reshape(N, C, H, W)\n"),),
        "reshaped straight back"),
    Bug("spatial_batchnorm_backward", "dgamma averaged", ((SBNB_BACK, SBNB_BACK + "    dgamma = dgamma / (N * H * W)\n"),),
        "dgamma was averaged"),
]

CORRECT = [
    Correct("batchnorm_forward", "x_hat by division", ((INV_STD + "        x_hat = (x - mean) * inv_std\n",
                                                        "        std = np.sqrt(var + eps)\n        inv_std = 1.0 / std\n"
                                                        "        x_hat = (x - mean) / std\n"),)),
    Correct("batchnorm_backward", "the closed form in the staged function", (("    dx = dcentered + dmean / N\n",
                                                                              "    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)\n"),)),
    Correct("layernorm_backward", "through the transpose of batch norm's formula", ((LN_DX, '''    t_hat, t_d = x_hat.T, dx_hat.T
    dx = ((inv_std.T / D) * (D * t_d - t_d.sum(axis=0) - t_hat * (t_d * t_hat).sum(axis=0))).T
'''),)),
    Correct("spatial_batchnorm_forward", "np.moveaxis", ((SBN_FLAT, "    flat = np.moveaxis(x, 1, -1).reshape(-1, C)\n"),
                                                        (SBN_BACK, "    out = np.moveaxis(out_flat.reshape(N, H, W, C), -1, 1)\n"))),
    Correct("spatial_batchnorm_backward", "the staged backward", (("    dx_flat, dgamma, dbeta = batchnorm_backward_alt(flat, cache)\n",
                                                                   "    dx_flat, dgamma, dbeta = batchnorm_backward(flat, cache)\n"),)),
]
