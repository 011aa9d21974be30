// Organisations form a tree; scope checks use the materialised path "/a/b/c/".

export const ORGANIZATION_KINDS = [
  'ministry',
  'directorate',
  'unit',
  'prefecture',
  'municipality',
  'agency',
  // A processing centre (seed 003) and its offices (liaison, processing, organisation and methods).
  'centre',
  'office',
] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const ORGANIZATION_KIND_LABELS: Record<OrganizationKind, string> = {
  ministry: 'Ministère',
  directorate: 'Direction',
  unit: 'Unité',
  prefecture: 'Préfecture',
  municipality: 'Commune',
  agency: 'Agence',
  centre: 'Centre de traitement',
  office: 'Bureau de centre',
};

export const ORGANIZATION_STATUSES = ['active', 'closed'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

export function childPath(parentPath: string | null, id: string): string {
  return `${parentPath ?? '/'}${id}/`;
}

export function isWithin(path: string, ancestorId: string): boolean {
  return path.includes(`/${ancestorId}/`);
}

export interface OrganizationFields {
  code: string;
  kind: string;
  name: string;
  inseeCode?: string | null;
  siren?: string | null;
}

/** Field problems, in French; empty when the organisation is well-formed. */
export function checkOrganization(o: OrganizationFields): { field: string; reason: string }[] {
  const errors: { field: string; reason: string }[] = [];
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(o.code)) {
    errors.push({ field: 'code', reason: 'Le code doit comporter 1 à 32 lettres, chiffres, tirets ou soulignés.' });
  }
  if (!(ORGANIZATION_KINDS as readonly string[]).includes(o.kind)) {
    errors.push({ field: 'kind', reason: "Type d'organisation inconnu." });
  }
  if (o.name.trim().length === 0 || o.name.length > 200) {
    errors.push({ field: 'name', reason: 'Le nom est obligatoire (200 caractères au plus).' });
  }
  if (o.kind === 'municipality') {
    if (!o.inseeCode || !/^(\d{5}|2[AB]\d{3})$/.test(o.inseeCode)) {
      errors.push({ field: 'inseeCode', reason: 'Une commune doit avoir un code INSEE à 5 caractères.' });
    }
    if (!o.siren || !isValidSiren(o.siren)) {
      errors.push({ field: 'siren', reason: 'Une commune doit avoir un SIREN valide (9 chiffres, clé de Luhn).' });
    }
  } else if (o.siren && !isValidSiren(o.siren)) {
    errors.push({ field: 'siren', reason: 'SIREN invalide (9 chiffres, clé de Luhn).' });
  }
  return errors;
}

export function isValidSiren(siren: string): boolean {
  if (!/^\d{9}$/.test(siren)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(siren[8 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
