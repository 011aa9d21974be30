// Free text that the platform stores and hashes: well-formed Unicode only, without the characters
// that hide or reorder what a reader sees. Pure: no I/O.
//
// A lone UTF-16 surrogate cannot be written as UTF-8: each database replaces it on the way in, so
// a hash computed on the string before storage no longer matches what is read back. Control
// characters (NUL is refused by PostgreSQL) and bidirectional overrides/isolates (text that reads
// differently from how it is stored) have no place in names, reasons or remarks either.

// C0 controls but TAB, LF and CR (multi-line remarks keep their line breaks), DEL, C1 controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
/** LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI. */
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const BIDI_ALL = /[\u202A-\u202E\u2066-\u2069]/g;

/** Why a text may not be stored as given (French), or null when it may. */
export function textFault(s: string): string | null {
  if (!s.isWellFormed()) return 'caractère Unicode invalide (demi-paire de substitution isolée)';
  if (CONTROL.test(s)) return 'caractère de contrôle interdit';
  if (BIDI.test(s)) return 'caractère de contrôle de direction du texte interdit';
  return null;
}

/**
 * The text as it is stored: lone surrogates, forbidden controls and bidi controls each replaced by
 * U+FFFD. Idempotent, and the identity on text without fault.
 */
export function canonicalText(s: string): string {
  if (textFault(s) === null) return s;
  return s.toWellFormed().replace(CONTROL_ALL, '\uFFFD').replace(BIDI_ALL, '\uFFFD');
}
