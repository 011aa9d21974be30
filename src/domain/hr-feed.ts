// HR feed (flux SIRH): column names, header check, row validation and normalisation.
// Pure module: no I/O, no clock (the reference date is passed in), no imports outside the domain.

import { textFault } from './text.ts';

export type IdentifierKind = 'nid' | 'alliance' | 'internal';
export type StaffStatus = 'civil' | 'military';

export type AgentFeedRecord = {
  identifier: string;
  identifierKind: IdentifierKind;
  lastName: string;
  firstNames: string;
  sex: 'F' | 'M';
  birthDate: string; // YYYY-MM-DD
  birthPlace: string;
  email: string | null;
  phone: string | null;
  unitAddress: string | null;
  staffStatus: StaffStatus;
  category: string | null;
  profile: string | null;
  habilitations: string[];
  organizationCode: string | null;
};

/** Canonical column names, in the order of the reference header row. */
export const FEED_COLUMNS = [
  'identifiant',
  'type_identifiant',
  'nom',
  'prenoms',
  'sexe',
  'date_naissance',
  'lieu_naissance',
  'courriel',
  'telephone',
  'adresse_unite',
  'statut',
  'categorie',
  'profil',
  'habilitations',
  'organisation',
] as const;

export type FeedColumn = (typeof FEED_COLUMNS)[number];

export const REQUIRED_FEED_COLUMNS: readonly FeedColumn[] = [
  'identifiant',
  'nom',
  'prenoms',
  'sexe',
  'date_naissance',
  'lieu_naissance',
];

/** English aliases accepted in the header (and as JSONL keys). */
export const FEED_COLUMN_ALIASES: Readonly<Record<string, FeedColumn>> = {
  identifier: 'identifiant',
  identifier_kind: 'type_identifiant',
  last_name: 'nom',
  first_names: 'prenoms',
  sex: 'sexe',
  birth_date: 'date_naissance',
  birth_place: 'lieu_naissance',
  email: 'courriel',
  phone: 'telephone',
  unit_address: 'adresse_unite',
  status: 'statut',
  category: 'categorie',
  profile: 'profil',
  organization: 'organisation',
};

/** Client applications a card can be habilitated for (normalised codes). */
export const HABILITATION_CODES = [
  'COMEDEC',
  'HELIOS',
  'ACTES',
  'SAIP',
  'TES',
  'CHORUS',
  'SOURCE_SOLDE',
  'CIMS',
] as const;

export type HabilitationCode = (typeof HABILITATION_CODES)[number];

// Keyed by the label upper-cased, without accents and without any non-alphanumeric character.
const HABILITATION_LABELS: ReadonlyMap<string, HabilitationCode> = new Map<string, HabilitationCode>([
  ['COMEDEC', 'COMEDEC'],
  ['HELIOS', 'HELIOS'],
  ['HELIOSPESV2', 'HELIOS'],
  ['PESV2', 'HELIOS'],
  ['ACTES', 'ACTES'],
  ['SAIP', 'SAIP'],
  ['TES', 'TES'],
  ['CHORUS', 'CHORUS'],
  ['SOURCESOLDE', 'SOURCE_SOLDE'],
  ['CIMS', 'CIMS'],
]);

const CANONICAL: ReadonlySet<string> = new Set(FEED_COLUMNS);

/** True when every character is ASCII: normalisation leaves the string as it is and it has no mark to strip. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function stripAccents(s: string): string {
  return isAscii(s) ? s : s.normalize('NFD').replace(/\p{M}/gu, '');
}

/** Header cell (or JSONL key) → canonical column, or null if unknown. Case, accents, spaces/hyphens are ignored. */
export function resolveColumnName(name: string): FeedColumn | null {
  // Called for every key of every row: the few names a feed uses are resolved once.
  const cached = columnNameCache.get(name);
  if (cached !== undefined) return cached;
  const key = stripAccents(name)
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  const col = CANONICAL.has(key)
    ? (key as FeedColumn)
    : Object.hasOwn(FEED_COLUMN_ALIASES, key)
      ? (FEED_COLUMN_ALIASES[key] ?? null)
      : null;
  if (columnNameCache.size < COLUMN_NAME_CACHE_SIZE) columnNameCache.set(name, col);
  return col;
}

const COLUMN_NAME_CACHE_SIZE = 1000;
const columnNameCache = new Map<string, FeedColumn | null>();

// ---------------------------------------------------------------------------------------------
// Header

/**
 * `columns[i]` is the canonical column of header cell i, or null for a trailing unnamed cell
 * (spreadsheet exports often end every line with `;`), whose values the reader requires empty.
 */
export type HeaderCheck = { ok: true; columns: (FeedColumn | null)[] } | { ok: false; error: string };

const quoteFr = (s: string): string => `« ${s} »`;

export function checkHeader(columns: readonly string[]): HeaderCheck {
  const map: (FeedColumn | null)[] = [];
  const unknown: string[] = [];
  const unnamed: number[] = [];
  const seen = new Map<FeedColumn, string[]>();
  let lastNamed = -1;
  columns.forEach((c, i) => {
    if (c.trim() !== '') lastNamed = i;
  });
  columns.forEach((c, i) => {
    if (c.trim() === '') {
      if (i < lastNamed) unnamed.push(i + 1);
      map.push(null);
      return;
    }
    const col = resolveColumnName(c);
    if (col === null) {
      unknown.push(c.trim());
      map.push(null);
      return;
    }
    const names = seen.get(col) ?? [];
    names.push(c.trim());
    seen.set(col, names);
    map.push(col);
  });
  const missing = REQUIRED_FEED_COLUMNS.filter((c) => !seen.has(c));
  const duplicates = [...seen].filter(([, names]) => names.length > 1);

  const problems: string[] = [];
  if (lastNamed === -1) problems.push('la ligne d’en-tête est vide');
  else if (missing.length > 0) problems.push(`colonnes obligatoires absentes : ${missing.join(', ')}`);
  if (unknown.length > 0) {
    problems.push(
      `colonnes inconnues : ${unknown.map(quoteFr).join(', ')} (colonnes admises : ${FEED_COLUMNS.join(', ')})`,
    );
  }
  if (duplicates.length > 0) {
    problems.push(
      `colonnes en double : ${duplicates.map(([col, names]) => `${col} (${names.map(quoteFr).join(', ')})`).join(' ; ')}`,
    );
  }
  if (unnamed.length > 0) problems.push(`colonnes sans nom en position ${unnamed.join(', ')}`);
  if (problems.length > 0) return { ok: false, error: `En-tête du flux SIRH invalide : ${problems.join(' ; ')}.` };
  return { ok: true, columns: map };
}

// ---------------------------------------------------------------------------------------------
// Row validation

export type FeedFieldError = { field: string; reason: string };
export type FeedRowResult = { ok: true; record: AgentFeedRecord } | { ok: false; errors: FeedFieldError[] };
export type ValidateFeedRowOptions = {
  /** Reference date (YYYY-MM-DD) for "not in the future" and minimum age. */
  today: string;
};

export const MIN_AGE_YEARS = 16;
export const MIN_BIRTH_YEAR = 1900;

const IDENTIFIER_RE = /^[A-Za-z0-9._-]+$/;
const NAME_RE = /^[\p{L}\p{M}\p{Zs}\t'’-]+$/u; // letters, blanks (collapsed), hyphens, apostrophes
const ORGANIZATION_RE = /^[A-Za-z0-9_-]+$/;
const EMAIL_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// C0/C1 control characters but CR and LF (line breaks are allowed in the unit address only).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LINE_FEED_RE = /[\r\n]/;

const codePoints = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // low surrogates belong to the preceding code point
  }
  return n;
};
const collapseSpaces = (s: string): string => s.replace(/\s+/g, ' ');
const fold = (s: string): string => stripAccents(s).toLowerCase();

type ParsedDate = { y: number; m: number; d: number };

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Parses JJ/MM/AAAA (day and month may have one digit) or AAAA-MM-JJ; 'format' or 'calendar' on failure. */
function parseDate(s: string): ParsedDate | 'format' | 'calendar' {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  let y: number, mo: number, d: number;
  if (m) {
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
  } else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
    if (!m) return 'format';
    d = Number(m[1]);
    mo = Number(m[2]);
    y = Number(m[3]);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return 'calendar';
  return { y, m: mo, d };
}

const dateKey = (p: ParsedDate): number => p.y * 10000 + p.m * 100 + p.d;
const isoDate = (p: ParsedDate): string =>
  `${String(p.y).padStart(4, '0')}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;

function normalizePhone(s: string): string | null {
  let t = s.replace(/[\s.\-()/\u00A0\u202F]/g, '');
  if (t.startsWith('00')) t = `+${t.slice(2)}`;
  if (/^\+330[1-9]\d{8}$/.test(t)) t = `+33${t.slice(4)}`; // "+33 (0)1 23 45 67 89"
  if (/^0[1-9]\d{8}$/.test(t)) return `+33${t.slice(1)}`;
  if (/^\+33[1-9]\d{8}$/.test(t)) return t;
  if (/^\+33/.test(t)) return null; // +33 with the wrong number of digits
  if (/^\+[1-9]\d{7,14}$/.test(t)) return t; // other E.164 numbers (overseas, posts abroad)
  return null;
}

function normalizeHabilitation(label: string): HabilitationCode | null {
  const key = stripAccents(label)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
  return HABILITATION_LABELS.get(key) ?? null;
}

/**
 * Validates and normalises one feed row (keys: canonical column names or aliases; unknown keys are ignored).
 * Never throws for any row content; throws a RangeError only if `options.today` is not a valid date.
 */
export function validateFeedRow(
  raw: Readonly<Record<string, string | undefined>>,
  options: ValidateFeedRowOptions,
): FeedRowResult {
  const today = typeof options?.today === 'string' ? parseDate(options.today) : 'format';
  if (typeof today === 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(options.today)) {
    throw new RangeError('validateFeedRow : options.today doit être une date AAAA-MM-JJ valide');
  }

  const errors: FeedFieldError[] = [];
  const err = (field: string, reason: string): void => {
    errors.push({ field, reason });
  };

  // Collect trimmed, NFC-normalised values; empty string = absent.
  const values = new Map<FeedColumn, string>();
  const unreadable = new Set<FeedColumn>();
  const provided = new Set<FeedColumn>();
  for (const key of Object.keys(raw)) {
    const col = resolveColumnName(key);
    if (col === null) continue;
    const v: unknown = raw[key];
    if (v === undefined || v === null) continue;
    const t = typeof v === 'string' ? (isAscii(v) ? v : v.normalize('NFC')).trim() : null;
    if (t === '') continue;
    if (provided.has(col)) {
      err(col, 'colonne fournie plusieurs fois (nom français et alias)');
      continue;
    }
    provided.add(col);
    if (t === null) {
      err(col, 'valeur non textuelle');
      unreadable.add(col);
      continue;
    }
    if (t.includes('\uFFFD')) {
      err(col, 'caractère illisible (« \uFFFD ») : le fichier n’est probablement pas encodé en UTF-8');
      unreadable.add(col);
      continue;
    }
    const fault = textFault(t);
    if (fault) {
      err(col, fault);
      unreadable.add(col);
      continue;
    }
    values.set(col, t);
  }
  const get = (col: FeedColumn): string | undefined => values.get(col);
  const required = (col: FeedColumn): string | undefined => {
    const v = values.get(col);
    if (v === undefined && !unreadable.has(col)) err(col, 'valeur obligatoire manquante');
    return v;
  };
  const maxLength = (col: FeedColumn, v: string, max: number): boolean => {
    const n = codePoints(v);
    if (n <= max) return true;
    err(col, `${max} caractères au maximum (${n} reçus)`);
    return false;
  };
  /** Free text: length limit, no control characters. */
  const freeText = (col: FeedColumn, v: string | undefined, max: number, multiline = false): string | null => {
    if (v === undefined) return null;
    let ok = maxLength(col, v, max);
    if (CONTROL_RE.test(v) || (!multiline && LINE_FEED_RE.test(v))) {
      err(
        col,
        multiline ? 'caractères de contrôle interdits' : 'caractères de contrôle ou retours à la ligne interdits',
      );
      ok = false;
    }
    if (!ok) return null;
    if (!multiline) return collapseSpaces(v);
    return v
      .split(/\r\n|\r|\n/)
      .map((l) => collapseSpaces(l).trim())
      .filter((l) => l !== '')
      .join('\n');
  };

  // identifiant + type_identifiant
  const identifier = required('identifiant');
  let identifierOk = false;
  if (identifier !== undefined) {
    identifierOk = maxLength('identifiant', identifier, 64);
    if (!IDENTIFIER_RE.test(identifier)) {
      err('identifiant', 'caractères autorisés : lettres non accentuées, chiffres, point, tiret et tiret bas');
      identifierOk = false;
    }
  }
  let identifierKind: IdentifierKind | null = 'internal';
  const kindRaw = get('type_identifiant');
  if (kindRaw !== undefined) {
    const k = fold(kindRaw);
    identifierKind =
      k === 'nid' ? 'nid' : k === 'alliance' ? 'alliance' : k === 'interne' || k === 'internal' ? 'internal' : null;
    if (identifierKind === null) {
      err('type_identifiant', `valeur ${quoteFr(kindRaw)} inconnue (valeurs admises : nid, alliance, interne)`);
    }
  }
  if (identifier !== undefined && identifierOk) {
    if (identifierKind === 'nid' && !/^\d{6,15}$/.test(identifier)) {
      err('identifiant', 'un identifiant de type nid doit comporter de 6 à 15 chiffres');
    } else if (identifierKind === 'alliance' && !/^\d{10}$/.test(identifier)) {
      err('identifiant', 'un identifiant de type alliance doit comporter exactement 10 chiffres');
    }
  }

  // nom, prenoms
  const name = (col: 'nom' | 'prenoms'): string | null => {
    const v = required(col);
    if (v === undefined) return null;
    let ok = maxLength(col, v, 100);
    if (!NAME_RE.test(v) || !/\p{L}/u.test(v)) {
      err(col, 'caractères autorisés : lettres (accentuées ou non), espaces, tirets et apostrophes');
      ok = false;
    }
    return ok ? collapseSpaces(v).replace(/’/g, "'") : null;
  };
  const lastNameRaw = name('nom');
  const lastName = lastNameRaw === null ? null : lastNameRaw.toLocaleUpperCase('fr-FR');
  const firstNames = name('prenoms');

  // sexe
  let sex: 'F' | 'M' | null = null;
  const sexRaw = required('sexe');
  if (sexRaw !== undefined) {
    const s = fold(sexRaw);
    sex = s === 'f' || s === 'feminin' ? 'F' : s === 'm' || s === 'masculin' ? 'M' : null;
    if (sex === null) err('sexe', `valeur ${quoteFr(sexRaw)} inconnue (valeurs admises : F, M, féminin, masculin)`);
  }

  // date_naissance
  let birthDate: string | null = null;
  const dateRaw = required('date_naissance');
  if (dateRaw !== undefined) {
    const p = parseDate(dateRaw);
    if (p === 'format')
      err('date_naissance', `format de date invalide ${quoteFr(dateRaw)} (attendu : JJ/MM/AAAA ou AAAA-MM-JJ)`);
    else if (p === 'calendar') err('date_naissance', `date inexistante ${quoteFr(dateRaw)}`);
    else if (p.y < MIN_BIRTH_YEAR) err('date_naissance', `année antérieure à ${MIN_BIRTH_YEAR}`);
    else if (dateKey(p) > dateKey(today))
      err('date_naissance', `date postérieure à la date du jour (${options.today})`);
    else if (dateKey({ ...p, y: p.y + MIN_AGE_YEARS }) > dateKey(today)) {
      err('date_naissance', `l’agent doit avoir au moins ${MIN_AGE_YEARS} ans`);
    } else birthDate = isoDate(p);
  }

  // lieu_naissance
  const birthPlace = freeText('lieu_naissance', required('lieu_naissance'), 100);

  // courriel
  let email: string | null = null;
  const emailRaw = get('courriel');
  if (emailRaw !== undefined) {
    const e = emailRaw.toLowerCase();
    const local = e.slice(0, Math.max(0, e.lastIndexOf('@')));
    if (e.length > 254 || local.length > 64 || !EMAIL_RE.test(e)) {
      err('courriel', `adresse électronique invalide ${quoteFr(emailRaw)}`);
    } else email = e;
  }

  // telephone
  let phone: string | null = null;
  const phoneRaw = get('telephone');
  if (phoneRaw !== undefined) {
    phone = phoneRaw.length <= 40 ? normalizePhone(phoneRaw) : null;
    if (phone === null) {
      err('telephone', `numéro invalide ${quoteFr(phoneRaw)} (attendu : 01 23 45 67 89 ou +33 1 23 45 67 89)`);
    }
  }

  // adresse_unite, categorie, profil
  const unitAddress = freeText('adresse_unite', get('adresse_unite'), 500, true);
  const category = freeText('categorie', get('categorie'), 100);
  const profile = freeText('profil', get('profil'), 100);

  // statut
  let staffStatus: StaffStatus | null = 'civil';
  const statusRaw = get('statut');
  if (statusRaw !== undefined) {
    const s = fold(statusRaw);
    staffStatus = s === 'civil' || s === 'civile' ? 'civil' : s === 'militaire' || s === 'military' ? 'military' : null;
    if (staffStatus === null)
      err('statut', `valeur ${quoteFr(statusRaw)} inconnue (valeurs admises : civil, militaire)`);
  }

  // habilitations
  const habilitations: HabilitationCode[] = [];
  const habRaw = get('habilitations');
  if (habRaw !== undefined) {
    const found = new Set<HabilitationCode>();
    const unknown: string[] = [];
    for (const item of habRaw.split(/[|,]/)) {
      const label = item.trim();
      if (label === '') continue;
      const code = normalizeHabilitation(label);
      if (code === null) unknown.push(label);
      else found.add(code);
    }
    if (unknown.length > 0) {
      err(
        'habilitations',
        `${unknown.length > 1 ? 'applications inconnues' : 'application inconnue'} : ${unknown.map(quoteFr).join(', ')} (valeurs admises : ${HABILITATION_CODES.join(', ')})`,
      );
    }
    for (const code of HABILITATION_CODES) if (found.has(code)) habilitations.push(code);
  }

  // organisation
  let organizationCode: string | null = null;
  const orgRaw = get('organisation');
  if (orgRaw !== undefined) {
    let ok = maxLength('organisation', orgRaw, 32);
    if (!ORGANIZATION_RE.test(orgRaw)) {
      err('organisation', 'caractères autorisés : lettres non accentuées, chiffres, tiret et tiret bas');
      ok = false;
    }
    if (ok) organizationCode = orgRaw;
  }

  if (
    errors.length > 0 ||
    identifier === undefined ||
    identifierKind === null ||
    lastName === null ||
    firstNames === null ||
    sex === null ||
    birthDate === null ||
    birthPlace === null ||
    staffStatus === null
  ) {
    // The null checks only narrow types: any null above comes with an error.
    return { ok: false, errors };
  }
  return {
    ok: true,
    record: {
      identifier,
      identifierKind,
      lastName,
      firstNames,
      sex,
      birthDate,
      birthPlace,
      email,
      phone,
      unitAddress,
      staffStatus,
      category,
      profile,
      habilitations,
      organizationCode,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

/**
 * Stable string identifying the content of a normalised record (fixed field order, habilitations
 * in canonical order), used to skip unchanged rows between two imports. Versioned: if it changes,
 * every row is seen as changed once.
 */
export function recordFingerprint(record: AgentFeedRecord): string {
  const habilitations = [...new Set(record.habilitations)].sort((a, b) => {
    const ia = (HABILITATION_CODES as readonly string[]).indexOf(a);
    const ib = (HABILITATION_CODES as readonly string[]).indexOf(b);
    const ra = ia === -1 ? HABILITATION_CODES.length : ia;
    const rb = ib === -1 ? HABILITATION_CODES.length : ib;
    return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
  });
  return JSON.stringify([
    'hr-feed/v1',
    record.identifier,
    record.identifierKind,
    record.lastName,
    record.firstNames,
    record.sex,
    record.birthDate,
    record.birthPlace,
    record.email,
    record.phone,
    record.unitAddress,
    record.staffStatus,
    record.category,
    record.profile,
    habilitations,
    record.organizationCode,
  ]);
}
