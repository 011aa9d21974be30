import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Sign-in links, session ids and service tokens are 256-bit random values: a plain SHA-256 is
// enough to store them (no dictionary to guess from), unlike human secrets which use Argon2id.
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
