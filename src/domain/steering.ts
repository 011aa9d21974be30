// The dashboards' formulas (seed 003 annex II, appendix II.B « Méthodologie »): the means, the activity
// and the warning indicators (« clignotants ») of a processing centre month by month over 12 rolling
// months, and the card programme's figures. Pure: sums come in, indicators go out.

/** Figures outside the platform, entered each month by the head of centre. Every field may be left empty. */
export interface MonthlyEntry {
  /** Effectif au plan d'armement, dont militaires, dont ventilé décompteurs. */
  planned?: number | null;
  plannedMilitary?: number | null;
  plannedProcessing?: number | null;
  /** Effectif réalisé (personnel affecté ayant rallié avant la fin du mois), dont militaires. */
  actual?: number | null;
  actualMilitary?: number | null;
  /** Mis pour emploi au centre (MPE au CAMID), hors du centre, absents durant tout le mois. */
  mpeIn?: number | null;
  mpeOut?: number | null;
  absentWholeMonth?: number | null;
  /** Dont décompteurs, de l'effectif disponible. */
  availableProcessing?: number | null;
  /** Officiers + agents civils cadre A + BS + BST + agents civils cadre B, réalisé. */
  supervisors?: number | null;
  /** Nombre de jours au plan d'armement réserve, de période réalisés. */
  reserveDaysPlanned?: number | null;
  reserveDaysDone?: number | null;
  /** Nombre de poursuites de dettes en cours (recouvrements amiables de trop-perçu). */
  debtRecoveries?: number | null;
  /** États RTFD reçus du CIC (trop-perçus d'indemnités de déplacement) par cause. */
  overpaymentsService?: number | null;
  overpaymentsHolders?: number | null;
  overpaymentsUnits?: number | null;
  overpaymentsOther?: number | null;
  /** Montant des trop-perçus d'indemnités de déplacement, en centimes. */
  overpaymentAmountCents?: number | null;
  /** Nombre de mouvements rejetés par le CIC (statistique communiquée par le CIC). */
  rejectedByPayingCentre?: number | null;
}

export const ENTRY_FIELDS: { key: keyof MonthlyEntry; label: string; cents?: boolean }[] = [
  { key: 'planned', label: 'Effectif au plan d’armement' },
  { key: 'plannedMilitary', label: 'dont militaires (plan)' },
  { key: 'plannedProcessing', label: 'dont ventilé décompteurs (plan)' },
  { key: 'actual', label: 'Effectif réalisé' },
  { key: 'actualMilitary', label: 'dont militaires (réalisé)' },
  { key: 'mpeIn', label: 'MPE au centre' },
  { key: 'mpeOut', label: 'MPE hors du centre' },
  { key: 'absentWholeMonth', label: 'Personnel absent durant tout le mois' },
  { key: 'availableProcessing', label: 'dont décompteurs (disponible)' },
  { key: 'supervisors', label: 'Encadrement réalisé (officiers, civils A, BS, BST, civils B)' },
  { key: 'reserveDaysPlanned', label: 'Jours au plan d’armement réserve' },
  { key: 'reserveDaysDone', label: 'Jours de période réalisés' },
  { key: 'debtRecoveries', label: 'Poursuites de dettes en cours' },
  { key: 'overpaymentsService', label: 'États RTFD imputables au service' },
  { key: 'overpaymentsHolders', label: 'États RTFD imputables aux administrés' },
  { key: 'overpaymentsUnits', label: 'États RTFD imputables aux formations' },
  { key: 'overpaymentsOther', label: 'États RTFD imputables à d’autres causes' },
  { key: 'overpaymentAmountCents', label: 'Montant des trop-perçus (centimes)', cents: true },
  { key: 'rejectedByPayingCentre', label: 'Mouvements rejetés par le CIC' },
];

/** Checks an entry: whole numbers, 0 to 10⁹ (10¹³ for amounts). Returns the French reason of the first fault. */
export function checkEntry(
  input: Record<string, unknown>,
): { ok: true; entry: MonthlyEntry } | { ok: false; reason: string } {
  const entry: MonthlyEntry = {};
  for (const f of ENTRY_FIELDS) {
    const v = input[f.key];
    if (v === undefined || v === null || v === '') continue;
    const max = f.cents ? 1e13 : 1e9;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
      return { ok: false, reason: `« ${f.label} » : nombre entier positif attendu.` };
    entry[f.key] = v;
  }
  for (const k of Object.keys(input))
    if (!ENTRY_FIELDS.some((f) => f.key === k)) return { ok: false, reason: `Champ inconnu : ${k}.` };
  return { ok: true, entry };
}

/** Sums of one month read from the daily rows: per metric, per dimension (kind of file, reason). */
export interface MonthSums {
  registered: number;
  processed: number;
  processedCents: number;
  /** Controls made (today: the office head's self-checks, passed or sent back). */
  controls: number;
  controlledCents: number;
  /** Controls that found an anomaly (today: self-checks sent back; later: control sheets). */
  anomalies: number;
  anomalyCents: number;
  /** Files returned to the units (« Z 98 émis »). */
  returned: number;
  /** Per kind: files transferred and the sum of their processing days (reception to transfer, both included). */
  transferredByKind: Record<string, { n: number; days: number }>;
}

export function emptySums(): MonthSums {
  return {
    registered: 0,
    processed: 0,
    processedCents: 0,
    controls: 0,
    controlledCents: 0,
    anomalies: 0,
    anomalyCents: 0,
    returned: 0,
    transferredByKind: {},
  };
}

/** a / b × 100, one decimal; null when b is 0 or unknown. */
export function rate(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 1000) / 10;
}

function num(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : v;
}

/** Effectif disponible = effectif réalisé + MPE au centre − MPE hors centre − personnel absent durant tout le mois. */
export function availableStaff(e: MonthlyEntry): number | null {
  if (e.actual === null || e.actual === undefined) return null;
  return e.actual + (e.mpeIn ?? 0) - (e.mpeOut ?? 0) - (e.absentWholeMonth ?? 0);
}

/** Days from reception (included) to transfer (included), on calendar dates (YYYY-MM-DD...). */
export function processingDays(receivedAt: string, transferredAt: string): number {
  const a = Date.parse(receivedAt.slice(0, 10));
  const b = Date.parse(transferredAt.slice(0, 10));
  return Math.round((b - a) / 86_400_000) + 1;
}

export const WARNING_INDICATORS = {
  controlAnomalyRate: { label: 'Taux de contrôles ayant révélé une anomalie', unit: '%' },
  amountAnomalyRate: { label: 'Taux d’anomalie des montants contrôlés', unit: '%' },
  returnedFiles: { label: 'Dossiers retournés aux formations (Z 98 émis)', unit: 'dossiers' },
  rejectedByPayingCentre: { label: 'Mouvements rejetés par le CIC', unit: 'mouvements' },
  debtRecoveries: { label: 'Poursuites de dettes en cours', unit: 'dossiers' },
  overpaymentServiceRate: { label: 'Trop-perçus : taux imputable au service', unit: '%' },
  overpaymentAmount: { label: 'Montant des trop-perçus d’indemnités de déplacement', unit: '€' },
  averageDays: { label: 'Durée moyenne de traitement (toute nature de dossier)', unit: 'jours' },
} as const;
export type WarningIndicator = keyof typeof WARNING_INDICATORS;
export const WARNING_KEYS = Object.keys(WARNING_INDICATORS) as WarningIndicator[];

export function isWarningIndicator(v: string): v is WarningIndicator {
  return (WARNING_KEYS as string[]).includes(v);
}

export interface CentreMonth {
  month: string;
  means: {
    planned: number | null;
    plannedMilitary: number | null;
    plannedProcessing: number | null;
    actual: number | null;
    actualMilitary: number | null;
    available: number | null;
    availableProcessing: number | null;
    supervisionRate: number | null;
    reserveDaysPlanned: number | null;
    reserveDaysDone: number | null;
  };
  activity: { registered: number; processed: number; controlled: number };
  warnings: {
    controlAnomalyRate: number | null;
    amountAnomalyRate: number | null;
    returnedFiles: number;
    rejectedByPayingCentre: number | null;
    debtRecoveries: number | null;
    overpayments: number | null;
    overpaymentServiceRate: number | null;
    overpaymentHoldersRate: number | null;
    overpaymentUnitsRate: number | null;
    overpaymentOtherRate: number | null;
    overpaymentAmount: number | null;
    /** Average processing days per kind of file (only kinds with a transfer this month). */
    averageDaysByKind: Record<string, number>;
    /** Over all kinds: total days / total files transferred. */
    averageDays: number | null;
  };
}

/** One month of the centre's dashboard, with the seed's formulas. */
export function centreMonth(month: string, s: MonthSums, e: MonthlyEntry): CentreMonth {
  const overpayments =
    e.overpaymentsService == null &&
    e.overpaymentsHolders == null &&
    e.overpaymentsUnits == null &&
    e.overpaymentsOther == null
      ? null
      : (e.overpaymentsService ?? 0) +
        (e.overpaymentsHolders ?? 0) +
        (e.overpaymentsUnits ?? 0) +
        (e.overpaymentsOther ?? 0);
  const byKind: Record<string, number> = {};
  let n = 0;
  let days = 0;
  for (const [kind, t] of Object.entries(s.transferredByKind)) {
    if (t.n <= 0) continue;
    byKind[kind] = Math.round((t.days / t.n) * 10) / 10;
    n += t.n;
    days += t.days;
  }
  return {
    month,
    means: {
      planned: num(e.planned),
      plannedMilitary: num(e.plannedMilitary),
      plannedProcessing: num(e.plannedProcessing),
      actual: num(e.actual),
      actualMilitary: num(e.actualMilitary),
      available: availableStaff(e),
      availableProcessing: num(e.availableProcessing),
      supervisionRate: rate(e.supervisors, e.actual),
      reserveDaysPlanned: num(e.reserveDaysPlanned),
      reserveDaysDone: num(e.reserveDaysDone),
    },
    activity: { registered: s.registered, processed: s.processed, controlled: s.controls },
    warnings: {
      controlAnomalyRate: rate(s.anomalies, s.controls),
      amountAnomalyRate: rate(s.anomalyCents, s.controlledCents),
      returnedFiles: s.returned,
      rejectedByPayingCentre: num(e.rejectedByPayingCentre),
      debtRecoveries: num(e.debtRecoveries),
      overpayments,
      overpaymentServiceRate: rate(e.overpaymentsService ?? (overpayments === null ? null : 0), overpayments),
      overpaymentHoldersRate: rate(e.overpaymentsHolders ?? (overpayments === null ? null : 0), overpayments),
      overpaymentUnitsRate: rate(e.overpaymentsUnits ?? (overpayments === null ? null : 0), overpayments),
      overpaymentOtherRate: rate(e.overpaymentsOther ?? (overpayments === null ? null : 0), overpayments),
      overpaymentAmount: e.overpaymentAmountCents == null ? null : e.overpaymentAmountCents / 100,
      averageDaysByKind: byKind,
      averageDays: n ? Math.round((days / n) * 10) / 10 : null,
    },
  };
}

/** The value a warning indicator takes in a month (null: not known this month). */
export function warningValue(m: CentreMonth, key: WarningIndicator): number | null {
  const w = m.warnings;
  switch (key) {
    case 'controlAnomalyRate':
      return w.controlAnomalyRate;
    case 'amountAnomalyRate':
      return w.amountAnomalyRate;
    case 'returnedFiles':
      return w.returnedFiles;
    case 'rejectedByPayingCentre':
      return w.rejectedByPayingCentre;
    case 'debtRecoveries':
      return w.debtRecoveries;
    case 'overpaymentServiceRate':
      return w.overpaymentServiceRate;
    case 'overpaymentAmount':
      return w.overpaymentAmount;
    case 'averageDays':
      return w.averageDays;
  }
}

/** Red past the threshold (strictly above it); never red without a threshold or a value. */
export function isRed(value: number | null, threshold: number | null | undefined): boolean {
  return value !== null && threshold !== null && threshold !== undefined && value > threshold;
}

/** The 12 rolling months ending with the month of `asOf` (oldest first), as YYYY-MM. */
export function rollingMonths(asOf: string, count = 12): string[] {
  const y = Number(asOf.slice(0, 4));
  const m = Number(asOf.slice(5, 7)) - 1;
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(y, m - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

/** First day of the month after `month` (YYYY-MM → YYYY-MM-DD). */
export function nextMonthStart(month: string): string {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1));
  return d.toISOString().slice(0, 10);
}

export function isMonth(v: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(v);
}

/** French month label: « janvier 2026 ». */
export function monthLabel(month: string): string {
  const names = [
    'janvier',
    'février',
    'mars',
    'avril',
    'mai',
    'juin',
    'juillet',
    'août',
    'septembre',
    'octobre',
    'novembre',
    'décembre',
  ];
  return `${names[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;
}

/** Card programme: one month's figures. */
export interface CardMonth {
  month: string;
  ordered: number;
  produced: number;
  handedOver: number;
  activated: number;
  revoked: number;
  revokedByReason: Record<string, number>;
  /** Average days from order to hand-over of the cards handed over this month. */
  averageHandoverDays: number | null;
  billedCents: number;
}
