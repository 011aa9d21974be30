import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs openssl without blocking the event loop: when the server that openssl talks to (OCSP, CRL)
 * runs in the test's own process, a synchronous spawn would deadlock it. Killed after 20 s.
 */
export function openssl(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

/** A PKCS#10 request made by OpenSSL with a new key (EC P-256 unless told): DIR/NAME.key, DIR/NAME.csr. */
export function opensslCsrFile(dir: string, name: string, key: 'ec' | 'rsa' = 'ec'): string {
  const out = join(dir, `${name}.csr`);
  const keyArgs = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-subj',
      '/CN=ignored by the CA',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      out,
    ],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return out;
}

/** The PEM of a request made as by `opensslCsrFile`. */
export const opensslCsr = (dir: string, name: string, key: 'ec' | 'rsa' = 'ec'): string =>
  readFileSync(opensslCsrFile(dir, name, key), 'utf8');
