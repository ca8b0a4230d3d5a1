"""Counter-based random numbers, bit-for-bit the recipe of src/numeric/rng.ts, vectorised over
counters (and over several streams at once) with uint32 NumPy arithmetic."""

import numpy as np

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)


def mix32(x):
    """The lowbias32 finaliser on uint32 arrays (multiplication wraps mod 2**32, as Math.imul)."""
    x = np.asarray(x, dtype=np.uint32)
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint32(16))
        x = x * _M1
        x = x ^ (x >> np.uint32(15))
        x = x * _M2
        return x ^ (x >> np.uint32(16))


def stream_key(seed, *ids):
    k = mix32(np.uint32(seed & 0xFFFFFFFF))
    for i in ids:
        k = mix32(k ^ mix32(np.uint32(int(i) & 0xFFFFFFFF)))
    return int(k)


class Stream:
    """One stream: value k is a pure function of (key, k); draws advance a counter like rng.ts."""

    def __init__(self, key):
        self.key = np.uint32(key)
        self.counter = 0

    def _words(self, counters):
        return mix32(self.key ^ mix32(counters.astype(np.uint32)))

    def uniforms(self, count):
        """`count` consecutive uniform() draws (each uses two counters)."""
        c = self.counter + 2 * np.arange(count, dtype=np.int64)
        self.counter += 2 * count
        hi = self._words(c & 0xFFFFFFFF)
        lo = self._words((c + 1) & 0xFFFFFFFF)
        return ((hi >> np.uint32(5)).astype(np.float64) * 67108864.0 + (lo >> np.uint32(6)).astype(np.float64)) / 9007199254740992.0

    def uniform(self):
        return float(self.uniforms(1)[0])

    def normals(self, count):
        u = self.uniforms(2 * count)
        u1 = 1.0 - u[0::2]
        u2 = u[1::2]
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def exponentials(self, count):
        return -np.log(1.0 - self.uniforms(count))

    def bits(self, count):
        c = self.counter + np.arange(count, dtype=np.int64)
        self.counter += count
        return self._words(c & 0xFFFFFFFF)
