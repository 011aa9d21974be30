// A stop under load: `cartes ocsp serve` (its cluster of workers) gets SIGTERM while clients hammer it
// and one upload never completes; it stops within its shutdown deadline (CARTES_SHUTDOWN_TIMEOUT_S),
// cutting what could not finish, and says so. Without a stuck request it stops cleanly (exit 0).
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { forEachDatabase, openTestPlatform, actorFor, type TestPlatform } from '../support/platform.ts';
import { initPki, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { issuerIdentity } from '../../src/pki/ocsp.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  return typeof addr === 'object' && addr ? addr.port : 0;
}

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const head = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return Buffer.concat([Buffer.from([tag, ...head]), body]);
}

forEachDatabase('cartes ocsp serve stopped under load', (dialect) => {
  let p: TestPlatform;
  let url: string;
  let getPath: string;

  const start = async (port: number): Promise<{ child: ChildProcess; output: () => string }> => {
    const child = spawn(
      process.execPath,
      [MAIN, '--data', p.dataDir, '--db', p.dbTarget, 'ocsp', 'serve', '--port', String(port)],
      {
        env: { PATH: process.env['PATH'] ?? '', CARTES_SHUTDOWN_TIMEOUT_S: '2', CARTES_OCSP_WORKERS: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 1200 && !out.includes('Répondeur OCSP démarré'); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /Répondeur OCSP démarré : .*\(2 processus\)/, out);
    return { child, output: () => out };
  };

  /** Clients asking in a loop until the server goes away. */
  const load = (n: number) => {
    let stop = false;
    let answered = 0;
    const loops = Array.from({ length: n }, async () => {
      while (!stop) {
        try {
          const r = await fetch(`${url}${getPath}`);
          await r.arrayBuffer();
          answered++;
        } catch {
          return; // the server is going away
        }
      }
    });
    return {
      answered: () => answered,
      end: async () => {
        stop = true;
        await Promise.all(loops);
      },
    };
  };

  /** Waits for the exit, bounded: a process still there after a minute is killed and the test fails. */
  const exited = async (child: ChildProcess): Promise<number | null> => {
    if (child.exitCode !== null) return child.exitCode;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    assert.equal(signal, null, 'stopped by itself, not killed');
    return code;
  };

  before(async () => {
    p = await openTestPlatform(dialect);
    const pki = pkiEnvironment(p.config, {});
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    const ca = await p.store.db
      .selectFrom('certification_authorities')
      .select('certificate_der')
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    const { nameHash, keyHash } = issuerIdentity(ca.certificate_der).hashes.sha1;
    // A serial the CA never issued: answered "unknown", signed on demand (the pool works under load).
    const certId = tlv(
      0x30,
      Buffer.from('300906052b0e03021a0500', 'hex'),
      tlv(0x04, nameHash),
      tlv(0x04, keyHash),
      tlv(0x02, Buffer.from([0x01, 0x23])),
    );
    getPath = `/pki/ocsp/${encodeURIComponent(tlv(0x30, tlv(0x30, tlv(0x30, tlv(0x30, certId)))).toString('base64'))}`;
  });
  after(async () => p?.close());

  it('SIGTERM during load with an upload that never ends: stops within the deadline, cutting it', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const { child, output } = await start(port);
    const clients = load(16);
    for (let i = 0; i < 100 && clients.answered() < 50; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(clients.answered() >= 50, `answered ${clients.answered()}`);
    // Then an OCSP POST whose body never comes, sent just before the signal: still in flight when the
    // shutdown deadline (2 s) comes, well before its route's own (5 s), however slow the machine was so far.
    const stuck = connect(port, '127.0.0.1');
    stuck.on('error', () => undefined);
    await once(stuck, 'connect');
    stuck.write(
      'POST /pki/ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 500\r\n\r\n0',
    );
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const code = await exited(child);
    await clients.end();
    stuck.destroy();
    assert.equal(code, 1, output());
    assert.match(output(), /Signal SIGTERM : arrêt, 2 s au plus/);
    assert.match(output(), /Requêtes encore en cours coupées après 2 s/);
  });

  it('SIGTERM during load alone: the requests in flight finish and it exits 0', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const { child, output } = await start(port);
    const clients = load(16);
    for (let i = 0; i < 100 && clients.answered() < 50; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await exited(child);
    await clients.end();
    assert.equal(code, 0, output());
    assert.doesNotMatch(output(), /coupées/);
  });
});
