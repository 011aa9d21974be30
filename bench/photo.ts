// `npm run bench -- photo [--mib N] [--runs R] [--timeout-s S]`
//
// The photo check (src/domain/photo.ts) on large pathological inputs: a file of fill bytes after SOI,
// and scan data made of markers (the inputs of photo.test.ts, which checks their verdict). A careless
// marker walk goes quadratic on them; ours reads each byte a bounded number of times.
//   - Ours: checkPhoto on each input, the median of R runs.
//   - Peer: one plain loop over the same bytes counting the 0xFF marker bytes, in the same run: the
//     floor for a marker walk in JavaScript.
// Also the ordinary case: the valid fixture photo checked, against jpeg-js decoding it (peer).
// Target (informational): each pathological input of 4 MiB checked in ≤ 2,000 ms.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decode } from 'jpeg-js';
import { checkPhoto } from '../src/domain/photo.ts';
import { pathologicalJpegs } from '../test/support/jpeg-segments.ts';
import { boundRun, fmtInt, parseArgs, verdict } from './lib/bounds.ts';

const USAGE = 'Usage: npm run bench -- photo [--mib N] [--runs R] [--timeout-s S]';
const TARGET_MS = 2000;

const opts = parseArgs(
  process.argv.slice(2),
  USAGE,
  { mib: 4, runs: 5, timeoutS: 300 },
  { '--mib': ['mib', 1, 64], '--runs': ['runs', 1, 100] },
);
const deadline = boundRun({ timeoutS: opts.timeoutS });

let sink = 0;
function countMarkerBytes(bytes: Uint8Array): void {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0xff) n++;
  sink += n;
}

/** Median wall time of `runs` calls, in ms. */
function median(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

console.log(`Photo check: pathological inputs of ${opts.mib} MiB, median of ${opts.runs} runs`);
let failed = false;
for (const [name, file] of pathologicalJpegs(opts.mib * 1024 * 1024)) {
  const result = checkPhoto(file);
  if (result.ok) {
    console.error(`  ${name}: accepted, expected a refusal`);
    failed = true;
  }
  const ours = median(opts.runs, () => checkPhoto(file));
  const peer = median(opts.runs, () => countMarkerBytes(file));
  const target = (TARGET_MS * opts.mib) / 4;
  console.log(
    `  ${name}: ours ${ours.toFixed(1)} ms; peer (one linear pass) ${peer.toFixed(2)} ms; ratio ${(ours / peer).toFixed(1)}× — target ≤ ${fmtInt(target)} ms: ${verdict(ours <= target)}`,
  );
}

const valid = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'photo-valid.jpg')));
if (!checkPhoto(valid).ok) {
  console.error('  the valid fixture is refused');
  failed = true;
}
const runs = opts.runs * 200;
const oursValid = median(runs, () => checkPhoto(valid));
const peerValid = median(runs, () => decode(valid, { useTArray: true }));
console.log(
  `  valid photo (${fmtInt(valid.length)} bytes): ours ${(oursValid * 1000).toFixed(1)} µs; peer (jpeg-js decode) ${(peerValid * 1000).toFixed(1)} µs; ratio ${(oursValid / peerValid).toFixed(3)}×`,
);
clearTimeout(deadline);
if (sink < 0) console.log(sink); // keeps the peer's loop from being optimised away
process.exit(failed ? 1 : 0);
