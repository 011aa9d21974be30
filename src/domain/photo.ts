// Agent photo check: ICAO (passport) photo, JPEG only, exactly 283 × 378 pixels (width × height),
// 300 dpi, at most 30 Ko (30 × 1024 = 30 720 bytes).
//
// Pure: no I/O, no project imports, never throws, every loop bounded by the input length.
//
// The JPEG is read by hand with a small marker walker rather than a library: no maintained package
// gives the JFIF / EXIF density without decoding the whole image (decoders such as jpeg-js expose
// pixels, not the APP0/APP1 resolution fields), and we only need a few header fields plus a
// structural check that the file is complete.

export const PHOTO_WIDTH = 283;
export const PHOTO_HEIGHT = 378;
export const PHOTO_DPI = 300;
/** ± tolerance on the resolution, so that 118 dots/cm (299.72 dpi) is accepted. */
export const PHOTO_DPI_TOLERANCE = 1;
export const PHOTO_MAX_BYTES = 30 * 1024;

export type PhotoErrorCode = 'not_jpeg' | 'too_large' | 'bad_dimensions' | 'bad_resolution' | 'corrupt';

export interface PhotoError {
  code: PhotoErrorCode;
  message: string;
}

export interface PhotoOk {
  ok: true;
  width: number;
  height: number;
  /** Horizontal resolution in dots per inch (converted from dots/cm when needed, 2 decimals). */
  dpiX: number;
  dpiY: number;
  /** File size in bytes. */
  size: number;
}

export interface PhotoRejected {
  ok: false;
  /** Every failure found, in this order: format (not_jpeg | corrupt), too_large, bad_dimensions, bad_resolution. */
  errors: PhotoError[];
}

export type PhotoCheck = PhotoOk | PhotoRejected;

/**
 * Checks an uploaded agent photo. Reports all failures at once. When the file is not a JPEG or
 * is structurally broken, only the format error (and the size error, which needs no parsing) is
 * reported: dimensions and resolution read from a broken file are not trustworthy.
 */
export function checkPhoto(bytes: Uint8Array): PhotoCheck {
  const size = bytes.length;
  const errors: PhotoError[] = [];
  const tooLarge: PhotoError | null =
    size > PHOTO_MAX_BYTES
      ? { code: 'too_large', message: `La photo dépasse 30 Ko (reçue : ${formatKo(size)} Ko).` }
      : null;

  const parsed = isJpegStart(bytes) ? parseJpeg(bytes) : null;
  if (parsed === null) {
    // Not starting with SOI + marker. A strict prefix of that signature is a truncated JPEG.
    if (size > 0 && size < 3 && isSoiPrefix(bytes)) {
      errors.push(corrupt(TRUNCATED));
    } else {
      errors.push({
        code: 'not_jpeg',
        message:
          size === 0 ? "Le fichier est vide : ce n'est pas une image JPEG." : "Le fichier n'est pas une image JPEG.",
      });
    }
    if (tooLarge) errors.push(tooLarge);
    return { ok: false, errors };
  }
  if (!parsed.ok) {
    errors.push(corrupt(parsed.reason));
    if (tooLarge) errors.push(tooLarge);
    return { ok: false, errors };
  }

  const { width, height } = parsed;
  if (tooLarge) errors.push(tooLarge);
  if (width !== PHOTO_WIDTH || height !== PHOTO_HEIGHT) {
    errors.push({
      code: 'bad_dimensions',
      message: `La photo doit mesurer exactement ${PHOTO_WIDTH} × ${PHOTO_HEIGHT} pixels (reçue : ${width} × ${height}).`,
    });
  }
  const density = parsed.jfif ?? parsed.exif;
  const dpiX = density ? toDpi(density.x, density.unit) : 0;
  const dpiY = density ? toDpi(density.y, density.unit) : 0;
  if (density === null) {
    errors.push({
      code: 'bad_resolution',
      message: `La photo doit avoir une résolution de ${PHOTO_DPI} dpi (aucune résolution indiquée dans le fichier).`,
    });
  } else if (!dpiOk(dpiX) || !dpiOk(dpiY)) {
    errors.push({
      code: 'bad_resolution',
      message: `La photo doit avoir une résolution de ${PHOTO_DPI} dpi (reçue : ${describeDensity(density, dpiX, dpiY)}).`,
    });
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, width, height, dpiX: round2(dpiX), dpiY: round2(dpiY), size };
}

// ---------------------------------------------------------------------------------------------
// Messages

function corrupt(reason: string): PhotoError {
  return { code: 'corrupt', message: `Le fichier JPEG est illisible, corrompu ou tronqué (${reason}).` };
}

/** Kilo-octets with one decimal, French comma, rounded up so that 30 721 bytes reads 30,1 and not 30,0. */
function formatKo(size: number): string {
  // size * 10 / 1024 is exact in binary floating point, so ceil is exact too.
  return (Math.ceil((size * 10) / 1024) / 10).toFixed(1).replace('.', ',');
}

/** At most one decimal, French comma, no trailing ",0". */
function formatNumber(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1).replace('.', ',');
}

function describeDensity(density: Density, dpiX: number, dpiY: number): string {
  const pair = (x: number, y: number): string =>
    formatNumber(x) === formatNumber(y) ? formatNumber(x) : `${formatNumber(x)} × ${formatNumber(y)}`;
  if (density.unit === 'cm') {
    return `${pair(density.x, density.y)} points/cm, soit ${pair(dpiX, dpiY)} dpi`;
  }
  return `${pair(dpiX, dpiY)} dpi`;
}

// ---------------------------------------------------------------------------------------------
// Resolution

interface Density {
  x: number;
  y: number;
  unit: 'inch' | 'cm';
}

function toDpi(value: number, unit: 'inch' | 'cm'): number {
  return unit === 'cm' ? value * 2.54 : value;
}

function dpiOk(dpi: number): boolean {
  return Math.abs(dpi - PHOTO_DPI) <= PHOTO_DPI_TOLERANCE;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

// ---------------------------------------------------------------------------------------------
// JPEG marker walker

type Parsed =
  | { ok: true; width: number; height: number; jfif: Density | null; exif: Density | null }
  | { ok: false; reason: string };

const TRUNCATED = 'fin de fichier inattendue';

function isJpegStart(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function isSoiPrefix(b: Uint8Array): boolean {
  const soi = [0xff, 0xd8, 0xff];
  for (let i = 0; i < b.length; i++) if (b[i] !== soi[i]) return false;
  return true;
}

function u8(b: Uint8Array, i: number): number {
  return b[i] ?? 0;
}

function be16(b: Uint8Array, i: number): number {
  return u8(b, i) * 0x100 + u8(b, i + 1);
}

/** Start-of-frame markers carrying the image size: C0–C3, C5–C7, C9–CB, CD–CF (not C4 DHT, C8 JPG, CC DAC). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Walks SOI, the marker segments, the entropy-coded scans, up to EOI. Requires a frame header
 * (SOF), at least one scan (SOS) after it, and an EOI: a file cut anywhere is reported as corrupt.
 * Bytes after EOI are ignored (some encoders pad files). Caller has checked FF D8 FF.
 */
function parseJpeg(b: Uint8Array): Parsed {
  const n = b.length;
  let pos = 2;
  let frame: { width: number; height: number } | null = null;
  let jfif: Density | null = null;
  let sawJfif = false;
  let exif: Density | null = null;
  let sawExif = false;
  let sawScan = false;

  while (pos < n) {
    if (u8(b, pos) !== 0xff) return { ok: false, reason: `marqueur attendu à l'octet ${pos}` };
    while (pos < n && u8(b, pos) === 0xff) pos++; // 0xFF fill bytes before a marker
    if (pos >= n) break;
    const marker = u8(b, pos);
    pos++;

    if (marker === 0xd9) {
      // EOI
      if (frame === null) return { ok: false, reason: "en-tête d'image (SOF) absent" };
      if (!sawScan) return { ok: false, reason: "données d'image absentes" };
      return { ok: true, width: frame.width, height: frame.height, jfif, exif };
    }
    if (marker === 0x00 || marker === 0xd8) {
      return { ok: false, reason: `marqueur invalide à l'octet ${pos - 1}` };
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no payload

    // Every other marker is followed by a big-endian length that counts itself.
    if (pos + 2 > n) break;
    const length = be16(b, pos);
    if (length < 2) return { ok: false, reason: `longueur de segment invalide à l'octet ${pos}` };
    const start = pos + 2;
    const end = pos + length;
    if (end > n) break;

    if (isSof(marker)) {
      if (frame === null) {
        // P (1), Y (2), X (2), Nf (1), then 3 bytes per component.
        if (length < 8 || u8(b, start + 5) === 0 || length < 8 + 3 * u8(b, start + 5)) {
          return { ok: false, reason: "en-tête d'image (SOF) invalide" };
        }
        const height = be16(b, start + 1);
        const width = be16(b, start + 3);
        if (width === 0 || height === 0) {
          return { ok: false, reason: `dimensions illisibles (${width} × ${height})` };
        }
        frame = { width, height };
      }
    } else if (marker === 0xe0) {
      if (!sawJfif && isJfif(b, start, end)) {
        sawJfif = true;
        jfif = readJfifDensity(b, start, end);
      }
    } else if (marker === 0xe1) {
      if (!sawExif && isExif(b, start, end)) {
        sawExif = true;
        exif = readExifDensity(b, start + 6, end);
      }
    } else if (marker === 0xda) {
      // SOS: header, then entropy-coded data up to the next marker that is not a stuffed byte
      // (FF 00) or a restart marker (FF D0–D7).
      if (frame === null) return { ok: false, reason: "données d'image avant l'en-tête (SOF)" };
      sawScan = true;
      let i = end;
      for (;;) {
        i = b.indexOf(0xff, i);
        if (i < 0 || i + 1 >= n) return { ok: false, reason: TRUNCATED };
        const next = u8(b, i + 1);
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
        else if (next === 0xff) i += 1;
        else break;
      }
      pos = i;
      continue;
    }
    pos = end;
  }
  return { ok: false, reason: TRUNCATED };
}

function matches(b: Uint8Array, at: number, end: number, signature: readonly number[]): boolean {
  if (at + signature.length > end) return false;
  for (let k = 0; k < signature.length; k++) if (u8(b, at + k) !== signature[k]) return false;
  return true;
}

const JFIF_ID = [0x4a, 0x46, 0x49, 0x46, 0x00]; // "JFIF\0"
const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"

function isJfif(b: Uint8Array, start: number, end: number): boolean {
  return matches(b, start, end, JFIF_ID);
}

function isExif(b: Uint8Array, start: number, end: number): boolean {
  return matches(b, start, end, EXIF_ID);
}

/**
 * APP0 JFIF: "JFIF\0", version (2), units (1), Xdensity (2), Ydensity (2), thumbnail…
 * Units 1 = dots per inch, 2 = dots per cm, 0 = aspect ratio only (no resolution).
 */
function readJfifDensity(b: Uint8Array, start: number, end: number): Density | null {
  if (start + 12 > end) return null;
  const units = u8(b, start + 7);
  const x = be16(b, start + 8);
  const y = be16(b, start + 10);
  if (x === 0 || y === 0) return null;
  if (units === 1) return { x, y, unit: 'inch' };
  if (units === 2) return { x, y, unit: 'cm' };
  return null;
}

const TAG_X_RESOLUTION = 0x011a;
const TAG_Y_RESOLUTION = 0x011b;
const TAG_RESOLUTION_UNIT = 0x0128;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;

/**
 * APP1 EXIF: a TIFF structure ("II" little-endian or "MM" big-endian, 42, offset of IFD0), offsets
 * relative to the TIFF header. Reads XResolution / YResolution (RATIONAL) and ResolutionUnit
 * (2 = inch, the default; 3 = cm; 1 = none) from IFD0. A malformed EXIF block only means
 * "no resolution here": it does not make the image unreadable.
 */
function readExifDensity(b: Uint8Array, tiff: number, end: number): Density | null {
  const len = end - tiff;
  if (len < 8) return null;
  let little: boolean;
  if (u8(b, tiff) === 0x49 && u8(b, tiff + 1) === 0x49) little = true;
  else if (u8(b, tiff) === 0x4d && u8(b, tiff + 1) === 0x4d) little = false;
  else return null;

  const in16 = (off: number): number | null => {
    if (off < 0 || off + 2 > len) return null;
    const p = tiff + off;
    return little ? u8(b, p) + u8(b, p + 1) * 0x100 : be16(b, p);
  };
  const in32 = (off: number): number | null => {
    if (off < 0 || off + 4 > len) return null;
    const p = tiff + off;
    return little
      ? u8(b, p) + u8(b, p + 1) * 0x100 + u8(b, p + 2) * 0x10000 + u8(b, p + 3) * 0x1000000
      : u8(b, p) * 0x1000000 + u8(b, p + 1) * 0x10000 + u8(b, p + 2) * 0x100 + u8(b, p + 3);
  };

  if (in16(2) !== 42) return null;
  const ifd0 = in32(4);
  if (ifd0 === null || ifd0 < 8) return null;
  const count = in16(ifd0);
  if (count === null) return null;

  const readValue = (entry: number): number | null => {
    const type = in16(entry + 2);
    const n = in32(entry + 4);
    if (n === null || n < 1) return null;
    if (type === TYPE_SHORT) return in16(entry + 8);
    if (type === TYPE_LONG) return in32(entry + 8);
    if (type === TYPE_RATIONAL) {
      const at = in32(entry + 8);
      if (at === null) return null;
      const num = in32(at);
      const den = in32(at + 4);
      if (num === null || den === null || den === 0) return null;
      return num / den;
    }
    return null;
  };

  let x: number | null = null;
  let y: number | null = null;
  let unit = 2;
  for (let k = 0; k < count; k++) {
    const entry = ifd0 + 2 + 12 * k;
    if (entry + 12 > len) break;
    const tag = in16(entry);
    if (tag === TAG_X_RESOLUTION) x = readValue(entry);
    else if (tag === TAG_Y_RESOLUTION) y = readValue(entry);
    else if (tag === TAG_RESOLUTION_UNIT) unit = readValue(entry) ?? 0;
  }
  if (x === null || y === null || !(x > 0) || !(y > 0) || !Number.isFinite(x) || !Number.isFinite(y)) return null;
  if (unit === 2) return { x, y, unit: 'inch' };
  if (unit === 3) return { x, y, unit: 'cm' };
  return null;
}
