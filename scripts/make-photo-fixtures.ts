// Writes the photo fixtures used by the tests:
//   test/fixtures/photo-valid.jpg       283 × 378, 300 dpi, < 30 Ko: a simple drawn face
//   test/fixtures/photo-wrong-size.jpg  300 × 400, 300 dpi
// Run once: node scripts/make-photo-fixtures.ts (deterministic output; re-run to regenerate).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'jpeg-js';
import { checkPhoto, PHOTO_HEIGHT, PHOTO_WIDTH } from '../src/domain/photo.ts';

type Rgb = readonly [number, number, number];

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];
/** Soft inside-ness of an ellipse: 1 inside, 0 outside, ~1.5 px anti-aliased edge. */
function ellipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number): number {
  const d = Math.hypot((x - cx) / rx, (y - cy) / ry);
  const edge = 1.5 / Math.min(rx, ry);
  return Math.max(0, Math.min(1, (1 - d) / edge + 0.5));
}

/** A passport-style portrait: plain light background, face, hair, eyes, mouth, shoulders. */
function drawFace(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  const sx = width / PHOTO_WIDTH;
  const sy = height / PHOTO_HEIGHT;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const x = px / sx;
      const y = py / sy;
      // Light grey-blue background with a gentle vertical gradient.
      let c: Rgb = mix([222, 228, 236], [200, 208, 220], y / PHOTO_HEIGHT);
      // Shoulders / jacket.
      c = mix(c, mix([52, 64, 92], [34, 42, 66], (y - 300) / 78), ellipse(x, y, 141, 395, 135, 95));
      // Neck.
      c = mix(c, [214, 170, 140], ellipse(x, y, 141, 290, 32, 45));
      // Hair (behind the face).
      c = mix(c, [70, 48, 32], ellipse(x, y, 141, 140, 82, 96));
      // Face, lit from the left.
      c = mix(c, mix([238, 196, 164], [214, 168, 138], x / PHOTO_WIDTH), ellipse(x, y, 141, 170, 66, 88));
      // Fringe.
      c = mix(c, [70, 48, 32], ellipse(x, y, 141, 92, 70, 28));
      // Eyebrows, eyes (white then iris), nose shadow, mouth.
      for (const ex of [114, 168]) {
        c = mix(c, [80, 56, 40], ellipse(x, y, ex, 142, 16, 4));
        c = mix(c, [248, 248, 246], ellipse(x, y, ex, 158, 12, 6));
        c = mix(c, [60, 90, 120], ellipse(x, y, ex, 158, 5, 5));
      }
      c = mix(c, [196, 146, 118], ellipse(x, y, 141, 195, 7, 14) * 0.6);
      c = mix(c, [170, 80, 80], ellipse(x, y, 141, 226, 22, 6));
      const i = (py * width + px) * 4;
      data[i] = clamp(c[0]);
      data[i + 1] = clamp(c[1]);
      data[i + 2] = clamp(c[2]);
      data[i + 3] = 255;
    }
  }
  return data;
}

/** Sets the JFIF APP0 density (jpeg-js writes units 0, 1:1) right after SOI. */
function withDpi(jpeg: Uint8Array, dpi: number): Uint8Array {
  const out = Uint8Array.from(jpeg);
  const isJfif = out[2] === 0xff && out[3] === 0xe0 && String.fromCharCode(...out.subarray(6, 11)) === 'JFIF\0';
  if (!isJfif) throw new Error('jpeg-js output has no JFIF APP0 right after SOI');
  out[13] = 1; // units: dots per inch
  out[14] = dpi >> 8;
  out[15] = dpi & 0xff;
  out[16] = dpi >> 8;
  out[17] = dpi & 0xff;
  return out;
}

function makePhoto(width: number, height: number, quality: number): Uint8Array {
  const { data } = encode({ width, height, data: drawFace(width, height) }, quality);
  return withDpi(data, 300);
}

const dir = join(import.meta.dirname, '..', 'test', 'fixtures');
mkdirSync(dir, { recursive: true });

const valid = makePhoto(PHOTO_WIDTH, PHOTO_HEIGHT, 85);
const validCheck = checkPhoto(valid);
if (!validCheck.ok) throw new Error(`photo-valid.jpg fails the check: ${JSON.stringify(validCheck.errors)}`);
writeFileSync(join(dir, 'photo-valid.jpg'), valid);

const wrongSize = makePhoto(300, 400, 85);
const wrongCheck = checkPhoto(wrongSize);
if (wrongCheck.ok || wrongCheck.errors.map((e) => e.code).join() !== 'bad_dimensions') {
  throw new Error(`photo-wrong-size.jpg should fail on dimensions only: ${JSON.stringify(wrongCheck)}`);
}
writeFileSync(join(dir, 'photo-wrong-size.jpg'), wrongSize);

console.log(`photo-valid.jpg: ${valid.length} octets; photo-wrong-size.jpg: ${wrongSize.length} octets`);
