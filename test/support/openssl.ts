import { spawn } from 'node:child_process';

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
