// A case file's life in a processing centre (seed 003): received at the liaison office and checked
// against its slip, registered (or returned to its unit), routed to a processing office, taken,
// processed (possibly deferred), self-checked by the office head, transferred to the paying centre
// when its kind says so, archived. Pure: no clock, no I/O.

import type { CaseFamily } from './case-kinds.ts';

export const CASE_FILE_STATUSES = [
  'received',
  'registered',
  'routed',
  'in_progress',
  'deferred',
  'processed',
  'checked',
  'transferred',
  'archived',
  'returned',
] as const;
export type CaseFileStatus = (typeof CASE_FILE_STATUSES)[number];

export const CASE_FILE_STATUS_LABELS: Record<CaseFileStatus, string> = {
  received: 'Reçu, en contrôle au bureau de liaison',
  registered: 'Enregistré',
  routed: 'Réparti, en attente de traitement',
  in_progress: 'En traitement',
  deferred: 'Traitement différé',
  processed: 'Traité, en attente d’auto-contrôle',
  checked: 'Auto-contrôlé',
  transferred: 'Transféré au centre payeur',
  archived: 'Archivé',
  returned: 'Renvoyé à la formation',
};

const NEXT: Record<CaseFileStatus, readonly CaseFileStatus[]> = {
  received: ['registered', 'returned'],
  registered: ['routed', 'returned'],
  routed: ['routed', 'in_progress', 'processed', 'returned'],
  in_progress: ['routed', 'deferred', 'processed', 'returned'],
  deferred: ['in_progress', 'processed', 'returned'],
  processed: ['checked', 'in_progress'],
  checked: ['transferred', 'archived'],
  transferred: ['archived'],
  archived: [],
  returned: [],
};

export function isCaseFileStatus(v: string): v is CaseFileStatus {
  return (CASE_FILE_STATUSES as readonly string[]).includes(v);
}

/** Files still in the centre (the ageing report's population once registered). */
export const OPEN_STATUSES: readonly CaseFileStatus[] = CASE_FILE_STATUSES.filter(
  (s) => s !== 'archived' && s !== 'returned',
);

export type Move = { ok: true } | { ok: false; reason: string };

/**
 * May a file move from `from` to `to`? Card files are processed by the card workflows themselves,
 * so they reach « processed » from the queue; a unit file is processed only once taken.
 */
export function moveCaseFile(
  from: CaseFileStatus,
  to: CaseFileStatus,
  opts: { family?: CaseFamily; transfer?: boolean } = {},
): Move {
  const refuse = (reason: string): Move => ({ ok: false, reason });
  if (!NEXT[from].includes(to))
    return refuse(
      `Un dossier « ${CASE_FILE_STATUS_LABELS[from]} » ne peut pas passer à « ${CASE_FILE_STATUS_LABELS[to]} ».`,
    );
  if (from === 'routed' && to === 'processed' && opts.family !== 'card')
    return refuse('Le dossier doit d’abord être pris en charge par un agent du bureau de traitement.');
  if (from === 'checked' && to === 'archived' && opts.transfer)
    return refuse('Ce dossier doit d’abord être transféré au centre payeur.');
  if (from === 'checked' && to === 'transferred' && opts.transfer === false)
    return refuse('Ce type de dossier ne se transfère pas : il s’archive après l’auto-contrôle.');
  return { ok: true };
}

export const PRIORITIES = ['normal', 'relative', 'absolute'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LABELS: Record<Priority, string> = {
  normal: 'Normale',
  relative: 'Priorité relative',
  absolute: 'Priorité absolue',
};
/** Queue order: absolute first, then relative, then normal. */
export const PRIORITY_RANK: Record<Priority, number> = { absolute: 0, relative: 1, normal: 2 };

export const PIECE_STATES = ['expected', 'present', 'missing', 'obtained'] as const;
export type PieceState = (typeof PIECE_STATES)[number];
export const PIECE_STATE_LABELS: Record<PieceState, string> = {
  expected: 'À vérifier',
  present: 'Présente',
  missing: 'Manquante',
  obtained: 'Obtenue auprès de la formation',
};

export const CHECK_STATES = ['pending', 'ok', 'failed', 'resolved'] as const;
export type CheckState = (typeof CHECK_STATES)[number];
export const CHECK_STATE_LABELS: Record<CheckState, string> = {
  pending: 'À contrôler',
  ok: 'Conforme',
  failed: 'Non conforme',
  resolved: 'Régularisé après contact',
};

export const CONTACT_CHANNELS = { phone: 'Téléphone', fax: 'Télécopie', email: 'Courriel' } as const;
export type ContactChannel = keyof typeof CONTACT_CHANNELS;

export interface PieceFacts {
  code: string;
  label: string;
  required: boolean;
  state: PieceState;
}
export interface CheckFacts {
  code: string;
  label: string;
  state: CheckState;
}

/** What still prevents registering a received file (§2.2); empty when it can be registered. */
export function registrationBlockers(pieces: PieceFacts[], checks: CheckFacts[]): { field: string; reason: string }[] {
  const out: { field: string; reason: string }[] = [];
  for (const p of pieces) {
    if (p.state === 'present' || p.state === 'obtained') continue;
    if (!p.required && p.state === 'expected') continue;
    if (p.state === 'missing' && !p.required) continue;
    out.push({
      field: `pieces.${p.code}`,
      reason: p.state === 'missing' ? `Pièce manquante : ${p.label}.` : `Pièce à vérifier : ${p.label}.`,
    });
  }
  for (const c of checks) {
    if (c.state === 'ok' || c.state === 'resolved') continue;
    out.push({
      field: `checks.${c.code}`,
      reason: c.state === 'failed' ? `Contrôle non conforme : ${c.label}.` : `Contrôle à faire : ${c.label}.`,
    });
  }
  return out;
}

const DAY_MS = 86_400_000;

/** Whole days between two instants (ISO), floored: a file registered 30 days and 1 hour ago is 30 days old. */
export function ageInDays(sinceIso: string, asOfIso: string): number {
  return Math.floor((Date.parse(asOfIso) - Date.parse(sinceIso)) / DAY_MS);
}

/** Registered before this instant = registered more than `days` days before `asOf`. */
export function ageingCutoff(asOfIso: string, days: number): string {
  return new Date(Date.parse(asOfIso) - days * DAY_MS).toISOString();
}

/** Target date (YYYY-MM-DD) of a file registered at `registeredIso` with a target of `days`. */
export function dueOn(registeredIso: string, days: number): string {
  return new Date(Date.parse(registeredIso) + days * DAY_MS).toISOString().slice(0, 10);
}

export function caseFileNumber(year: number, n: number): string {
  return `DOS-${year}-${String(n).padStart(7, '0')}`;
}
export function slipNumber(year: number, n: number): string {
  return `BE-${year}-${String(n).padStart(6, '0')}`;
}
export function archiveTransferNumber(year: number, n: number): string {
  return `VA-${year}-${String(n).padStart(4, '0')}`;
}

/** The month (YYYY-MM) before the one of `asOfIso`: the monthly report covers the month just ended. */
export function previousMonth(asOfIso: string): string {
  const d = new Date(asOfIso);
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return m.toISOString().slice(0, 7);
}

/** First instant of a month and of the next one, for "during month M" queries. */
export function monthBounds(month: string): { from: string; to: string } | null {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return null;
  const [y, m] = month.split('-').map(Number) as [number, number];
  return {
    from: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
    to: new Date(Date.UTC(y, m, 1)).toISOString(),
  };
}

/** Euros from cents, French notation: 1 234,56 €. */
export function euros(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${sign}${whole},${String(abs % 100).padStart(2, '0')} €`;
}

/** Parses an amount in euros as a liquidation application prints it (« 1 234,56 », « 1234.56 »). */
export function parseEuros(text: string): number | null {
  const t = text.replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  if (!/^-?\d{1,9}(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.replace('-', '').split('.');
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return t.startsWith('-') ? -cents : cents;
}

// Timeline entries, in the centre's words.
export const EVENT_LABELS: Record<string, string> = {
  opened: 'Dossier ouvert par la plateforme',
  received: 'Reçu au bureau de liaison avec le bordereau',
  piece: 'Pièce contrôlée',
  piece_attached: 'Pièce jointe au dossier',
  check: 'Contrôle de forme',
  contact: 'Contact avec la formation',
  correction: 'Correction d’une erreur matérielle',
  registered: 'Enregistré',
  routed: 'Réparti vers un bureau de traitement',
  priority: 'Priorité fixée par le chef de centre',
  taken: 'Pris en charge',
  released: 'Remis dans la file du bureau',
  deferred: 'Traitement différé',
  unit_notified: 'Formation avertie du traitement différé',
  resumed: 'Traitement repris',
  processed: 'Traité',
  amount: 'Montant du décompte enregistré',
  self_check: 'Auto-contrôle du chef de bureau',
  self_check_refused: 'Auto-contrôle : renvoyé en traitement',
  transferred: 'Transféré au centre payeur',
  returned: 'Renvoyé à la formation',
  archived: 'Archivé',
  archive_transferred: 'Archives versées',
  card_step: 'Étape de la carte',
  control_sampled: 'Retenu pour le contrôle interne du BOM',
  controlled: 'Contrôlé par le bureau « organisation et méthodes »',
  control_sheet: 'Fiche de contrôle établie',
  verifier_transmission: 'Copie transmise au service vérificateur de la formation',
};

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * Free text typed by a person: trimmed, bounded, without control or bidirectional-override
 * characters (kept exactly as stored, so its hash in the audit trail is the text's). Newlines only
 * where `multiline`.
 */
export function freeText(
  value: unknown,
  max: number,
  opts: { required?: boolean; multiline?: boolean } = {},
): { ok: true; value: string | null } | { ok: false; reason: string } {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
    return opts.required ? { ok: false, reason: 'Obligatoire.' } : { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, reason: 'Texte attendu.' };
  const v = value.replace(/\r\n?/g, '\n').trim();
  if (v.length > max) return { ok: false, reason: `${max} caractères au plus.` };
  if (CONTROL.test(v) || BIDI.test(v) || (!opts.multiline && v.includes('\n')))
    return { ok: false, reason: 'Caractères de contrôle ou de mise en forme interdits.' };
  if (v.normalize('NFC') !== v) return { ok: false, reason: 'Texte non normalisé (Unicode NFC attendu).' };
  return { ok: true, value: v };
}
