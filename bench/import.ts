// `npm run bench -- import [--rows N] [--no-sqlite] [--no-pg] [--no-ceiling] [--timeout-s S] [--keep]`
//
// HR feed import benchmark (QUALITY.md, `import`): a generated feed of 300,000 agents (CSV `;`,
// UTF-8 with BOM, French header) imported into organisation 77011 of the demo data.
//   - SQLite: first import (all inserted) and second import of the same file (all unchanged),
//     rows/s; RSS and heap sampled every 200 ms; a third, untimed import with forced GCs gives the
//     live heap kept per row read (memory flat = streaming).
//   - PostgreSQL (throw-away cluster, or CARTES_BENCH_PG_URL): same import, rows/s; peer in the
//     same run: `psql \copy` of the same rows into a bare table with the feed's 15 text columns.
//   - Both: the storage ceiling, the same rows copied server side into a twin of `agents`.
// See bench/README.md for the figures measured and how to read them.
// Targets are informational: the exit code is non-zero only when an import fails, its counts are
// wrong, or the time bound is reached.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { importAgents } from '../src/app/directory/hr-import/import-agents.ts';
import { systemActor, type AppContext } from '../src/app/context.ts';
import { FEED_COLUMNS } from '../src/domain/hr-feed.ts';
import type { ImportRunTable } from '../src/store/schema.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { benchWork, finishBench, parseArgs, fmtInt, pct, verdict } from './lib/bounds.ts';
import { prng } from '../test/support/prng.ts';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE =
  'Usage: npm run bench -- import [--rows N] [--no-sqlite] [--no-pg] [--no-ceiling] [--timeout-s S] [--keep]';
const MAX_ROWS = 5_000_000;
const TARGET_SQLITE_ROWS_S = 25_000;
const TARGET_PG_RATIO = 0.25;
/** Streaming: what stays live per row read is its identifier (duplicates, full feeds), never the row. */
const MAX_LIVE_BYTES_PER_ROW = 200;
const SAMPLE_MS = 200;
const PSQL = process.env['CARTES_BENCH_PSQL'] ?? '/usr/bin/psql';

const opts = parseArgs(
  process.argv.slice(2),
  USAGE,
  { rows: 300_000, sqlite: true, pg: true, ceiling: true, timeoutS: 1200, keep: false },
  {
    '--rows': ['rows', 1, MAX_ROWS],
    '--no-pg': ['pg', false],
    '--no-sqlite': ['sqlite', false],
    '--no-ceiling': ['ceiling', false],
  },
);

// ---------------------------------------------------------------------------------------------
// Cleanup and time bound

// Last resort (timeout, signal): pg-cluster stops its cluster on exit by itself.
const { work, deadline } = benchWork('import', opts);
let cluster: PgCluster | null = null;
const cleanups: (() => Promise<void> | void)[] = [];

// ---------------------------------------------------------------------------------------------
// Feed generation (deterministic, streamed)

const LAST_NAMES = [
  'Martin',
  'Bernard',
  'Thomas',
  'Petit',
  'Robert',
  'Richard',
  'Durand',
  'Dubois',
  'Moreau',
  'Laurent',
  'Simon',
  'Michel',
  'Lefèvre',
  'Leroy',
  'Roux',
  'David',
  'Bertrand',
  'Morel',
  'Fournier',
  'Girard',
  'Bonnet',
  'Dupont',
  'Lambert',
  'Fontaine',
  'Rousseau',
  'Vincent',
  'Müller',
  'Lefebvre',
  'Faure',
  'André',
  'Mercier',
  'Blanc',
  'Guérin',
  'Boyer',
  'Garnier',
  'Chevalier',
  'François',
  'Legrand',
  'Gauthier',
  'Garcia',
  'Perrin',
  'Robin',
  'Clément',
  'Morin',
  'Nicolas',
  'Henry',
  'Roussel',
  'Mathieu',
  'Gautier',
  'Masson',
  'Marchand',
  'Duval',
  'Denis',
  'Dumont',
  'Marie',
  'Lemaire',
  'Noël',
  'Meyer',
  'Dufour',
  'Meunier',
  'Brun',
  'Blanchard',
  'Giraud',
  'Joly',
  'Rivière',
  'Lucas',
  'Brunet',
  'Gaillard',
  'Barbier',
  'Arnaud',
  'Martinez',
  'Gérard',
  'Roche',
  'Renard',
  'Schmitt',
  'Roy',
  'Leroux',
  'Colin',
  'Vidal',
  'Caron',
  'Picard',
  'Roger',
  'Fabre',
  'Aubert',
  'Lemoine',
  'Renaud',
  'Dumas',
  'Lacroix',
  'Olivier',
  'Philippe',
  'Bourgeois',
  'Pierre',
  'Benoît',
  'Rey',
  'Leclerc',
  'Payet',
  'Rolland',
  'Le Gall',
  'Le Goff',
  'Kerbrat',
  'Tanguy',
  'Le Floc’h',
  "N'Diaye",
  "D'Almeida",
  'Saint-Martin',
  'de La Fontaine',
  'Hoarau',
  'Grondin',
  'Nguyen',
  'Da Silva',
  'Ferreira',
  'Lopez',
  'Gonzalez',
  'Bouvier',
  'Poirier',
  'Charpentier',
  'Hamel',
  'Lebrun',
  'Prévost',
  'Carré',
  'Jacquet',
  'Collet',
  'Besnard',
  'Hervé',
  'Étienne',
  'Béranger',
  'Lévêque',
  'Thibault',
  'Ménard',
  'Cordier',
];
const FEMALE_FIRST = [
  'Camille',
  'Léa',
  'Manon',
  'Chloé',
  'Emma',
  'Inès',
  'Jade',
  'Louise',
  'Sarah',
  'Clara',
  'Anaïs',
  'Océane',
  'Julie',
  'Marie',
  'Nathalie',
  'Isabelle',
  'Sylvie',
  'Catherine',
  'Christine',
  'Sophie',
  'Valérie',
  'Sandrine',
  'Céline',
  'Aurélie',
  'Élodie',
  'Hélène',
  'Agathe',
  'Maëlle',
  'Gwenaëlle',
  'Françoise',
  'Brigitte',
  'Josiane',
  'Geneviève',
  'Zoé',
  'Noémie',
  'Margaux',
  'Anne-Sophie',
  'Marie-Claire',
  'Marie-Hélène',
  'Anne',
];
const MALE_FIRST = [
  'Jean',
  'Pierre',
  'Michel',
  'Philippe',
  'Alain',
  'Nicolas',
  'Christophe',
  'Patrick',
  'Daniel',
  'Frédéric',
  'Laurent',
  'Stéphane',
  'Éric',
  'Sébastien',
  'Julien',
  'David',
  'Olivier',
  'Thomas',
  'Hugo',
  'Lucas',
  'Théo',
  'Maxime',
  'Antoine',
  'Jérôme',
  'François',
  'Gaël',
  'Loïc',
  'Yann',
  'Erwan',
  'Hervé',
  'Raphaël',
  'Benoît',
  'Grégoire',
  'Noël',
  'Joël',
  'Jean-Pierre',
  'Jean-Luc',
  'Paul-Henri',
  'Marc',
  'Louis',
];
const PLACES = [
  'Melun',
  'Meaux',
  'Provins',
  'Coulommiers',
  'Fontainebleau',
  'Nemours',
  'Paris',
  'Lyon',
  'Marseille',
  'Toulouse',
  'Nice',
  'Nantes',
  'Strasbourg',
  'Montpellier',
  'Bordeaux',
  'Lille',
  'Rennes',
  'Reims',
  'Le Havre',
  'Saint-Étienne',
  'Toulon',
  'Brest',
  'Quimper',
  'Lorient',
  'Morlaix',
  'Saint-Denis (La Réunion)',
  'Fort-de-France',
  'Pointe-à-Pitre',
  'Besançon',
  'Clermont-Ferrand',
  'Aix-en-Provence',
  'Châlons-en-Champagne',
  'Évry-Courcouronnes',
  'Cergy',
  'Alger (Algérie)',
  'Dakar (Sénégal)',
  'Bruxelles (Belgique)',
];
const DOMAINS = [
  'mairie-aubepierre.fr',
  'seine-et-marne.gouv.fr',
  'interieur.gouv.fr',
  'intradef.gouv.fr',
  'ants.gouv.fr',
  'ville-melun.fr',
  'agglo-paris-vallee-marne.fr',
  'gendarmerie.interieur.gouv.fr',
];
const STREETS = [
  'place de la Mairie',
  'rue de la République',
  'avenue du Général de Gaulle',
  'rue Victor Hugo',
  'boulevard Jean Jaurès',
  "rue de l'Église",
  'allée des Tilleuls',
  'quai Hippolyte Rossignol',
  'rue Saint-Étienne',
  'chemin des Écoliers',
];
const SERVICES = [
  'Service état civil',
  'Direction des ressources humaines',
  'Bureau des titres',
  'Accueil',
  'Secrétariat général',
];
const PROFILES = [
  "Officier d'état civil",
  "Agent d'état civil",
  'Responsable carte',
  'Instructeur titres',
  'Secrétaire de mairie',
  'Gestionnaire RH',
  'Comptable',
  "Agent d'accueil",
  'Opérateur CIMS',
  'Marin',
  'Gendarme',
  'Chef de bureau',
];
const CIVIL_CATEGORIES = ['Catégorie A', 'Catégorie B', 'Catégorie C', 'A', 'B', 'C', ''];
const MILITARY_CATEGORIES = ['Officier', 'Sous-officier', 'Militaire du rang'];
const HABILITATIONS = [
  'COMEDEC',
  'COMEDEC',
  'COMEDEC|ACTES',
  'COMEDEC, Hélios PESV2',
  'TES|SAIP',
  'CHORUS, Source Solde',
  'CIMS',
  'CIMS|CHORUS',
  'Hélios',
  'ACTES',
  '',
];

const slug = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const pad2 = (n: number): string => String(n).padStart(2, '0');
const digits = (rand: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
};
const csvField = (v: string): string => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One feed line (without the line break) for agent number n; every row is valid and its identifier unique. */
function feedLine(n: number, rand: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const female = rand() < 0.55;
  let last = pick(LAST_NAMES);
  if (rand() < 0.04) last = `${last}-${pick(LAST_NAMES)}`.replace(/-(de|Le|Da|D')\b/, ' $1');
  let first = pick(female ? FEMALE_FIRST : MALE_FIRST);
  if (rand() < 0.3) first += ` ${pick(female ? FEMALE_FIRST : MALE_FIRST)}`;
  const lastCase = rand() < 0.5 ? last.toLocaleUpperCase('fr-FR') : last;

  // Identifiers: alliance (10 digits), nid (12 digits) and internal ones; n keeps them unique.
  const military = rand() < 0.2;
  let identifier: string;
  let kind: string;
  if (military) {
    identifier = String(1_000_000_000 + n);
    kind = 'alliance';
  } else if (rand() < 0.3) {
    identifier = String(100_000_000_000 + n);
    kind = rand() < 0.5 ? 'nid' : 'NID';
  } else {
    identifier = `${slug(first).slice(0, 1)}${slug(last).replace(/-/g, '').slice(0, 12)}.${n.toString(36)}`;
    kind = rand() < 0.8 ? 'interne' : '';
  }

  const sex = female ? pick(['F', 'F', 'F', 'féminin', 'f']) : pick(['M', 'M', 'M', 'masculin', 'm']);
  const y = 1958 + Math.floor(rand() * 47);
  const mo = 1 + Math.floor(rand() * 12);
  const d = 1 + Math.floor(rand() * 28);
  const birth = rand() < 0.7 ? `${pad2(d)}/${pad2(mo)}/${y}` : `${y}-${pad2(mo)}-${pad2(d)}`;
  const domain = military ? 'intradef.gouv.fr' : pick(DOMAINS);
  const email =
    rand() < 0.92 ? `${slug(first).replace(/-/g, '.')}.${slug(last)}${n % 7 === 0 ? '' : n % 1000}@${domain}` : '';
  const pn = digits(rand, 8);
  const phone = pick([
    `01 ${pn.slice(0, 2)} ${pn.slice(2, 4)} ${pn.slice(4, 6)} ${pn.slice(6, 8)}`,
    `06${pn}`,
    `+33 1 ${pn.slice(0, 2)} ${pn.slice(2, 4)} ${pn.slice(4, 6)} ${pn.slice(6, 8)}`,
    `07.${pn.slice(0, 2)}.${pn.slice(2, 4)}.${pn.slice(4, 6)}.${pn.slice(6, 8)}`,
    '',
  ]);
  const street = `${1 + Math.floor(rand() * 120)} ${pick(STREETS)}`;
  const r = rand();
  const address =
    r < 0.05
      ? `${pick(SERVICES)}; ${street}\n77720 Aubepierre-Ozouer-le-Repos`
      : r < 0.6
        ? `${street}, 77720 Aubepierre-Ozouer-le-Repos`
        : '';
  const status = military ? pick(['militaire', 'Militaire']) : pick(['civil', 'civil', 'civile', '']);
  const category = military ? pick(MILITARY_CATEGORIES) : pick(CIVIL_CATEGORIES);
  const habilitations = military ? pick(['CIMS', 'CIMS|CHORUS', 'Source Solde, CIMS']) : pick(HABILITATIONS);
  const organisation = rand() < 0.25 ? '77011' : '';
  const values = [
    identifier,
    kind,
    lastCase,
    first,
    sex,
    birth,
    pick(PLACES),
    email,
    phone,
    address,
    status,
    category,
    pick(PROFILES),
    habilitations,
    organisation,
  ];
  return values.map(csvField).join(';');
}

async function writeFeed(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  const rand = prng(0xca47e5);
  let chunk = `\uFEFF${FEED_COLUMNS.join(';')}\r\n`;
  for (let n = 1; n <= rows; n++) {
    chunk += `${feedLine(n, rand)}\r\n`;
    if (chunk.length >= 256 * 1024 || n === rows) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

// ---------------------------------------------------------------------------------------------
// Measurement

type Memory = {
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  heapStart: number;
  heapPeak: number;
  heapEnd: number;
};

function sampleMemory(): { stop: () => Memory } {
  const m0 = process.memoryUsage();
  const mem: Memory = {
    rssStart: m0.rss,
    rssPeak: m0.rss,
    rssEnd: m0.rss,
    heapStart: m0.heapUsed,
    heapPeak: m0.heapUsed,
    heapEnd: m0.heapUsed,
  };
  const sample = (): void => {
    const m = process.memoryUsage();
    mem.rssPeak = Math.max(mem.rssPeak, m.rss);
    mem.heapPeak = Math.max(mem.heapPeak, m.heapUsed);
    mem.rssEnd = m.rss;
    mem.heapEnd = m.heapUsed;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return mem;
    },
  };
}

type Timed = { run: ImportRunTable; seconds: number; rowsPerS: number; memory: Memory };

async function timedImport(ctx: AppContext, orgId: string, file: string, rows: number, label: string): Promise<Timed> {
  const sampler = sampleMemory();
  const t0 = performance.now();
  const run = await importAgents(ctx, systemActor('bench'), {
    organizationId: orgId,
    format: 'csv',
    full: false,
    fileName: 'bench-import.csv',
    input: createReadStream(file),
    bytesTotal: statSync(file).size,
  });
  const seconds = (performance.now() - t0) / 1000;
  const memory = sampler.stop();
  const rowsPerS = rows / seconds;
  console.log(
    `  ${label}: ${fmtInt(rows)} rows in ${seconds.toFixed(2)} s = ${fmtInt(rowsPerS)} rows/s — ${run.message}`,
  );
  return { run, seconds, rowsPerS, memory };
}

/** Live heap (after a forced GC) along an import: what the import keeps, not what it has yet to collect. */
type LiveMemory = { points: { rows: number; heap: number; rss: number }[]; perRow: number };

const forceGc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

async function liveMemoryImport(ctx: AppContext, orgId: string, file: string, rows: number): Promise<LiveMemory> {
  forceGc();
  const points = [{ rows: 0, heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }];
  const every = Math.max(1, Math.round(rows / 2000 / 10)); // about ten points
  let batches = 0;
  const run = await importAgents(ctx, systemActor('bench'), {
    organizationId: orgId,
    format: 'csv',
    full: false,
    fileName: 'bench-import.csv',
    input: createReadStream(file),
    bytesTotal: statSync(file).size,
    // Small batches here only to get enough sampling points (progress is reported per batch).
    batchRows: 2000,
    onProgress: (p) => {
      // The last batch (p.total = rows) is left out: the points compare like with like, mid-import.
      if (++batches % every !== 0 || p.total >= rows) return;
      forceGc();
      const m = process.memoryUsage();
      points.push({ rows: p.total, heap: m.heapUsed, rss: m.rss });
    },
  });
  if (run.status !== 'done' || run.total !== rows)
    problems.push(`memory run: status ${run.status}, ${run.total} rows read, expected ${rows}`);
  // Slope between the first point taken during the import and the last one (warm-up excluded).
  const a = points[1] ?? points[0]!;
  const b = points.at(-1)!;
  const perRow = b.rows > a.rows ? (b.heap - a.heap) / (b.rows - a.rows) : Number.NaN; // NaN: too few batches to tell
  return { points, perRow };
}

const problems: string[] = [];

function expectCounts(
  label: string,
  run: ImportRunTable,
  rows: number,
  expected: { inserted: number; unchanged: number },
): void {
  const got = {
    status: run.status,
    total: run.total,
    inserted: run.inserted,
    updated: run.updated,
    unchanged: run.unchanged,
    rejected: run.rejected,
  };
  const want = {
    status: 'done',
    total: rows,
    inserted: expected.inserted,
    updated: 0,
    unchanged: expected.unchanged,
    rejected: 0,
  };
  if (JSON.stringify(got) !== JSON.stringify(want))
    problems.push(`${label}: counts ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

async function countImported(ctx: AppContext, runId: string): Promise<number> {
  const r = await ctx.store.db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('last_import_id', '=', runId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function org77011(ctx: AppContext): Promise<string> {
  await loadDemoData(ctx);
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', '77011')
    .executeTakeFirstOrThrow();
  return org.id;
}

function runPsql(url: string, command: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PSQL, [url, '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.trim() }));
  });
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------
// Storage ceiling: the same rows copied, server side, from a staging table into a twin of `agents`
// (same columns, indexes and foreign key) in transactions of BATCH rows, as the import commits
// them. No parsing, validation or client round trips: what the table itself costs, so an upper
// bound for any importer that keeps the import's transaction size.

const CEILING_BATCH = 2000;

async function sqliteCeiling(ctx: AppContext, runId: string, rows: number): Promise<number> {
  const db = ctx.store.db;
  await sql`create table bench_stage as select * from agents where last_import_id = ${runId}`.execute(db);
  const ddl = await sql<{
    type: string;
    sql: string;
  }>`select type, sql from sqlite_master where tbl_name = 'agents' and sql is not null order by type desc`.execute(db);
  for (const { type, sql: text } of ddl.rows) {
    const twin =
      type === 'table'
        ? text.replace(/^create table\s+"?agents"?/i, 'create table "bench_twin"')
        : text.replace(
            /^create (unique )?index\s+"?(\w+)"?\s+on\s+"?agents"?/i,
            'create $1index "bench_twin_$2" on "bench_twin"',
          );
    if (twin === text) throw new Error(`cannot derive the twin table from: ${text}`);
    await sql.raw(twin).execute(db);
  }
  const t0 = performance.now();
  for (let i = 0; i < rows; i += CEILING_BATCH) {
    await db
      .transaction()
      .execute((trx) =>
        sql`insert into bench_twin select * from bench_stage where rowid > ${i} and rowid <= ${i + CEILING_BATCH}`.execute(
          trx,
        ),
      );
  }
  const seconds = (performance.now() - t0) / 1000;
  const copied = await sql<{ n: number }>`select count(*) as n from bench_twin`.execute(db);
  if (Number(copied.rows[0]?.n) !== rows)
    problems.push(`SQLite ceiling: ${copied.rows[0]?.n} rows copied, expected ${rows}`);
  await sql`drop table bench_twin`.execute(db);
  await sql`drop table bench_stage`.execute(db);
  return rows / seconds;
}

async function pgCeiling(ctx: AppContext, runId: string, rows: number): Promise<number> {
  const db = ctx.store.db;
  await sql`create table bench_stage as select row_number() over () as bench_n, * from agents where last_import_id = ${runId}`.execute(
    db,
  );
  await sql`create index on bench_stage (bench_n)`.execute(db);
  await sql`create table bench_twin (like agents including all)`.execute(db);
  await sql`alter table bench_twin add foreign key (organization_id) references organizations (id)`.execute(db);
  await sql`analyze bench_stage`.execute(db);
  const cols = sql.raw(
    (
      await sql<{
        c: string;
      }>`select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as c from information_schema.columns where table_name = 'agents' and table_schema = current_schema()`.execute(
        db,
      )
    ).rows[0]!.c,
  );
  const t0 = performance.now();
  for (let i = 0; i < rows; i += CEILING_BATCH) {
    await db
      .transaction()
      .execute((trx) =>
        sql`insert into bench_twin (${cols}) select ${cols} from bench_stage where bench_n > ${i} and bench_n <= ${i + CEILING_BATCH}`.execute(
          trx,
        ),
      );
  }
  const seconds = (performance.now() - t0) / 1000;
  const copied = await sql<{ n: number }>`select count(*)::int as n from bench_twin`.execute(db);
  if (Number(copied.rows[0]?.n) !== rows)
    problems.push(`PostgreSQL ceiling: ${copied.rows[0]?.n} rows copied, expected ${rows}`);
  await sql`drop table bench_twin`.execute(db);
  await sql`drop table bench_stage`.execute(db);
  return rows / seconds;
}

// ---------------------------------------------------------------------------------------------
// Runs

type SqliteResult = { first: Timed; second: Timed; live: LiveMemory; ceiling: number | null };
type PgResult = { ours: Timed; ceiling: number | null; copyRowsPerS: number };

async function runSqlite(feed: string, rows: number): Promise<SqliteResult> {
  console.log('SQLite');
  const dir = join(work, 'sqlite');
  const lite = await openPlatform({ data: dir, db: join(dir, 'cartes.sqlite') }, {});
  cleanups.push(() => lite.store.close());
  const orgId = await org77011(lite.ctx);
  const first = await timedImport(lite.ctx, orgId, feed, rows, 'first import (inserts)');
  expectCounts('SQLite first import', first.run, rows, { inserted: rows, unchanged: 0 });
  const inDb = await countImported(lite.ctx, first.run.id);
  if (inDb !== rows) problems.push(`SQLite first import: ${inDb} agents in the database, expected ${rows}`);
  const second = await timedImport(lite.ctx, orgId, feed, rows, 'second import (unchanged)');
  expectCounts('SQLite second import', second.run, rows, { inserted: 0, unchanged: rows });
  const live = await liveMemoryImport(lite.ctx, orgId, feed, rows);
  const pts = live.points.map((p) => `${fmtInt(p.rows)}: ${mb(p.heap)}`).join(', ');
  console.log(
    `  memory run (same file, untimed, GC forced every ~10 %): live heap by rows read ${pts} → ${live.perRow.toFixed(0)} bytes kept per row`,
  );
  let ceiling: number | null = null;
  if (opts.ceiling) {
    ceiling = await sqliteCeiling(lite.ctx, first.run.id, rows);
    console.log(
      `  storage ceiling (server-side copy into a twin table, ${fmtInt(CEILING_BATCH)} rows a commit): ${fmtInt(ceiling)} rows/s`,
    );
  }
  await lite.store.close();
  cleanups.pop();
  return { first, second, live, ceiling };
}

async function runPg(feed: string, rows: number): Promise<PgResult> {
  console.log('PostgreSQL');
  let serverUrl = process.env['CARTES_BENCH_PG_URL'];
  if (!serverUrl) {
    cluster = await startPgCluster({ log: (m) => console.log(`  ${m}`) });
    cleanups.push(() => cluster?.stop());
    serverUrl = cluster.url;
  }
  const dbName = `cartes_bench_import_${process.pid}`;
  const url = await createDatabase(serverUrl, dbName);
  const platform = await openPlatform({ data: join(work, 'pg'), db: url }, {});
  cleanups.push(() => platform.store.close());
  const orgId = await org77011(platform.ctx);
  const ours = await timedImport(platform.ctx, orgId, feed, rows, 'import (inserts)');
  expectCounts('PostgreSQL import', ours.run, rows, { inserted: rows, unchanged: 0 });
  const inDb = await countImported(platform.ctx, ours.run.id);
  if (inDb !== rows) problems.push(`PostgreSQL import: ${inDb} agents in the database, expected ${rows}`);

  // Peer: \copy of the same rows (BOM stripped into a copy: COPY would take it as part of the first header name).
  const plain = join(work, 'feed-nobom.csv');
  await pipeline(createReadStream(feed, { start: 3 }), createWriteStream(plain));
  const created = await runPsql(url, `create table bare (${FEED_COLUMNS.map((c) => `${c} text`).join(', ')})`);
  if (created.code !== 0) throw new Error(`psql create table failed: ${created.out}`);
  const t0 = performance.now();
  const copy = await runPsql(
    url,
    `\\copy bare FROM '${plain.replace(/'/g, "''")}' WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')`,
  );
  const copySeconds = (performance.now() - t0) / 1000;
  if (copy.code !== 0) throw new Error(`psql \\copy failed: ${copy.out}`);
  const counted = await runPsql(url, 'select count(*) from bare');
  const copied = Number(/\d+/.exec(counted.out)?.[0] ?? NaN);
  if (copied !== rows) problems.push(`\\copy: ${copied} rows in the bare table, expected ${rows}`);
  const copyRowsPerS = rows / copySeconds;
  console.log(
    `  psql \\copy into a bare table (peer): ${fmtInt(rows)} rows in ${copySeconds.toFixed(2)} s = ${fmtInt(copyRowsPerS)} rows/s`,
  );

  let ceiling: number | null = null;
  if (opts.ceiling) {
    ceiling = await pgCeiling(platform.ctx, ours.run.id, rows);
    console.log(
      `  storage ceiling (server-side copy into a twin table, ${fmtInt(CEILING_BATCH)} rows a commit): ${fmtInt(ceiling)} rows/s`,
    );
  }
  await platform.store.close();
  cleanups.pop();
  if (process.env['CARTES_BENCH_PG_URL']) {
    const admin = new URL(serverUrl);
    admin.pathname = '/postgres';
    await runPsql(admin.toString(), `drop database if exists ${dbName} with (force)`);
  }
  if (cluster) {
    await cluster.stop();
    cluster = null;
    cleanups.pop();
  }
  return { ours, ceiling, copyRowsPerS };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const rows = opts.rows;
  console.log(`import benchmark: ${fmtInt(rows)} agents (node ${process.version}, work folder ${work})`);
  const feed = join(work, 'feed.csv');
  const t0 = performance.now();
  const bytes = await writeFeed(feed, rows);
  console.log(`  feed generated: ${mb(bytes)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const lite = opts.sqlite ? await runSqlite(feed, rows) : null;
  const pgr = opts.pg ? await runPg(feed, rows) : null;

  // --- Summary
  const lines: [string, string, string, string][] = [];
  const memory = (label: string, m: Memory): void => {
    lines.push([
      `${label}: RSS, heap used (sampled)`,
      `${mb(m.rssStart)} → peak ${mb(m.rssPeak)} (+${mb(m.rssPeak - m.rssStart)}); heap peak ${mb(m.heapPeak)}`,
      '',
      '',
    ]);
  };
  if (lite) {
    lines.push([
      'SQLite import, first run (inserts)',
      `${fmtInt(lite.first.rowsPerS)} rows/s`,
      `≥ ${fmtInt(TARGET_SQLITE_ROWS_S)} rows/s`,
      verdict(lite.first.rowsPerS >= TARGET_SQLITE_ROWS_S),
    ]);
    lines.push(['SQLite import, same file again', `${fmtInt(lite.second.rowsPerS)} rows/s`, '(all unchanged)', '']);
    if (lite.ceiling !== null)
      lines.push([
        'SQLite storage ceiling (no client work)',
        `${fmtInt(lite.ceiling)} rows/s`,
        `import = ${pct(lite.first.rowsPerS / lite.ceiling)} of it`,
        '',
      ]);
  }
  if (pgr) {
    const ratio = pgr.ours.rowsPerS / pgr.copyRowsPerS;
    lines.push(
      ['PostgreSQL import (inserts)', `${fmtInt(pgr.ours.rowsPerS)} rows/s`, '', ''],
      ['psql \\copy into a bare table (peer)', `${fmtInt(pgr.copyRowsPerS)} rows/s`, '', ''],
      [
        'ratio PostgreSQL import / \\copy',
        pct(ratio),
        `≥ ${TARGET_PG_RATIO * 100} %`,
        verdict(ratio >= TARGET_PG_RATIO),
      ],
    );
    if (pgr.ceiling !== null) {
      lines.push([
        'PostgreSQL storage ceiling (no client work)',
        `${fmtInt(pgr.ceiling)} rows/s`,
        `= ${pct(pgr.ceiling / pgr.copyRowsPerS)} of \\copy; import = ${pct(pgr.ours.rowsPerS / pgr.ceiling)} of it`,
        '',
      ]);
    }
  }
  if (lite) {
    const p = lite.live.points;
    lines.push([
      'memory: live heap kept per row (flat)',
      `${lite.live.perRow.toFixed(0)} B/row (${mb(p[0]!.heap)} → ${mb(p.at(-1)!.heap)} at ${fmtInt(p.at(-1)!.rows)} rows)`,
      `≤ ${MAX_LIVE_BYTES_PER_ROW} B/row (identifiers only; feed ${Math.round(bytes / rows)} B/row)`,
      Number.isNaN(lite.live.perRow) ? 'n/a (too few rows)' : verdict(lite.live.perRow <= MAX_LIVE_BYTES_PER_ROW),
    ]);
    memory('memory, SQLite first run', lite.first.memory);
  }
  if (pgr) memory('memory, PostgreSQL run', pgr.ours.memory);
  const w = [0, 1, 2].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log(`\nSummary — ${fmtInt(rows)} agents, feed ${mb(bytes)} (targets are informational)`);
  for (const l of lines)
    console.log(`  ${l[0].padEnd(w[0]!)}  ${l[1].padEnd(w[1]!)}  ${l[2].padEnd(w[2]!)}  ${l[3]}`.trimEnd());
  if (!lite) console.log('  (SQLite skipped: --no-sqlite)');
  if (!pgr) console.log('  (PostgreSQL skipped: --no-pg)');
}

await finishBench(main, { problems, heading: 'WRONG COUNTS', cleanups, deadline });
