// `npm run bench -- upload [--rows N] [--timeout-s S] [--keep]`
//
// What receiving an HR feed over HTTP costs (issue 13, item 1): POST /api/imports now receives the
// whole file on disk (counted against CARTES_UPLOAD_MAX_BYTES, after authentication) and only then
// imports it. Peer in the same run: `importAgents` reading the same file straight from disk, on a
// twin platform. Both on SQLite, from a generated feed (CSV `;`, UTF-8 with BOM, every row valid).
// Prints both times, the ratio, and the receiving rate alone. Informational: the exit code is
// non-zero only when an import fails or its counts are wrong.
import { createReadStream, createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { openPlatform } from '../src/platform.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { importAgents } from '../src/app/directory/hr-import/import-agents.ts';
import { createServiceToken } from '../src/app/access/sessions.ts';
import { systemActor } from '../src/app/context.ts';
import { buildServer } from '../src/http/server.ts';
import { FEED_COLUMNS } from '../src/domain/hr-feed.ts';
import { boundRun, fmtInt, intOption } from './lib/bounds.ts';

const USAGE = 'Usage: npm run bench -- upload [--rows N] [--timeout-s S] [--keep]';
const argv = process.argv.slice(2);
let rows = 100_000;
let timeoutS = 900;
let keep = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rows') rows = intOption(argv, ++i, '--rows', 1000, 2_000_000, USAGE);
  else if (argv[i] === '--timeout-s') timeoutS = intOption(argv, ++i, '--timeout-s', 10, 7200, USAGE);
  else if (argv[i] === '--keep') keep = true;
  else {
    console.error(USAGE);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), 'cartes-bench-upload-'));
boundRun({ work, keep, timeoutS });

/** A valid feed of `n` rows, written as a stream. */
async function writeFeed(path: string, n: number): Promise<number> {
  const out = createWriteStream(path);
  const line = (cells: string[]) => `${cells.join(';')}\r\n`;
  out.write(`\uFEFF${line([...FEED_COLUMNS])}`);
  for (let i = 0; i < n; i++) {
    const cells: Record<string, string> = {
      identifiant: `bench-${String(i).padStart(7, '0')}`,
      type_identifiant: 'interne',
      nom: `Nom${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + (((i / 26) % 26) | 0))}`,
      prenoms: i % 3 ? 'Jean' : 'Éloïse Marie',
      sexe: i % 2 ? 'M' : 'F',
      date_naissance: `${String((i % 28) + 1).padStart(2, '0')}/${String((i % 12) + 1).padStart(2, '0')}/${1960 + (i % 40)}`,
      lieu_naissance: 'Melun',
      courriel: `agent${i}@mairie-aubepierre.fr`,
      telephone: '01 60 00 00 00',
      statut: 'civil',
      categorie: 'B',
    };
    if (!out.write(line(FEED_COLUMNS.map((c) => cells[c] ?? '')))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

async function platform(name: string) {
  const { ctx, store, config } = await openPlatform(
    { data: join(work, name), db: join(work, name, 'cartes.sqlite') },
    {},
  );
  await loadDemoData(ctx);
  const org = await store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', '77011')
    .executeTakeFirstOrThrow();
  return { ctx, store, config, org: org.id };
}

async function main(): Promise<void> {
  const feed = join(work, 'feed.csv');
  const bytes = await writeFeed(feed, rows);
  console.log(`Upload benchmark: ${fmtInt(rows)} rows, feed ${(bytes / 1e6).toFixed(1)} MB, SQLite`);

  // Peer: the same import straight from the file.
  const direct = await platform('direct');
  let t0 = performance.now();
  const run = await importAgents(direct.ctx, systemActor('bench'), {
    organizationId: direct.org,
    format: 'csv',
    full: false,
    fileName: 'feed.csv',
    input: createReadStream(feed),
    bytesTotal: bytes,
  });
  const directS = (performance.now() - t0) / 1000;
  if (run.status !== 'done' || run.inserted !== rows) throw new Error(`direct import: ${run.status} ${run.message}`);
  await direct.store.close();

  // Over HTTP: a service account of the town uploads the file to the route.
  const viaHttp = await platform('http');
  const { token } = await createServiceToken(viaHttp.ctx, systemActor('bench'), {
    name: 'SIRH',
    organizationId: viaHttp.org,
    scopes: ['hr_import'],
  });
  const app = await buildServer(viaHttp.ctx, viaHttp.config, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  let sentAt = 0;
  t0 = performance.now();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/imports?organizationId=${viaHttp.org}&format=csv&fileName=feed.csv`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': bytes },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('finish', () => (sentAt = performance.now()));
    createReadStream(feed).pipe(req);
  });
  const httpS = (performance.now() - t0) / 1000;
  const sendS = (sentAt - t0) / 1000;
  await app.close();
  await viaHttp.store.close();
  const result = JSON.parse(answer.body) as { status: string; inserted: number };
  if (answer.status !== 201 || result.status !== 'done' || result.inserted !== rows)
    throw new Error(`HTTP import: ${answer.status} ${answer.body.slice(0, 300)}`);

  console.log('');
  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(`| importAgents from the file (peer) | ${directS.toFixed(2)} s, ${fmtInt(rows / directS)} rows/s |`);
  console.log(
    `| POST /api/imports, received on disk then imported | ${httpS.toFixed(2)} s, ${fmtInt(rows / httpS)} rows/s |`,
  );
  console.log(
    `| of which receiving the body (upload finished) | ${sendS.toFixed(2)} s, ${(bytes / 1e6 / sendS).toFixed(0)} MB/s |`,
  );
  console.log(`| ratio HTTP / peer | ${(httpS / directS).toFixed(2)} |`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
