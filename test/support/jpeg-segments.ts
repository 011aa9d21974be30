// Hand-built JPEG marker segments, for the structural cases of the photo check (its tests) and the
// large pathological inputs (its tests and `npm run bench -- photo`).

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const segments = (...bytes: number[][]): Uint8Array => new Uint8Array(bytes.flat());
export const SOI = [0xff, 0xd8];
export const JFIF300 = [
  0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x02, 0x01, 0x01, 0x2c, 0x01, 0x2c, 0x00, 0x00,
];
export const SOF0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x01, 0x7a, 0x01, 0x1b, 0x01, 0x01, 0x11, 0x00];
export const SOS = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x12, 0x34];
export const EOI = [0xff, 0xd9];

/** Large inputs that make a careless parser loop or backtrack: fill bytes, and scan data of markers. */
export function pathologicalJpegs(bytes: number): [name: string, file: Uint8Array][] {
  const stuffed = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 2) stuffed[i] = 0xff;
  return [
    ['only fill bytes after SOI', concat(new Uint8Array(SOI), new Uint8Array(bytes).fill(0xff))],
    ['scan data of fill bytes', concat(segments(SOI, JFIF300, SOF0, SOS), new Uint8Array(bytes).fill(0xff))],
    ['scan data of 0xff every other byte', concat(segments(SOI, JFIF300, SOF0, SOS), stuffed)],
  ];
}
