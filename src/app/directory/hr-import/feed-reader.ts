// Streaming reader for the HR feed (flux SIRH), CSV (`;`) or JSONL.
// Memory stays flat whatever the file size: bytes are decoded chunk by chunk and only the current,
// incomplete record is kept between two chunks (bounded by MAX_RECORD_CHARS).
// Rows are yielded raw (canonical column names → strings); validation is `validateFeedRow`'s job.

import iconv from 'iconv-lite';
import { checkHeader, resolveColumnName, type FeedColumn } from '../../../domain/hr-feed.ts';

export type FeedFormat = 'csv' | 'jsonl';

export type FeedItem =
  { line: number; kind: 'row'; raw: Record<string, string> } | { line: number; kind: 'bad'; errors: string[] };

export type ReadFeedOptions = {
  /** Called after the rows of each input chunk have been consumed, with the number of bytes read so far. */
  onProgress?: (bytesRead: number) => void;
};

export type FeedFormatErrorCode = 'empty' | 'binary' | 'encoding' | 'separator' | 'header' | 'not-jsonl';

/** The input is not an HR feed at all (as opposed to a feed with bad lines). `message` is in French. */
export class FeedFormatError extends Error {
  override readonly name = 'FeedFormatError';
  readonly code: FeedFormatErrorCode;
  constructor(code: FeedFormatErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Encoding detection looks at this many leading bytes: not valid UTF-8 → Windows-1252. */
export const ENCODING_PROBE_BYTES = 64 * 1024;
/** A CSV record (or JSONL line) longer than this is reported as bad without being buffered further. */
export const MAX_RECORD_CHARS = 64 * 1024;
/** A quoted CSV field spanning more physical lines than this is taken as an unclosed quote. */
export const MAX_RECORD_LINES = 50;

// ---------------------------------------------------------------------------------------------
// Bytes → text

type DecodedChunk = { text: string; bytesRead: number };

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8'); // stream with setEncoding(): already text
  throw new TypeError('readFeed : le flux doit produire des octets (Uint8Array)');
}

function looksLikeUtf8(bytes: Uint8Array, eof: boolean): boolean {
  try {
    // stream: true tolerates a multi-byte character cut at the end of the probe.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !eof });
    return true;
  } catch {
    return false;
  }
}

function makeDecoder(probe: Uint8Array, eof: boolean): (bytes: Uint8Array | null) => string {
  if (
    probe.length === 0 ||
    (eof && probe.length === 3 && probe[0] === 0xef && probe[1] === 0xbb && probe[2] === 0xbf)
  ) {
    throw new FeedFormatError('empty', 'Le fichier est vide.');
  }
  if ((probe[0] === 0xff && probe[1] === 0xfe) || (probe[0] === 0xfe && probe[1] === 0xff)) {
    throw new FeedFormatError(
      'encoding',
      'Le fichier est encodé en UTF-16, qui n’est pas pris en charge : enregistrez-le en UTF-8 (CSV UTF-8).',
    );
  }
  if (probe.includes(0)) {
    throw new FeedFormatError(
      'binary',
      'Le fichier contient des données binaires : ce n’est pas un fichier texte (un classeur Excel doit être exporté en CSV).',
    );
  }
  if (looksLikeUtf8(probe.subarray(0, ENCODING_PROBE_BYTES), eof && probe.length <= ENCODING_PROBE_BYTES)) {
    const utf8 = new TextDecoder('utf-8'); // strips a leading BOM; invalid bytes later on become U+FFFD
    return (bytes) => (bytes === null ? utf8.decode() : utf8.decode(bytes, { stream: true }));
  }
  const cp1252 = iconv.getDecoder('windows-1252');
  return (bytes) =>
    bytes === null ? (cp1252.end() ?? '') : cp1252.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

async function* decodeText(input: AsyncIterable<unknown>): AsyncGenerator<DecodedChunk> {
  let bytesRead = 0;
  let probe: Uint8Array[] | null = [];
  let probeLength = 0;
  let decode: ((bytes: Uint8Array | null) => string) | null = null;
  for await (const chunk of input) {
    const bytes = toBytes(chunk);
    if (bytes.length === 0) continue;
    bytesRead += bytes.length;
    if (probe !== null) {
      probe.push(bytes);
      probeLength += bytes.length;
      if (probeLength < ENCODING_PROBE_BYTES) continue;
      const all = Buffer.concat(probe);
      probe = null;
      decode = makeDecoder(all, false);
      yield { text: decode(all), bytesRead };
    } else if (decode !== null) {
      yield { text: decode(bytes), bytesRead };
    }
  }
  if (probe !== null) {
    const all = Buffer.concat(probe);
    decode = makeDecoder(all, true);
    yield { text: decode(all), bytesRead };
  }
  if (decode !== null) {
    const rest = decode(null);
    if (rest !== '') yield { text: rest, bytesRead };
  }
}

// ---------------------------------------------------------------------------------------------
// CSV records

type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

type ParseResult =
  | { status: 'need-more' }
  | { status: 'record'; fields: string[]; next: number; newlines: number }
  | { status: 'error'; reason: string; next: number; newlines: number }
  | { status: 'resync'; reason: string }
  | { status: 'too-long'; reason: string; at: number; newlines: number };

const QUOTE = 0x22;
const SEMICOLON = 0x3b;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

const UNCLOSED = 'guillemet ouvrant jamais refermé';
const TOO_LONG = `ligne trop longue (plus de ${MAX_RECORD_CHARS} caractères)`;

/** Index of the first CR or LF at or after `from`, or -1. */
function indexOfEol(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || c === CR) return i;
  }
  return -1;
}

/**
 * Parses one record starting at `p`. Never looks past the buffer: returns 'need-more' when the
 * record may continue in the next chunk (the caller re-parses it from `p` with more text).
 */
function parseRecord(s: string, p: number, eof: boolean): ParseResult {
  const len = s.length;
  const fields: string[] = [];
  let newlines = 0;
  let i = p;

  // Ends the record at the line terminator at index k.
  const endAt = (k: number, result: 'record' | 'error', reason = ''): ParseResult => {
    if (s.charCodeAt(k) === CR && k + 1 >= len && !eof) return { status: 'need-more' };
    const next = s.charCodeAt(k) === CR && s.charCodeAt(k + 1) === LF ? k + 2 : k + 1;
    return result === 'record'
      ? { status: 'record', fields, next, newlines: newlines + 1 }
      : { status: 'error', reason, next, newlines: newlines + 1 };
  };
  // Malformed record. If it already spans several physical lines (a stray opening quote swallowed
  // the next lines), report its first line only and parse the following lines again; otherwise
  // discard up to the end of the current line.
  const skipLine = (k: number, reason: string): ParseResult => {
    if (newlines > 0) return { status: 'resync', reason };
    const t = indexOfEol(s, k);
    if (t === -1) {
      if (len - p > MAX_RECORD_CHARS) return { status: 'too-long', reason, at: len, newlines };
      return eof ? { status: 'error', reason, next: len, newlines } : { status: 'need-more' };
    }
    return endAt(t, 'error', reason);
  };

  for (;;) {
    // Start of a field. Blanks before an opening quote are tolerated.
    let j = i;
    while (j < len && (s.charCodeAt(j) === SPACE || s.charCodeAt(j) === TAB)) j++;
    if (j < len && s.charCodeAt(j) === QUOTE) {
      let k = j + 1;
      let segStart = k;
      let value = '';
      for (;;) {
        if (k - p > MAX_RECORD_CHARS || newlines > MAX_RECORD_LINES) return { status: 'resync', reason: UNCLOSED };
        if (k >= len) return eof ? { status: 'resync', reason: UNCLOSED } : { status: 'need-more' };
        const c = s.charCodeAt(k);
        if (c === QUOTE) {
          if (k + 1 >= len && !eof) return { status: 'need-more' };
          if (s.charCodeAt(k + 1) === QUOTE) {
            value += s.slice(segStart, k + 1);
            k += 2;
            segStart = k;
            continue;
          }
          value += s.slice(segStart, k);
          k++;
          break;
        }
        if (c === LF) newlines++;
        else if (c === CR) {
          if (k + 1 >= len && !eof) return { status: 'need-more' };
          if (s.charCodeAt(k + 1) !== LF) newlines++; // CRLF counts once, on its LF
        }
        k++;
      }
      while (k < len && (s.charCodeAt(k) === SPACE || s.charCodeAt(k) === TAB)) k++;
      fields.push(value);
      if (k >= len) return eof ? { status: 'record', fields, next: len, newlines } : { status: 'need-more' };
      const c = s.charCodeAt(k);
      if (c === SEMICOLON) {
        i = k + 1;
        continue;
      }
      if (c === CR || c === LF) return endAt(k, 'record');
      return skipLine(
        k,
        'caractère inattendu après un guillemet fermant (un guillemet dans une valeur doit être doublé)',
      );
    }

    let k = i;
    for (; k < len; k++) {
      const c = s.charCodeAt(k);
      if (c === SEMICOLON || c === CR || c === LF) break;
      if (c === QUOTE) {
        return skipLine(
          k,
          'guillemet dans une valeur non entourée de guillemets (la valeur doit être entre guillemets et le guillemet doublé)',
        );
      }
      if (k - p > MAX_RECORD_CHARS) return { status: 'too-long', reason: TOO_LONG, at: k, newlines };
    }
    if (k >= len) {
      if (!eof) return { status: 'need-more' };
      fields.push(s.slice(i, k));
      return { status: 'record', fields, next: len, newlines };
    }
    fields.push(s.slice(i, k));
    if (s.charCodeAt(k) === SEMICOLON) {
      i = k + 1;
      continue;
    }
    return endAt(k, 'record');
  }
}

/** Splits decoded text into CSV records with the physical line number where each starts. */
class CsvSplitter {
  #buf = '';
  #line = 1;
  #skipping: { line: number; reason: string } | null = null;

  push(text: string): CsvRecord[] {
    this.#buf += text;
    return this.#drain(false);
  }

  end(): CsvRecord[] {
    return this.#drain(true);
  }

  #drain(eof: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    const s = this.#buf;
    let p = 0;
    while (p < s.length) {
      if (this.#skipping !== null) {
        const t = indexOfEol(s, p);
        if (t === -1 || (s.charCodeAt(t) === CR && t + 1 >= s.length && !eof)) {
          // Still inside the over-long line: drop what we have (keeping a trailing CR).
          p = t === -1 ? s.length : t;
          if (eof) {
            out.push({ line: this.#skipping.line, error: this.#skipping.reason });
            this.#skipping = null;
            p = s.length;
          }
          break;
        }
        out.push({ line: this.#skipping.line, error: this.#skipping.reason });
        this.#skipping = null;
        this.#line++;
        p = s.charCodeAt(t) === CR && s.charCodeAt(t + 1) === LF ? t + 2 : t + 1;
        continue;
      }
      const r = parseRecord(s, p, eof);
      if (r.status === 'need-more') break;
      if (r.status === 'record') {
        if (r.fields.some((f) => f.trim() !== '')) out.push({ line: this.#line, fields: r.fields });
        this.#line += r.newlines;
        p = r.next;
      } else if (r.status === 'error') {
        out.push({ line: this.#line, error: r.reason });
        this.#line += r.newlines;
        p = r.next;
      } else if (r.status === 'too-long') {
        this.#skipping = { line: this.#line, reason: r.reason };
        this.#line += r.newlines;
        p = r.at;
      } else {
        // Report the record's first physical line and resume right after it
        // (the following lines are parsed again, as records of their own).
        this.#skipping = { line: this.#line, reason: r.reason };
      }
    }
    // The file ends inside an over-long line already dropped (no final line break): report it.
    if (eof && this.#skipping !== null && p >= s.length) {
      out.push({ line: this.#skipping.line, error: this.#skipping.reason });
      this.#skipping = null;
    }
    this.#buf = s.slice(p);
    return out;
  }
}

/**
 * Copy of a value sliced out of a decoded chunk. V8 represents a slice of 13+ characters as a view
 * on its parent string, so a caller keeping some values (say, every identifier, to detect
 * duplicates) would otherwise keep every chunk of the file alive. Flattening a concatenation
 * makes a new string; the slice then only references that one.
 */
function detach(value: string): string {
  return value.length < 13 ? value : ` ${value}`.slice(1);
}

async function* readCsv(decoded: AsyncIterable<DecodedChunk>, opts: ReadFeedOptions): AsyncGenerator<FeedItem> {
  let header: (FeedColumn | null)[] | null = null;
  let minFields = 0;

  const toItem = (rec: CsvRecord): FeedItem | null => {
    if (header === null) {
      if ('error' in rec) {
        throw new FeedFormatError('header', `Ligne d’en-tête illisible (ligne ${rec.line}) : ${rec.error}.`);
      }
      if (rec.fields.length < 2) {
        const first = rec.fields[0] ?? '';
        const hint = first.includes('\t')
          ? ' (séparateur détecté : tabulation)'
          : first.includes(',')
            ? ' (séparateur détecté : virgule)'
            : '';
        throw new FeedFormatError(
          'separator',
          `La première ligne n’est pas séparée par des points-virgules${hint} : ce fichier n’est pas un flux SIRH au format CSV « ; ».`,
        );
      }
      const check = checkHeader(rec.fields);
      if (!check.ok) throw new FeedFormatError('header', check.error);
      header = check.columns;
      minFields = header.findLastIndex((c) => c !== null) + 1;
      return null;
    }
    if ('error' in rec) return { line: rec.line, kind: 'bad', errors: [rec.error] };
    const { fields } = rec;
    const extraFilled = fields.slice(header.length).some((f) => f.trim() !== '');
    if (fields.length < minFields || extraFilled) {
      return {
        line: rec.line,
        kind: 'bad',
        errors: [`nombre de colonnes incorrect : ${header.length} attendues, ${fields.length} trouvées`],
      };
    }
    const raw: Record<string, string> = {};
    const errors: string[] = [];
    for (let i = 0; i < fields.length && i < header.length; i++) {
      const col = header[i];
      const value = fields[i] ?? '';
      if (col !== null && col !== undefined) raw[col] = detach(value);
      else if (value.trim() !== '') errors.push(`valeur dans une colonne sans en-tête (colonne ${i + 1})`);
    }
    return errors.length > 0 ? { line: rec.line, kind: 'bad', errors } : { line: rec.line, kind: 'row', raw };
  };

  const splitter = new CsvSplitter();
  for await (const { text, bytesRead } of decoded) {
    for (const rec of splitter.push(text)) {
      const item = toItem(rec);
      if (item !== null) yield item;
    }
    opts.onProgress?.(bytesRead);
  }
  for (const rec of splitter.end()) {
    const item = toItem(rec);
    if (item !== null) yield item;
  }
  if (header === null) throw new FeedFormatError('empty', 'Le fichier ne contient aucune ligne (pas même l’en-tête).');
}

// ---------------------------------------------------------------------------------------------
// JSONL

type JsonlLine = { line: number; text: string } | { line: number; error: string };

class LineSplitter {
  #buf = '';
  #line = 1;
  #skipping = false;

  push(text: string): JsonlLine[] {
    this.#buf += text;
    return this.#drain(false);
  }

  end(): JsonlLine[] {
    return this.#drain(true);
  }

  #drain(eof: boolean): JsonlLine[] {
    const out: JsonlLine[] = [];
    const s = this.#buf;
    let p = 0;
    for (;;) {
      const t = s.indexOf('\n', p);
      if (t === -1) {
        if (this.#skipping) {
          p = s.length;
          if (eof) out.push({ line: this.#line, error: TOO_LONG });
        } else if (s.length - p > MAX_RECORD_CHARS) {
          this.#skipping = true;
          p = s.length;
          if (eof) out.push({ line: this.#line, error: TOO_LONG });
        } else if (eof && p < s.length) {
          out.push({ line: this.#line, text: s.slice(p) });
          p = s.length;
        }
        break;
      }
      if (this.#skipping || t - p > MAX_RECORD_CHARS) out.push({ line: this.#line, error: TOO_LONG });
      else out.push({ line: this.#line, text: s.slice(p, t) });
      this.#skipping = false;
      this.#line++;
      p = t + 1;
    }
    this.#buf = s.slice(p);
    return out;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonToRaw(obj: Record<string, unknown>): { raw: Record<string, string> } | { errors: string[] } {
  const raw: Record<string, string> = {};
  const errors: string[] = [];
  const keysOf = new Map<FeedColumn, string[]>();
  for (const key of Object.keys(obj)) {
    const col = resolveColumnName(key);
    if (col === null) {
      errors.push(`clé inconnue « ${key} »`);
      continue;
    }
    const keys = keysOf.get(col) ?? [];
    keys.push(key);
    keysOf.set(col, keys);
    if (keys.length === 2) errors.push(`colonne ${col} fournie plusieurs fois`);
    const v = obj[key];
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') raw[col] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) raw[col] = String(v);
    else if (Array.isArray(v) && col === 'habilitations' && v.every((x) => typeof x === 'string'))
      raw[col] = v.join('|');
    else {
      const kind = Array.isArray(v)
        ? 'un tableau'
        : typeof v === 'boolean'
          ? 'un booléen'
          : typeof v === 'object'
            ? 'un objet'
            : 'un nombre non fini';
      errors.push(`valeur de « ${key} » invalide : ${kind} n’est pas admis (texte ou nombre attendu)`);
    }
  }
  return errors.length > 0 ? { errors } : { raw };
}

async function* readJsonl(decoded: AsyncIterable<DecodedChunk>, opts: ReadFeedOptions): AsyncGenerator<FeedItem> {
  let seenObject = false;

  const toItem = (l: JsonlLine): FeedItem | null => {
    if ('error' in l) {
      if (!seenObject) {
        throw new FeedFormatError('not-jsonl', `Le fichier n’est pas au format JSONL : ligne ${l.line}, ${l.error}.`);
      }
      return { line: l.line, kind: 'bad', errors: [l.error] };
    }
    const text = l.text.trim();
    if (text === '') return null;
    let value: unknown;
    let problem: string | null = null;
    try {
      value = JSON.parse(text);
      if (!isPlainObject(value)) problem = 'la ligne n’est pas un objet JSON';
    } catch {
      problem = 'JSON invalide';
    }
    if (problem !== null || !isPlainObject(value)) {
      if (!seenObject) {
        throw new FeedFormatError(
          'not-jsonl',
          `Le fichier n’est pas au format JSONL (un objet JSON par ligne) : ligne ${l.line}, ${problem ?? 'JSON invalide'}.`,
        );
      }
      return { line: l.line, kind: 'bad', errors: [problem ?? 'JSON invalide'] };
    }
    seenObject = true;
    const r = jsonToRaw(value);
    return 'raw' in r ? { line: l.line, kind: 'row', raw: r.raw } : { line: l.line, kind: 'bad', errors: r.errors };
  };

  const splitter = new LineSplitter();
  for await (const { text, bytesRead } of decoded) {
    for (const l of splitter.push(text)) {
      const item = toItem(l);
      if (item !== null) yield item;
    }
    opts.onProgress?.(bytesRead);
  }
  for (const l of splitter.end()) {
    const item = toItem(l);
    if (item !== null) yield item;
  }
  if (!seenObject) throw new FeedFormatError('empty', 'Le fichier ne contient aucune ligne.');
}

// ---------------------------------------------------------------------------------------------

/**
 * Reads an HR feed lazily, yielding its rows and bad lines in file order with their physical line
 * numbers (header = line 1). Throws FeedFormatError if the input is not a feed at all.
 */
export async function* readFeed(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  format: FeedFormat,
  opts: ReadFeedOptions = {},
): AsyncGenerator<FeedItem, void, undefined> {
  if (format !== 'csv' && format !== 'jsonl') throw new TypeError(`readFeed : format inconnu « ${String(format)} »`);
  const decoded = decodeText(input as AsyncIterable<unknown>);
  if (format === 'csv') yield* readCsv(decoded, opts);
  else yield* readJsonl(decoded, opts);
}
