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

/** « 12 agents » when the total is exact, « plus de 10 000 agents » when it is a lower bound. */
export function pluralTotal(page: { total: number; totalExact?: boolean }, one: string, many: string): string {
  return page.totalExact === false ? `plus de ${plural(page.total, one, many)}` : plural(page.total, one, many);
}

/** « — page 2 sur 5 » (exact total) or « — page 2 » (lower bound); empty on a single page. */
export function pageOfText(page: { total: number; totalExact?: boolean; pageSize: number }, current: number): string {
  if (page.totalExact === false) return ` — page ${current}`;
  return page.total > page.pageSize ? ` — page ${current} sur ${Math.ceil(page.total / page.pageSize)}` : '';
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
  sending: 'En cours d’envoi',
  sent: 'Envoyé',
  failed: 'Échec',
};

export const AUDIT_ACTION_LABELS: Record<string, string> = {
  'auth.signIn': 'Connexion',
  'auth.signOut': 'Déconnexion',
  'auth.signInLink.create': 'Création d’un lien de connexion',
  'serviceToken.create': 'Création d’un jeton de service',
  'serviceToken.revoke': 'Révocation d’un jeton de service',
  'session.card': 'Connexion avec une carte',
  'session.tls': 'Connexion par certificat client (TLS)',
  'cardRequest.create': 'Saisie d’une demande de carte',
  'cardRequest.update': 'Modification d’une demande de carte',
  'cardRequest.recheck': 'Nouvelle vérification d’une demande',
  'cardRequest.sign': 'Signature d’une demande de carte',
  'cardRequest.cancel': 'Annulation d’une demande de carte',
  'batch.create': 'Saisie d’un lot de demandes',
  'batch.validate': 'Validation d’un lot de demandes',
  'batch.send': 'Envoi d’un lot au fabricant',
  'batch.acknowledge': 'Accusé de réception du fabricant',
  'batch.close': 'Lot terminé',
  'card.demo': 'Carte de démonstration',
  'card.produce': 'Carte fabriquée',
  'card.ship': 'Carte expédiée',
  'card.receive': 'Carte reçue (supports à remettre)',
  'card.resend-code': 'Renvoi du code d’activation',
  'card.identity-copy': 'Copie de la pièce d’identité jointe',
  'card.handover': 'Remise en main propre',
  'card.invalidate': 'Invalidation de la carte',
  'card.activation-code': 'Saisie du code d’activation',
  'card.admin-response': 'Réponse au défi de la carte',
  'card.refuse-certificates': 'Refus des certificats par le porteur',
  'card.activate': 'Activation du support (contre-signature)',
  'card.finalize': 'Finalisation de l’activation (paraphe)',
  'card.active': 'Carte active',
  'card.unblock': 'Déblocage de la carte',
  'card.declare': 'Déclaration sur une carte',
  'card.declare-loss': 'Déclaration de perte',
  'card.declare-theft': 'Déclaration de vol',
  'card.declare-temporary-loss': 'Déclaration de perte temporaire (suspension)',
  'card.suspension-escalate': 'Suspension devenue révocation',
  'card.resume': 'Levée de la suspension',
  'card.revoke': 'Révocation de support hors-ligne',
  'card.return': 'Restitution de la carte',
  'card.destroy': 'Destruction de la carte',
  'card.departure': 'Carte révoquée ou invalidée au départ du porteur',
  'card.expire': 'Expiration de la carte',
  'card.renewal-presence': 'Présence du porteur (renouvellement)',
  'card.own-card': 'Opération sur sa propre carte',
  'certificate.renew': 'Renouvellement de certificat',
  'certificate.expiry-notice': 'Avis d’expiration de certificat',
  'holder.secrets': 'Définition des secrets du porteur',
  'holder.identify': 'Identification du porteur par ses secrets',
  'holder.reset-secrets': 'Réinitialisation des questions secrètes',
  'agent.departure': 'Départ de l’agent',
  'agent.transfer': 'Mutation de l’agent',
};

export function label(map: Record<string, string>, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—';
  return map[code] ?? code;
}
