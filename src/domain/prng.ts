// mulberry32: a small seeded PRNG, so that generated data (feeds, sets, noisy images) is the same on
// every run. Shared by the demonstration data, the tests and the benchmarks. Pure: no I/O.

/** Unsigned 32-bit integers from `seed`. */
export function prngUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Numbers in [0, 1) from `seed`. */
export function prng(seed: number): () => number {
  const next = prngUint32(seed);
  return () => next() / 4294967296;
}
