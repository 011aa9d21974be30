// Kinds of case files ("dossiers") as data: for each kind, the pieces the transmittal slip must list,
// the form checks of the intake desk (seed 003 §2.2), the processing offices that may take it, the
// routing rules and the target processing time. Pure: validated here, stored and edited in app/.

export const CASE_FAMILIES = ['card', 'unit'] as const;
export type CaseFamily = (typeof CASE_FAMILIES)[number];

export const CASE_FAMILY_LABELS: Record<CaseFamily, string> = {
  card: 'Dossier de carte (ouvert par la plateforme)',
  unit: 'Dossier envoyé par une formation (avec bordereau)',
};

export interface PieceDefinition {
  code: string;
  label: string;
  /** The slip must list it and the file must carry it before registration. */
  required: boolean;
  /**
   * Missing, it may be obtained from the unit by phone, fax or mail instead of a return (§2.2),
   * unless it needs a new signature of the person or of the authority that ordered the travel.
   */
  byContact: boolean;
}

export interface CheckDefinition {
  code: string;
  label: string;
  /** Failed, it may be resolved by a simple contact with the unit (no new signature needed). */
  byContact: boolean;
}

export interface RoutingRule {
  /** Office code that takes the file when the rule matches. */
  office: string;
  /** Codes of the sending organisations this rule is for. */
  sendingUnits: string[];
}

export interface CaseKindDefinition {
  code: string;
  family: CaseFamily;
  label: string;
  pieces: PieceDefinition[];
  checks: CheckDefinition[];
  /** Codes of the processing offices that may take files of this kind (routing picks among them). */
  offices: string[];
  /** Ordered rules; the first that matches routes the file, otherwise the least loaded office. */
  routing: RoutingRule[];
  /** Target processing time in days, from registration. */
  targetDays: number;
  /** The liquidation application's amount (décompte) is recorded on the file. */
  amount: boolean;
  /** Where processed and self-checked files are transferred (e.g. the paying centre); null: none. */
  transferTo: string | null;
  active: boolean;
}

export interface KindProblem {
  field: string;
  reason: string;
}

const CODE = /^[a-z][a-z0-9_]{1,39}$/;
const OFFICE_CODE = /^[A-Z][A-Z0-9_-]{0,15}$/;

function text(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.trim().length > 0 && v.length <= max;
}

/** Problems of one kind definition, in French; empty when it is usable. */
export function checkKindDefinition(input: unknown): KindProblem[] {
  const errors: KindProblem[] = [];
  const d = input as Partial<CaseKindDefinition> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return [{ field: '', reason: 'Définition attendue (objet).' }];
  if (typeof d.code !== 'string' || !CODE.test(d.code))
    errors.push({ field: 'code', reason: 'Code de 2 à 40 caractères : minuscules, chiffres, soulignés.' });
  if (!(CASE_FAMILIES as readonly string[]).includes(d.family as string))
    errors.push({ field: 'family', reason: 'Famille « card » ou « unit ».' });
  if (!text(d.label, 200)) errors.push({ field: 'label', reason: 'Libellé obligatoire (200 caractères au plus).' });
  const items = (field: 'pieces' | 'checks', list: unknown, max: number) => {
    if (!Array.isArray(list) || list.length > max) {
      errors.push({ field, reason: `Liste attendue (${max} éléments au plus).` });
      return;
    }
    const seen = new Set<string>();
    list.forEach((p: Partial<PieceDefinition>, i) => {
      const at = `${field}[${i}]`;
      if (!p || typeof p !== 'object') return errors.push({ field: at, reason: 'Objet attendu.' });
      if (typeof p.code !== 'string' || !CODE.test(p.code))
        errors.push({ field: `${at}.code`, reason: 'Code : minuscules, chiffres, soulignés.' });
      else if (seen.has(p.code)) errors.push({ field: `${at}.code`, reason: `Code en double : ${p.code}.` });
      else seen.add(p.code);
      if (!text(p.label, 200)) errors.push({ field: `${at}.label`, reason: 'Libellé obligatoire.' });
      if (typeof p.byContact !== 'boolean') errors.push({ field: `${at}.byContact`, reason: 'Vrai ou faux.' });
      if (field === 'pieces' && typeof p.required !== 'boolean')
        errors.push({ field: `${at}.required`, reason: 'Vrai ou faux.' });
    });
  };
  items('pieces', d.pieces, 30);
  items('checks', d.checks, 30);
  const offices = Array.isArray(d.offices) ? d.offices : null;
  if (!offices || offices.length === 0 || offices.length > 10 || !offices.every((o) => OFFICE_CODE.test(String(o))))
    errors.push({
      field: 'offices',
      reason: 'Un à dix codes de bureau de traitement (majuscules, chiffres, tirets).',
    });
  if (!Array.isArray(d.routing) || d.routing.length > 50) errors.push({ field: 'routing', reason: 'Liste attendue.' });
  else
    d.routing.forEach((r: Partial<RoutingRule>, i) => {
      if (!r || typeof r !== 'object') return errors.push({ field: `routing[${i}]`, reason: 'Objet attendu.' });
      if (!offices?.includes(r.office as string))
        errors.push({ field: `routing[${i}].office`, reason: 'Bureau absent de la liste des bureaux du type.' });
      if (!Array.isArray(r.sendingUnits) || r.sendingUnits.length === 0 || !r.sendingUnits.every((u) => text(u, 32)))
        errors.push({ field: `routing[${i}].sendingUnits`, reason: 'Codes des formations expéditrices.' });
    });
  if (!Number.isInteger(d.targetDays) || (d.targetDays as number) < 1 || (d.targetDays as number) > 365)
    errors.push({ field: 'targetDays', reason: 'Délai cible en jours, de 1 à 365.' });
  if (typeof d.amount !== 'boolean') errors.push({ field: 'amount', reason: 'Vrai ou faux.' });
  if (d.transferTo !== null && !text(d.transferTo, 120))
    errors.push({ field: 'transferTo', reason: 'Destinataire du transfert, ou null.' });
  if (typeof d.active !== 'boolean') errors.push({ field: 'active', reason: 'Vrai ou faux.' });
  if (d.family === 'card' && d.amount)
    errors.push({ field: 'amount', reason: 'Un dossier de carte ne porte pas de montant.' });
  return errors;
}

/** Only the fields of a definition, in a stable order (what is stored and hashed). */
export function normalizeKind(d: CaseKindDefinition): CaseKindDefinition {
  return {
    code: d.code,
    family: d.family,
    label: d.label.trim(),
    pieces: d.pieces.map((p) => ({
      code: p.code,
      label: p.label.trim(),
      required: p.required,
      byContact: p.byContact,
    })),
    checks: d.checks.map((c) => ({ code: c.code, label: c.label.trim(), byContact: c.byContact })),
    offices: [...d.offices],
    routing: d.routing.map((r) => ({ office: r.office, sendingUnits: [...r.sendingUnits] })),
    targetDays: d.targetDays,
    amount: d.amount,
    transferTo: d.transferTo === null ? null : d.transferTo.trim(),
    active: d.active,
  };
}

/** Reads a kinds file `{ "kinds": [...] }`: every definition checked, codes unique. */
export function parseKindsFile(json: unknown): { kinds: CaseKindDefinition[]; errors: KindProblem[] } {
  const list = (json as { kinds?: unknown } | null)?.kinds;
  if (!Array.isArray(list)) return { kinds: [], errors: [{ field: 'kinds', reason: 'Liste « kinds » attendue.' }] };
  const errors: KindProblem[] = [];
  const kinds: CaseKindDefinition[] = [];
  const seen = new Set<string>();
  list.forEach((k, i) => {
    const problems = checkKindDefinition(k);
    for (const p of problems) errors.push({ field: `kinds[${i}]${p.field ? `.${p.field}` : ''}`, reason: p.reason });
    if (problems.length) return;
    const def = normalizeKind(k as CaseKindDefinition);
    if (seen.has(def.code)) errors.push({ field: `kinds[${i}].code`, reason: `Type en double : ${def.code}.` });
    seen.add(def.code);
    kinds.push(def);
  });
  return { kinds, errors };
}

/**
 * The office a newly registered file goes to: the first rule naming its sending unit, otherwise
 * the least loaded of the kind's offices present in the centre (ties: the order of the kind's list).
 */
export function routeFile(
  kind: Pick<CaseKindDefinition, 'offices' | 'routing'>,
  sendingUnitCode: string,
  openFilesByOffice: ReadonlyMap<string, number>,
): string | null {
  const present = kind.offices.filter((o) => openFilesByOffice.has(o));
  for (const rule of kind.routing)
    if (rule.sendingUnits.includes(sendingUnitCode) && present.includes(rule.office)) return rule.office;
  let best: string | null = null;
  for (const o of present) if (best === null || openFilesByOffice.get(o)! < openFilesByOffice.get(best)!) best = o;
  return best;
}
