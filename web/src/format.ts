// French formatting of dates, numbers and the API's codes.

/** 'YYYY-MM-DD' → '25/11/2025' (no time zone shift: it is a calendar date). */
export function formatDate(date: string | null | undefined): string {
  if (!date) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : date;
}

const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Paris',
});

/** ISO timestamp → '25/11/2025 14:10:03' (Paris time). */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeFormat.format(d);
}

const numberFormat = new Intl.NumberFormat('fr-FR');

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatNumber(n)} o`;
  if (n < 1024 * 1024) return `${formatNumber(Math.round(n / 102.4) / 10)} Ko`;
  return `${formatNumber(Math.round(n / (1024 * 104.8576)) / 10)} Mo`;
}

/** Today's date in the browser's time zone, as 'YYYY-MM-DD'. */
export function todayIso(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function plural(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${Math.abs(n) >= 2 ? many : one}`;
}

export const IDENTIFIER_KIND_LABELS: Record<string, string> = {
  nid: 'NID (numéro d’identification)',
  alliance: 'Identifiant Alliance',
  internal: 'Identifiant interne',
};

export const SEX_LABELS: Record<string, string> = { F: 'Féminin', M: 'Masculin' };

export const STAFF_STATUS_LABELS: Record<string, string> = { civil: 'Civil', military: 'Militaire' };

export const AGENT_STATUS_LABELS: Record<string, string> = { active: 'Actif', inactive: 'Inactif' };

export const ORGANIZATION_STATUS_LABELS: Record<string, string> = { active: 'Active', closed: 'Fermée' };

export const IMPORT_STATUS_LABELS: Record<string, string> = {
  running: 'En cours',
  done: 'Terminé',
  refused: 'Refusé',
  failed: 'Échec',
};

export const FORMAT_LABELS: Record<string, string> = { csv: 'CSV', jsonl: 'JSON lines' };

export const OUTCOME_LABELS: Record<string, string> = { ok: 'Réussi', refused: 'Refusé' };

export const MAIL_STATUS_LABELS: Record<string, string> = {
  queued: 'En attente',
  pending: 'En attente',
  sent: 'Envoyé',
  failed: 'Échec',
};

export const AUDIT_ACTION_LABELS: Record<string, string> = {
  'auth.signIn': 'Connexion',
  'auth.signOut': 'Déconnexion',
  'auth.signInLink.create': 'Création d’un lien de connexion',
  'serviceToken.create': 'Création d’un jeton de service',
  'serviceToken.revoke': 'Révocation d’un jeton de service',
};

export function label(map: Record<string, string>, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—';
  return map[code] ?? code;
}
