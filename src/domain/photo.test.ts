import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encode } from 'jpeg-js';
import { checkPhoto, PHOTO_MAX_BYTES, type PhotoCheck, type PhotoErrorCode } from './photo.ts';
import { prng } from '../../src/domain/prng.ts';
import { concat, EOI, JFIF300, pathologicalJpegs, segments, SOF0, SOI, SOS } from '../../test/support/jpeg-segments.ts';

// ---------------------------------------------------------------------------------------------
// Real JPEG builders (jpeg-js encodes baseline JFIF: SOI, APP0 JFIF at offset 2, DQT, SOF0, DHT, SOS…, EOI)

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures');
const validFixture = new Uint8Array(readFileSync(join(FIXTURES, 'photo-valid.jpg')));
const wrongSizeFixture = new Uint8Array(readFileSync(join(FIXTURES, 'photo-wrong-size.jpg')));

function pixels(width: number, height: number, noisy: boolean): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  const rand = prng(width * 7919 + height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = noisy ? Math.floor(rand() * 256) : Math.floor((x / width) * 200) + 30;
      data[i + 1] = noisy ? Math.floor(rand() * 256) : Math.floor((y / height) * 200) + 30;
      data[i + 2] = noisy ? Math.floor(rand() * 256) : 160;
      data[i + 3] = 255;
    }
  }
  return data;
}

/** A real JPEG as written by jpeg-js (JFIF units 0, density 1:1). */
function jpeg(width: number, height: number, opts: { quality?: number; noisy?: boolean } = {}): Uint8Array {
  const { data } = encode({ width, height, data: pixels(width, height, opts.noisy ?? false) }, opts.quality ?? 75);
  return new Uint8Array(data);
}

/** Patches the JFIF APP0 right after SOI: units (0 aspect, 1 dpi, 2 dots/cm), X and Y density. */
function withJfif(bytes: Uint8Array, units: number, x: number, y: number = x): Uint8Array {
  const out = Uint8Array.from(bytes);
  assert.equal(String.fromCharCode(...out.subarray(6, 11)), 'JFIF\0', 'JFIF APP0 expected at offset 2');
  out[13] = units;
  out[14] = x >> 8;
  out[15] = x & 0xff;
  out[16] = y >> 8;
  out[17] = y & 0xff;
  return out;
}

const withDpi = (bytes: Uint8Array, x: number, y: number = x): Uint8Array => withJfif(bytes, 1, x, y);

/** Length of the APP0 segment at offset 2 (marker included). */
function app0Length(bytes: Uint8Array): number {
  return 2 + ((bytes[4] ?? 0) << 8) + (bytes[5] ?? 0);
}

/** Inserts a segment right after the JFIF APP0. */
function insertAfterApp0(bytes: Uint8Array, segment: Uint8Array): Uint8Array {
  const cut = 2 + app0Length(bytes);
  return concat(bytes.subarray(0, cut), segment, bytes.subarray(cut));
}

/** Replaces the JFIF APP0 with the given segment (EXIF-only file). */
function replaceApp0(bytes: Uint8Array, segment: Uint8Array): Uint8Array {
  return concat(bytes.subarray(0, 2), segment, bytes.subarray(2 + app0Length(bytes)));
}

interface ExifSpec {
  order: 'II' | 'MM';
  x?: [number, number];
  y?: [number, number];
  /** ResolutionUnit: 2 inch, 3 cm, 1 none; omitted = tag absent (EXIF default: inch). */
  unit?: number;
  /** Corrupts the XResolution value offset so that it points past the segment. */
  badOffset?: boolean;
}

/** Builds an APP1 "Exif\0\0" segment by hand: TIFF header, IFD0 with X/YResolution, ResolutionUnit. */
function exifSegment(spec: ExifSpec): Uint8Array {
  const le = spec.order === 'II';
  const entries: { tag: number; type: number; value: number | [number, number] }[] = [];
  if (spec.x) entries.push({ tag: 0x011a, type: 5, value: spec.x });
  if (spec.y) entries.push({ tag: 0x011b, type: 5, value: spec.y });
  if (spec.unit !== undefined) entries.push({ tag: 0x0128, type: 3, value: spec.unit });
  const ifdSize = 2 + 12 * entries.length + 4;
  const rationals = entries.filter((e) => Array.isArray(e.value)).length;
  const tiff = new Uint8Array(8 + ifdSize + 8 * rationals);
  const view = new DataView(tiff.buffer);
  tiff.set(le ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  view.setUint16(2, 42, le);
  view.setUint32(4, 8, le);
  view.setUint16(8, entries.length, le);
  let data = 8 + ifdSize;
  entries.forEach((e, k) => {
    const at = 10 + 12 * k;
    view.setUint16(at, e.tag, le);
    view.setUint16(at + 2, e.type, le);
    view.setUint32(at + 4, 1, le);
    if (Array.isArray(e.value)) {
      view.setUint32(at + 8, spec.badOffset && e.tag === 0x011a ? 0xfffffff0 : data, le);
      view.setUint32(data, e.value[0], le);
      view.setUint32(data + 4, e.value[1], le);
      data += 8;
    } else {
      view.setUint16(at + 8, e.value, le); // SHORT, left-justified in the 4-byte value field
    }
  });
  view.setUint32(10 + 12 * entries.length, 0, le); // no next IFD
  const payload = concat(new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0]), tiff);
  const length = payload.length + 2;
  return concat(new Uint8Array([0xff, 0xe1, length >> 8, length & 0xff]), payload);
}

function codes(result: PhotoCheck): PhotoErrorCode[] {
  return result.ok ? [] : result.errors.map((e) => e.code);
}

function messages(result: PhotoCheck): string[] {
  return result.ok ? [] : result.errors.map((e) => e.message);
}

const ALL_CODES: readonly PhotoErrorCode[] = ['not_jpeg', 'too_large', 'bad_dimensions', 'bad_resolution', 'corrupt'];

/** Every result, whatever the input, is one of the two documented shapes. */
function assertWellFormed(result: PhotoCheck, input: Uint8Array): void {
  assert.equal(typeof result, 'object');
  if (result.ok) {
    assert.ok(Number.isInteger(result.width) && result.width > 0);
    assert.ok(Number.isInteger(result.height) && result.height > 0);
    assert.ok(Number.isFinite(result.dpiX) && Number.isFinite(result.dpiY));
    assert.equal(result.size, input.length);
    assert.ok(result.size <= PHOTO_MAX_BYTES);
  } else {
    assert.ok(result.errors.length >= 1);
    for (const e of result.errors) {
      assert.ok(ALL_CODES.includes(e.code), e.code);
      assert.equal(typeof e.message, 'string');
      assert.ok(e.message.length > 0);
    }
    assert.equal(new Set(result.errors.map((e) => e.code)).size, result.errors.length, 'no duplicate codes');
  }
}

// One encoded base image at the right size, patched per test.
const base = jpeg(283, 378);

// ---------------------------------------------------------------------------------------------

describe('checkPhoto — valid photos', () => {
  test('the valid fixture passes', () => {
    const result = checkPhoto(validFixture);
    assert.deepEqual(result, { ok: true, width: 283, height: 378, dpiX: 300, dpiY: 300, size: validFixture.length });
    assert.ok(validFixture.length <= PHOTO_MAX_BYTES);
  });

  test('a jpeg-js image of 283 × 378 at 300 dpi passes, Buffer input too', () => {
    const photo = withDpi(base, 300);
    assert.deepEqual(checkPhoto(photo), {
      ok: true,
      width: 283,
      height: 378,
      dpiX: 300,
      dpiY: 300,
      size: photo.length,
    });
    assert.equal(checkPhoto(Buffer.from(photo)).ok, true);
  });

  test('± 1 dpi rounding tolerance', () => {
    assert.equal(checkPhoto(withDpi(base, 299)).ok, true);
    assert.equal(checkPhoto(withDpi(base, 301)).ok, true);
    assert.deepEqual(codes(checkPhoto(withDpi(base, 298))), ['bad_resolution']);
    assert.deepEqual(codes(checkPhoto(withDpi(base, 302))), ['bad_resolution']);
  });

  test('bytes after EOI are ignored', () => {
    const photo = concat(withDpi(base, 300), new Uint8Array(100));
    assert.equal(checkPhoto(photo).ok, true);
  });

  test('the input is not modified', () => {
    const photo = withDpi(base, 72);
    const copy = Uint8Array.from(photo);
    checkPhoto(photo);
    assert.deepEqual(photo, copy);
  });
});

describe('checkPhoto — dimensions', () => {
  test('the wrong-size fixture is rejected on dimensions only', () => {
    const result = checkPhoto(wrongSizeFixture);
    assert.deepEqual(result, {
      ok: false,
      errors: [
        { code: 'bad_dimensions', message: 'La photo doit mesurer exactement 283 × 378 pixels (reçue : 300 × 400).' },
      ],
    });
  });

  test('width and height are not swapped', () => {
    const result = checkPhoto(withDpi(jpeg(378, 283), 300));
    assert.deepEqual(messages(result), ['La photo doit mesurer exactement 283 × 378 pixels (reçue : 378 × 283).']);
  });

  test('one pixel off is rejected', () => {
    assert.deepEqual(codes(checkPhoto(withDpi(jpeg(283, 377), 300))), ['bad_dimensions']);
    assert.deepEqual(codes(checkPhoto(withDpi(jpeg(284, 378), 300))), ['bad_dimensions']);
  });

  test('dimensions are read from other SOF markers (progressive SOF2, hand-built file)', () => {
    // SOI, APP0 JFIF 300 dpi, a DHT (C4, not a frame header) with misleading bytes, SOF2, SOS,
    // entropy data with stuffed bytes (FF 00), fill bytes and a restart marker, EOI.
    const file = new Uint8Array([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0x00,
      0x10,
      0x4a,
      0x46,
      0x49,
      0x46,
      0x00,
      0x01,
      0x02,
      0x01,
      0x01,
      0x2c,
      0x01,
      0x2c,
      0x00,
      0x00,
      0xff,
      0xc4,
      0x00,
      0x08,
      0x00,
      0x00,
      0x10,
      0x00,
      0x10,
      0x01,
      0xff,
      0xc2,
      0x00,
      0x0b,
      0x08,
      0x01,
      0x7a,
      0x01,
      0x1b,
      0x01,
      0x01,
      0x11,
      0x00,
      0xff,
      0xda,
      0x00,
      0x08,
      0x01,
      0x01,
      0x00,
      0x00,
      0x3f,
      0x00,
      0x12,
      0xff,
      0x00,
      0x34,
      0xff,
      0xd0,
      0x56,
      0xff,
      0x00,
      0xff,
      0xc4,
      0x00,
      0x04,
      0x00,
      0x00, // a second DHT between progressive scans
      0xff,
      0xda,
      0x00,
      0x08,
      0x01,
      0x01,
      0x00,
      0x00,
      0x3f,
      0x00,
      0x78,
      0xff,
      0xff,
      0xd9,
    ]);
    assert.deepEqual(checkPhoto(file), { ok: true, width: 283, height: 378, dpiX: 300, dpiY: 300, size: file.length });
  });
});

describe('checkPhoto — resolution', () => {
  test('72 dpi is rejected with the value found', () => {
    assert.deepEqual(checkPhoto(withDpi(base, 72)), {
      ok: false,
      errors: [{ code: 'bad_resolution', message: 'La photo doit avoir une résolution de 300 dpi (reçue : 72 dpi).' }],
    });
  });

  test('different horizontal and vertical resolutions are both shown', () => {
    assert.deepEqual(messages(checkPhoto(withDpi(base, 300, 72))), [
      'La photo doit avoir une résolution de 300 dpi (reçue : 300 × 72 dpi).',
    ]);
  });

  test('dots per cm are converted: 118 dots/cm = 299.72 dpi passes', () => {
    const result = checkPhoto(withJfif(base, 2, 118));
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.equal(result.dpiX, 299.72);
    assert.equal(result.dpiY, 299.72);
  });

  test('dots per cm too low or too high are rejected, with both units in the message', () => {
    assert.deepEqual(messages(checkPhoto(withJfif(base, 2, 40))), [
      'La photo doit avoir une résolution de 300 dpi (reçue : 40 points/cm, soit 101,6 dpi).',
    ]);
    assert.deepEqual(codes(checkPhoto(withJfif(base, 2, 119))), ['bad_resolution']); // 302.26 dpi
  });

  test('units 0 (aspect ratio only) means no resolution', () => {
    assert.deepEqual(checkPhoto(withJfif(base, 0, 300)), {
      ok: false,
      errors: [
        {
          code: 'bad_resolution',
          message: 'La photo doit avoir une résolution de 300 dpi (aucune résolution indiquée dans le fichier).',
        },
      ],
    });
    // jpeg-js's own output: units 0, density 1:1.
    assert.deepEqual(codes(checkPhoto(base)), ['bad_resolution']);
  });

  test('a zero JFIF density or unknown units count as no resolution', () => {
    assert.deepEqual(codes(checkPhoto(withJfif(base, 1, 0))), ['bad_resolution']);
    assert.deepEqual(codes(checkPhoto(withJfif(base, 3, 300))), ['bad_resolution']);
  });
});

describe('checkPhoto — EXIF resolution', () => {
  for (const order of ['II', 'MM'] as const) {
    test(`${order}: EXIF 300 dpi used when JFIF has units 0`, () => {
      const photo = insertAfterApp0(base, exifSegment({ order, x: [300, 1], y: [300, 1], unit: 2 }));
      assert.deepEqual(checkPhoto(photo), {
        ok: true,
        width: 283,
        height: 378,
        dpiX: 300,
        dpiY: 300,
        size: photo.length,
      });
    });

    test(`${order}: EXIF-only file (no JFIF APP0)`, () => {
      const photo = replaceApp0(base, exifSegment({ order, x: [3000, 10], y: [3000, 10], unit: 2 }));
      assert.equal(photo[3], 0xe1);
      assert.deepEqual(checkPhoto(photo), {
        ok: true,
        width: 283,
        height: 378,
        dpiX: 300,
        dpiY: 300,
        size: photo.length,
      });
    });

    test(`${order}: EXIF 72 dpi is rejected`, () => {
      const photo = replaceApp0(base, exifSegment({ order, x: [72, 1], y: [72, 1], unit: 2 }));
      assert.deepEqual(messages(checkPhoto(photo)), [
        'La photo doit avoir une résolution de 300 dpi (reçue : 72 dpi).',
      ]);
    });

    test(`${order}: EXIF ResolutionUnit absent defaults to inches`, () => {
      const photo = replaceApp0(base, exifSegment({ order, x: [300, 1], y: [300, 1] }));
      assert.equal(checkPhoto(photo).ok, true);
    });

    test(`${order}: EXIF ResolutionUnit 3 = dots per cm`, () => {
      const photo = replaceApp0(base, exifSegment({ order, x: [118, 1], y: [118, 1], unit: 3 }));
      const result = checkPhoto(photo);
      assert.ok(result.ok);
      assert.equal(result.dpiX, 299.72);
    });

    test(`${order}: EXIF ResolutionUnit 1 (none) means no resolution`, () => {
      const photo = replaceApp0(base, exifSegment({ order, x: [300, 1], y: [300, 1], unit: 1 }));
      assert.deepEqual(codes(checkPhoto(photo)), ['bad_resolution']);
    });

    test(`${order}: malformed EXIF (offset past the end, zero denominator, missing Y) gives no resolution`, () => {
      for (const spec of [
        { order, x: [300, 1], y: [300, 1], unit: 2, badOffset: true },
        { order, x: [300, 0], y: [300, 0], unit: 2 },
        { order, x: [300, 1], unit: 2 },
      ] satisfies ExifSpec[]) {
        const result = checkPhoto(replaceApp0(base, exifSegment(spec)));
        assert.deepEqual(codes(result), ['bad_resolution'], JSON.stringify(spec));
      }
    });
  }

  test('a JFIF resolution takes precedence over EXIF', () => {
    const photo = insertAfterApp0(withDpi(base, 72), exifSegment({ order: 'II', x: [300, 1], y: [300, 1], unit: 2 }));
    assert.deepEqual(messages(checkPhoto(photo)), ['La photo doit avoir une résolution de 300 dpi (reçue : 72 dpi).']);
  });
});

describe('checkPhoto — file size', () => {
  test('a noisy high-quality photo over 30 Ko is rejected on size only', () => {
    const photo = withDpi(jpeg(283, 378, { noisy: true, quality: 95 }), 300);
    assert.ok(photo.length > PHOTO_MAX_BYTES);
    const result = checkPhoto(photo);
    assert.deepEqual(codes(result), ['too_large']);
    const ko = (Math.ceil((photo.length * 10) / 1024) / 10).toFixed(1).replace('.', ',');
    assert.deepEqual(messages(result), [`La photo dépasse 30 Ko (reçue : ${ko} Ko).`]);
  });

  test('30 720 bytes pass, 30 721 bytes do not', () => {
    const photo = withDpi(base, 300);
    const pad = (size: number): Uint8Array => concat(photo, new Uint8Array(size - photo.length));
    assert.equal(checkPhoto(pad(30720)).ok, true);
    assert.deepEqual(checkPhoto(pad(30721)), {
      ok: false,
      errors: [{ code: 'too_large', message: 'La photo dépasse 30 Ko (reçue : 30,1 Ko).' }],
    });
    assert.deepEqual(messages(checkPhoto(pad(42188))), ['La photo dépasse 30 Ko (reçue : 41,2 Ko).']);
  });
});

describe('checkPhoto — several failures at once', () => {
  test('size, dimensions and resolution are all reported', () => {
    const photo = withDpi(jpeg(300, 400, { noisy: true, quality: 95 }), 72);
    const result = checkPhoto(photo);
    assert.deepEqual(codes(result), ['too_large', 'bad_dimensions', 'bad_resolution']);
    assert.equal(messages(result)[1], 'La photo doit mesurer exactement 283 × 378 pixels (reçue : 300 × 400).');
    assert.equal(messages(result)[2], 'La photo doit avoir une résolution de 300 dpi (reçue : 72 dpi).');
  });
});

describe('checkPhoto — not a JPEG, corrupt, truncated', () => {
  const png = new Uint8Array([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01,
    0x1b, 0x00, 0x00, 0x01, 0x7a, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  ]);

  test('PNG bytes are not a JPEG', () => {
    assert.deepEqual(checkPhoto(png), {
      ok: false,
      errors: [{ code: 'not_jpeg', message: "Le fichier n'est pas une image JPEG." }],
    });
  });

  test('a large non-JPEG also reports the size', () => {
    const big = concat(png, new Uint8Array(40000));
    assert.deepEqual(codes(checkPhoto(big)), ['not_jpeg', 'too_large']);
  });

  test('an empty file is not a JPEG', () => {
    assert.deepEqual(checkPhoto(new Uint8Array(0)), {
      ok: false,
      errors: [{ code: 'not_jpeg', message: "Le fichier est vide : ce n'est pas une image JPEG." }],
    });
  });

  test('every strict prefix of the valid fixture is corrupt (never ok, never throws)', () => {
    for (let length = 1; length < validFixture.length; length++) {
      const result = checkPhoto(validFixture.subarray(0, length));
      assert.deepEqual(codes(result), ['corrupt'], `prefix of ${length} bytes`);
    }
  });

  test('a truncated file says so', () => {
    const result = checkPhoto(validFixture.subarray(0, 5000));
    assert.deepEqual(messages(result), [
      'Le fichier JPEG est illisible, corrompu ou tronqué (fin de fichier inattendue).',
    ]);
  });

  test('a large truncated file reports corrupt and too large, not dimensions', () => {
    const photo = withDpi(jpeg(300, 400, { noisy: true, quality: 95 }), 72);
    assert.deepEqual(codes(checkPhoto(photo.subarray(0, photo.length - 10))), ['corrupt', 'too_large']);
  });

  test('the hand-built structural file is valid (baseline for the corrupt variants below)', () => {
    assert.equal(checkPhoto(segments(SOI, JFIF300, SOF0, SOS, EOI)).ok, true);
  });

  for (const [name, file] of [
    ['no frame header', segments(SOI, JFIF300, EOI)],
    ['no scan', segments(SOI, JFIF300, SOF0, EOI)],
    ['scan before the frame header', segments(SOI, JFIF300, SOS, SOF0, EOI)],
    ['segment length below 2', segments(SOI, [0xff, 0xe0, 0x00, 0x01], SOF0, SOS, EOI)],
    ['segment longer than the file', segments(SOI, [0xff, 0xe0, 0x7f, 0xff, 0x00], SOF0, SOS, EOI)],
    ['garbage between segments', segments(SOI, JFIF300, [0x00, 0x00], SOF0, SOS, EOI)],
    ['second SOI', segments(SOI, JFIF300, SOI, SOF0, SOS, EOI)],
    [
      'zero width',
      segments(SOI, JFIF300, [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x01, 0x7a, 0x00, 0x00, 0x01, 0x01, 0x11, 0x00], SOS, EOI),
    ],
    ['frame header too short', segments(SOI, JFIF300, [0xff, 0xc0, 0x00, 0x06, 0x08, 0x01, 0x7a, 0x01], SOS, EOI)],
    [
      'frame header with more components than bytes',
      segments(SOI, JFIF300, [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x01, 0x7a, 0x01, 0x1b, 0x03, 0x01, 0x11, 0x00], SOS, EOI),
    ],
    ['only fill bytes after SOI', concat(new Uint8Array(SOI), new Uint8Array(20_000).fill(0xff))],
    ['scan data never ends', concat(segments(SOI, JFIF300, SOF0, SOS), new Uint8Array(20_000).fill(0x00))],
  ] as const) {
    test(`corrupt: ${name}`, () => {
      const result = checkPhoto(file);
      assert.deepEqual(codes(result), ['corrupt']);
      assert.match(messages(result)[0] ?? '', /^Le fichier JPEG est illisible, corrompu ou tronqué \(.+\)\.$/);
    });
  }

  // How long they take is measured by `npm run bench -- photo`.
  for (const [name, file] of pathologicalJpegs(4 * 1024 * 1024)) {
    test(`large pathological input: ${name}`, () => {
      assert.deepEqual(codes(checkPhoto(file)), ['corrupt', 'too_large']);
    });
  }
});

describe('checkPhoto — properties', () => {
  test('random bytes never throw and always give a well-formed result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        assertWellFormed(checkPhoto(bytes), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  test('random bytes behind a JPEG signature never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (tail) => {
        const bytes = concat(new Uint8Array([0xff, 0xd8, 0xff]), tail);
        const result = checkPhoto(bytes);
        assertWellFormed(result, bytes);
      }),
      { numRuns: 2000 },
    );
  });

  test('random mutations and truncations of a valid JPEG never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: validFixture.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
          maxLength: 16,
        }),
        fc.option(fc.nat({ max: validFixture.length })),
        fc.option(fc.record({ at: fc.nat({ max: validFixture.length }), count: fc.nat({ max: 64 }) })),
        (writes, truncateAt, removal) => {
          let bytes: Uint8Array = Uint8Array.from(validFixture);
          for (const { at, value } of writes) bytes[at] = value;
          if (removal) bytes = concat(bytes.subarray(0, removal.at), bytes.subarray(removal.at + removal.count));
          if (truncateAt !== null) bytes = bytes.subarray(0, truncateAt);
          assertWellFormed(checkPhoto(bytes), bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('header-area mutations (where the parser actually looks) never throw', () => {
    // The first ~700 bytes hold APP0, DQT, SOF0, DHT and SOS: mutate there more densely.
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.nat({ max: 700 }),
            value: fc.constantFrom(0x00, 0x01, 0xff, 0xd8, 0xd9, 0xda, 0xc0, 0xe0, 0xe1, 0x7f, 0xfe),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (writes) => {
          const bytes = Uint8Array.from(validFixture);
          for (const { at, value } of writes) bytes[at] = value;
          assertWellFormed(checkPhoto(bytes), bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('any strict prefix of a valid photo is rejected', () => {
    fc.assert(
      fc.property(fc.nat({ max: validFixture.length - 1 }), (length) => {
        assert.equal(checkPhoto(validFixture.subarray(0, length)).ok, false);
      }),
    );
  });

  test('trailing bytes after EOI do not change the verdict (within the size limit)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (tail) => {
        const result = checkPhoto(concat(validFixture, tail));
        assert.ok(result.ok);
        assert.equal(result.size, validFixture.length + tail.length);
      }),
      { numRuns: 200 },
    );
  });

  test('random EXIF resolutions (both byte orders) are read exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('II' as const, 'MM' as const),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 1, max: 0xffffffff }),
        (order, num, den) => {
          const photo = replaceApp0(base, exifSegment({ order, x: [num, den], y: [num, den], unit: 2 }));
          const result = checkPhoto(photo);
          const dpi = num / den;
          if (Math.abs(dpi - 300) <= 1) {
            assert.ok(result.ok);
            assert.equal(result.dpiX, Math.round(dpi * 100) / 100);
          } else {
            assert.deepEqual(codes(result), ['bad_resolution']);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
