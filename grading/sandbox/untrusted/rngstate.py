"""The global np.random state, watched on both sides of the boundary.

A student's function may draw from numpy's global generator; the grader
and the worker each hold a copy of that state, and it travels with a call
only when it moved (2.5 kB each way otherwise, thousands of times a
submission).
"""
import ctypes

import numpy as np


def same_global_state(a, b):
    """Whether two np.random.get_state() tuples are the same state."""
    return a[0] == b[0] and a[2] == b[2] and np.array_equal(a[1], b[1]) and a[3:] == b[3:]


class GlobalStateWatch:
    """Whether numpy's global np.random state moved since it was marked, in ~1 us.

    get_state() costs ~30 us and both sides asked for it several times per
    call: thousands of calls a submission. The MT19937 key and position
    are read in place instead (the bit generator's ctypes state address).
    A cached legacy Gaussian (has_gauss) lives outside them and can be
    used up without moving them, so while one is cached, or when the bit
    generator was replaced, the full states are compared.
    """

    def __init__(self):
        self.state = None          # the marked get_state() tuple
        self._bitgen = self._view = self._print = None

    def _fingerprint(self):
        bitgen = np.random.get_bit_generator()
        if type(bitgen).__name__ != "MT19937":
            return None
        if bitgen is not self._bitgen:
            words = (ctypes.c_uint32 * 625).from_address(bitgen.ctypes.state_address)  # key[624], pos
            self._bitgen, self._view = bitgen, np.ctypeslib.as_array(words)
        return self._view.tobytes()

    def mark(self, state=None):
        """Remember the current global state (``state``: it, if the caller holds it already)."""
        self.state = np.random.get_state() if state is None else state
        self._print = self._fingerprint()

    def moved(self):
        """Whether the global state differs from the marked one (True if none was marked)."""
        if self.state is None:
            return True
        now = self._fingerprint()
        if now is None or self._print is None or now != self._print:
            return True
        return bool(self.state[3]) and not same_global_state(self.state, np.random.get_state())
