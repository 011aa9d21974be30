// Internal control of a processing centre by its « organisation et méthodes » office (seed 003 §4):
// risk-based control plans and their reproducible sample, the three objects of a file's control,
// the control sheet's visas in order, recurring anomalies, and the periods (month, quarter) they
// are counted in. Pure: no clock, no I/O (hashing is a pure function).

import { monthLabel } from './steering.ts';
import { createHash } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Periods (UTC months: the files' dates are UTC instants)

export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const QUARTER_RE = /^\d{4}-Q[1-4]$/;

export function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

/** [start, end) of a month « YYYY-MM » as ISO instants. */
export function monthRange(period: string): { start: string; end: string } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(y, m - 1, 1)).toISOString(), end: new Date(Date.UTC(y, m, 1)).toISOString() };
}

export function addToMonth(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 7);
}

export function quarterOf(iso: string): string {
  const y = Number(iso.slice(0, 4));
  const m = Number(iso.slice(5, 7));
  return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
}

export function previousQuarter(quarter: string): string {
  const y = Number(quarter.slice(0, 4));
  const q = Number(quarter.slice(6));
  return q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`;
}

/** [start, end) of a quarter « YYYY-Qn » as ISO instants. */
export function quarterRange(quarter: string): { start: string; end: string } {
  const y = Number(quarter.slice(0, 4));
  const q = Number(quarter.slice(6));
  return {
    start: new Date(Date.UTC(y, (q - 1) * 3, 1)).toISOString(),
    end: new Date(Date.UTC(y, q * 3, 1)).toISOString(),
  };
}

/** « décembre 2026 », « 4e trimestre 2026 ». */
export function periodLabel(period: string): string {
  if (QUARTER_RE.test(period)) {
    const q = Number(period.slice(6));
    return `${q === 1 ? '1er' : `${q}e`} trimestre ${period.slice(0, 4)}`;
  }
  return monthLabel(period);
}

// ---------------------------------------------------------------------------------------------
// Control plans (§4.3.2): an objective per kind and office, weighted by the potential for error, the
// amounts at stake and last month's results.

export const WEIGHT_LEVELS = [1, 2, 3] as const;
export type WeightLevel = (typeof WEIGHT_LEVELS)[number];
export const WEIGHT_LABELS: Record<WeightLevel, string> = { 1: 'Faible', 2: 'Moyen', 3: 'Élevé' };

export interface PlanFactors {
  /** Potentialité d'erreur ou d'anomalie. */
  errorPotential: WeightLevel;
  /** Importance des montants financiers concernés. */
  amountStakes: WeightLevel;
  /** Share of last month's controls of this kind and office that found an anomaly (0..1), null if none. */
  lastMonthAnomalyRate: number | null;
}

/** Base share of the processed files to control when every factor is low. */
export const BASE_RATE = 0.05;

/**
 * The objective the platform suggests to the head of centre (who sets the final one): a base of 5 %
 * of the files processed, times 1, 1.5 or 2 for each weighting factor, times 1.5 when more than one
 * control in ten found an anomaly last month. At least one file when any was processed.
 */
export function suggestedObjective(population: number, f: PlanFactors): number {
  if (population <= 0) return 0;
  const level = (l: WeightLevel) => 1 + (l - 1) * 0.5;
  const lastMonth = f.lastMonthAnomalyRate !== null && f.lastMonthAnomalyRate > 0.1 ? 1.5 : 1;
  const n = Math.ceil(population * BASE_RATE * level(f.errorPotential) * level(f.amountStakes) * lastMonth);
  return Math.min(population, Math.max(1, n));
}

/** A fresh seed for a draw (kept with the plan): 32 hex characters from the caller's randomness. */
export function isDrawSeed(seed: string): boolean {
  return /^[0-9a-f]{16,64}$/.test(seed);
}

/**
 * The sample drawn a posteriori: each candidate gets the rank sha256(seed ‖ id) and the `count`
 * lowest are kept. The same seed and the same files give the same sample whatever their order;
 * another seed gives an independent one.
 */
export function drawSample(seed: string, candidateIds: readonly string[], count: number): string[] {
  const ranked = [...new Set(candidateIds)].map((id) => ({
    id,
    rank: createHash('sha256').update(`${seed}\u0000${id}`).digest('hex'),
  }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return ranked.slice(0, Math.max(0, Math.floor(count))).map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// Control of a file (§4.3.1): three objects, each with its verdict.

export const CONTROL_OBJECTS = ['evidence', 'coherence', 'rules'] as const;
export type ControlObject = (typeof CONTROL_OBJECTS)[number];
export const CONTROL_OBJECT_LABELS: Record<ControlObject, string> = {
  evidence: 'Existence d’une pièce justificative archivée dans le centre pour tout décompte effectué',
  coherence: 'Cohérence entre les pièces justificatives et les éléments du décompte',
  rules: 'Bonne application de la réglementation par le bureau de traitement',
};

export const VERDICTS = ['conform', 'anomaly'] as const;
export type Verdict = (typeof VERDICTS)[number];
export const VERDICT_LABELS: Record<Verdict, string> = { conform: 'Conforme', anomaly: 'Anomalie' };

export const CONTROL_ORIGINS = ['drawn', 'manual', 'deontological'] as const;
export type ControlOrigin = (typeof CONTROL_ORIGINS)[number];
export const CONTROL_ORIGIN_LABELS: Record<ControlOrigin, string> = {
  drawn: 'Tiré au sort par la plateforme',
  manual: 'Ajouté par le contrôleur',
  deontological: 'Contrôle déontologique trimestriel',
};

export const CONTROL_STATUSES = ['to_control', 'controlled'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];
export const CONTROL_STATUS_LABELS: Record<ControlStatus, string> = {
  to_control: 'À contrôler',
  controlled: 'Contrôlé',
};

/** A control finds an anomaly when any of its objects does. */
export function hasAnomaly(verdicts: Record<ControlObject, Verdict>): boolean {
  return CONTROL_OBJECTS.some((o) => verdicts[o] === 'anomaly');
}

/** The kinds of anomaly a sheet names: the « rule » that recurring anomalies are grouped by. */
export const ANOMALY_RULES = {
  missing_piece: 'Pièce justificative absente des archives',
  piece_mismatch: 'Incohérence entre les pièces et le décompte',
  wrong_rate: 'Taux ou barème mal appliqué',
  wrong_dates: 'Dates ou durée du déplacement erronées',
  wrong_rule: 'Réglementation mal appliquée',
  other: 'Autre anomalie',
} as const;
export type AnomalyRule = keyof typeof ANOMALY_RULES;
export function isAnomalyRule(v: string): v is AnomalyRule {
  return Object.hasOwn(ANOMALY_RULES, v);
}

// ---------------------------------------------------------------------------------------------
// The control sheet (§4.5, annex IV): opened on an anomaly, visa of the BOM head (then sent to the
// office concerned), the office head records the follow-up, visa of the head of centre, back to
// the BOM for archiving. Each step in this order, once.

export const SHEET_STATUSES = ['opened', 'sent', 'followed_up', 'approved', 'archived'] as const;
export type SheetStatus = (typeof SHEET_STATUSES)[number];
export const SHEET_STATUS_LABELS: Record<SheetStatus, string> = {
  opened: 'Ouverte, en attente du visa du chef du BOM',
  sent: 'Visée par le chef du BOM, adressée au bureau concerné',
  followed_up: 'Suite indiquée, en attente du visa du chef de centre',
  approved: 'Visée par le chef de centre, en retour au BOM',
  archived: 'Archivée au BOM',
};

export const SHEET_STEPS = ['bomVisa', 'followUp', 'centreVisa', 'archive'] as const;
export type SheetStep = (typeof SHEET_STEPS)[number];
export const SHEET_STEP_LABELS: Record<SheetStep, string> = {
  bomVisa: 'Visa du chef du bureau « organisation et méthodes »',
  followUp: 'Suite donnée par le chef du bureau de traitement',
  centreVisa: 'Visa du chef de centre',
  archive: 'Retour au BOM et archivage',
};

const STEP_FROM: Record<SheetStep, SheetStatus> = {
  bomVisa: 'opened',
  followUp: 'sent',
  centreVisa: 'followed_up',
  archive: 'approved',
};
const STEP_TO: Record<SheetStep, SheetStatus> = {
  bomVisa: 'sent',
  followUp: 'followed_up',
  centreVisa: 'approved',
  archive: 'archived',
};

export type SheetMove = { ok: true; to: SheetStatus } | { ok: false; reason: string };

/** May this step be taken on a sheet in `from`? The visas go in order, each once. */
export function moveSheet(from: SheetStatus, step: SheetStep): SheetMove {
  if (STEP_FROM[step] === from) return { ok: true, to: STEP_TO[step] };
  const expected = SHEET_STEPS.find((s) => STEP_FROM[s] === from);
  return {
    ok: false,
    reason: expected
      ? `Cette fiche attend d’abord : ${SHEET_STEP_LABELS[expected].toLowerCase()} (étape demandée : ${SHEET_STEP_LABELS[step].toLowerCase()}).`
      : 'Cette fiche est archivée : plus aucun visa ne peut y être porté.',
  };
}

/** The step a sheet waits for, or null once archived. */
export function nextSheetStep(status: SheetStatus): SheetStep | null {
  return SHEET_STEPS.find((s) => STEP_FROM[s] === status) ?? null;
}

export function isSheetStatus(v: string): v is SheetStatus {
  return (SHEET_STATUSES as readonly string[]).includes(v);
}

// ---------------------------------------------------------------------------------------------
// Recurring anomalies (§4.5): the same kind, office and rule in each of the last N months.

export const DEFAULT_RECURRENCE_MONTHS = 3;

export interface SheetFacts {
  period: string; // YYYY-MM of the control
  kind: string;
  officeId: string | null;
  rule: string;
}

export interface Recurrence {
  kind: string;
  officeId: string | null;
  rule: string;
  months: string[];
  sheets: number;
}

/** Groups (kind, office, rule) with at least one sheet in each of the `n` months ending with `period`. */
export function recurringAnomalies(sheets: readonly SheetFacts[], period: string, n: number): Recurrence[] {
  const months = Array.from({ length: Math.max(1, Math.floor(n)) }, (_, i) => addToMonth(period, i - n + 1));
  const groups = new Map<string, { facts: SheetFacts; months: Set<string>; sheets: number }>();
  for (const s of sheets) {
    if (!months.includes(s.period)) continue;
    const key = JSON.stringify([s.kind, s.officeId, s.rule]);
    const g = groups.get(key) ?? { facts: s, months: new Set<string>(), sheets: 0 };
    g.months.add(s.period);
    g.sheets++;
    groups.set(key, g);
  }
  return [...groups.values()]
    .filter((g) => months.every((m) => g.months.has(m)))
    .map((g) => ({ kind: g.facts.kind, officeId: g.facts.officeId, rule: g.facts.rule, months, sheets: g.sheets }))
    .sort((a, b) => b.sheets - a.sheets || a.kind.localeCompare(b.kind) || a.rule.localeCompare(b.rule));
}

// ---------------------------------------------------------------------------------------------
// Numbers

export function sheetNumber(year: number, n: number): string {
  return `FC-${year}-${String(n).padStart(5, '0')}`;
}

export function transmissionNumber(year: number, n: number): string {
  return `TSV-${year}-${String(n).padStart(5, '0')}`;
}
