// The exact text an operator's card signs to confirm an action. The page builds it, the card signs
// it, the server rebuilds it from the request it receives: any difference breaks the signature.
// Pure and dependency-free so that the web page imports the very same function.

export const ACTION_SIGNATURE_PREFIX = 'cartes-action-v1\n';

export interface ActionToSign {
  /** What is done, e.g. 'card-request.sign'. */
  action: string;
  /** What it is done to, e.g. the request id. */
  target: string;
  /** The decisive content of the action (the fields that change). */
  content: unknown;
  /** Single-use value given by the server (POST /api/signatures/nonce). */
  nonce: string;
}

/** JSON with object keys sorted at every level and no spaces: one text for one content. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonicalJson: non-finite number');
    if (value === undefined) return 'null';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function canonicalAction(a: ActionToSign): string {
  return (
    ACTION_SIGNATURE_PREFIX +
    canonicalJson({ action: a.action, content: a.content ?? null, nonce: a.nonce, target: a.target })
  );
}
