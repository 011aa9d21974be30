import { createHash } from 'node:crypto';

// Each audit record's hash covers its content and the previous hash, so editing, deleting,
// reordering or truncating any record breaks the chain from there on.

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  organization_id: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  summary: string;
  evidence: string;
}

export function auditHash(prevHash: string, r: AuditContent): string {
  const canonical = JSON.stringify([
    r.seq,
    r.at,
    r.actor_id,
    r.actor_role,
    r.organization_id,
    r.action,
    r.outcome,
    r.target_type,
    r.target_id,
    r.request_id,
    r.summary,
    r.evidence,
    prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export type ChainBreak = { seq: number; reason: string };

/** Checks one record against its predecessor; returns the French reason of a break or null. */
export function checkLink(
  expectedSeq: number,
  prevHash: string,
  r: AuditContent & { prev_hash: string; hash: string },
): string | null {
  if (r.seq !== expectedSeq)
    return `numéro attendu ${expectedSeq}, trouvé ${r.seq} (enregistrement supprimé ou déplacé)`;
  if (r.prev_hash !== prevHash)
    return "l'empreinte précédente ne correspond pas (enregistrement supprimé, inséré ou déplacé)";
  if (auditHash(prevHash, r) !== r.hash) return "l'empreinte ne correspond pas au contenu (enregistrement modifié)";
  return null;
}
