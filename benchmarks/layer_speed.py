"""Forward + backward time of each activation layer on a (1000, 500) batch."""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cs231n_lite import layers  # noqa: E402


def best_of(fn, repeats=20):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((1000, 500)), rng.standard_normal((1000, 500))
    cases = {"sigmoid": (x,), "tanh": (x,), "relu": (x,), "leaky_relu": (x,), "elu": (x,),
             "prelu": (x, np.full(500, 0.25))}
    print(f"{'layer':<12}{'forward ms':>12}{'backward ms':>13}")
    for name, args in cases.items():
        fwd, bwd = getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")
        _, cache = fwd(*args)
        print(f"{name:<12}{best_of(lambda: fwd(*args)) * 1e3:>12.2f}{best_of(lambda: bwd(dout, cache)) * 1e3:>13.2f}")
    w, b = rng.standard_normal((500, 100, 2)), rng.standard_normal((100, 2))
    _, cache = layers.maxout_forward(x, w, b)
    d = rng.standard_normal((1000, 100))
    print(f"{'maxout K=2':<12}{best_of(lambda: layers.maxout_forward(x, w, b), 5) * 1e3:>12.2f}"
          f"{best_of(lambda: layers.maxout_backward(d, cache), 5) * 1e3:>13.2f}")


if __name__ == "__main__":
    main()
