import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48-bit millisecond time, then random bits. Rows inserted in bulk get
 * increasing keys, so they land at the end of the primary-key index instead of all over it.
 * Built on randomUUID(), which draws from a pooled CSPRNG buffer (the `uuid` package asks the CSPRNG
 * for 16 bytes per id, which showed up as 10 % of a bulk import's time).
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs).toString(16).padStart(12, '0').slice(-12);
  // randomUUID() is "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx": keep its variant and 74 random bits.
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
