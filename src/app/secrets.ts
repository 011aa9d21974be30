import { argon2, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

// Human secrets (personal code, answers to secret questions) are guessable: Argon2id with the
// OWASP minimum (19 MiB, 2 passes, 1 lane) and a 16-byte salt, in a PHC-like string.
const ARGON2 = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 } as const;

function argon2id(
  message: string,
  salt: Buffer,
  p: { memory: number; passes: number; parallelism: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message,
        nonce: salt,
        parallelism: p.parallelism,
        tagLength: ARGON2.tagLength,
        memory: p.memory,
        passes: p.passes,
      },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

export async function hashHumanSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const tag = await argon2id(secret, salt, ARGON2);
  return `$argon2id$v=19$m=${ARGON2.memory},t=${ARGON2.passes},p=${ARGON2.parallelism}$${salt.toString('base64url')}$${tag.toString('base64url')}`;
}

export async function verifyHumanSecret(secret: string, stored: string): Promise<boolean> {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const tag = await argon2id(secret, Buffer.from(m[4]!, 'base64url'), {
    memory: Number(m[1]),
    passes: Number(m[2]),
    parallelism: Number(m[3]),
  });
  return tag.length === expected.length && timingSafeEqual(tag, expected);
}
