// The liaison office's desks of `npm run bench -- dossiers`, as their browsers drive the API: run in a
// worker thread, so that the clients' own work (building, sending and parsing requests) is not counted
// on the server's event loop. Each desk is signed in by a one-time link token (created by the main
// thread, as `cartes` prints them), then sends a slip of files and its intake, slip after slip.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

export const SLIP_FILES = 25;

export interface SlipSetting {
  centreId: string;
  senderId: string;
  kind: { pieces: { code: string }[]; checks: { code: string }[] };
  today: string;
}

export interface DesksJob {
  baseUrl: string;
  /** One sign-in link token per desk. */
  tokens: string[];
  setting: SlipSetting;
  slips: number;
}

export function slipBody(s: SlipSetting, ref: string) {
  return {
    centreId: s.centreId,
    sendingOrganizationId: s.senderId,
    unitReference: ref,
    slipDate: s.today,
    files: Array.from({ length: SLIP_FILES }, (_, i) => ({
      kind: 'fd_mission',
      personName: `Stagiaire ${ref}-${i}`,
      pieces: s.kind.pieces.map((p) => p.code),
    })),
  };
}

export function intakeBody(s: SlipSetting, files: { id: string }[]) {
  const pieces = Object.fromEntries(s.kind.pieces.map((p) => [p.code, true]));
  const checks = Object.fromEntries(s.kind.checks.map((c) => [c.code, { ok: true }]));
  return { files: files.map((f) => ({ fileId: f.id, pieces, checks, register: true })) };
}

interface Desk {
  post(path: string, body: unknown): Promise<{ status: number; json: unknown; text: string }>;
}

async function signIn(baseUrl: string, token: string): Promise<Desk> {
  const res = await fetch(`${baseUrl}/api/auth/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('cartes_session='))!
    .split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    async post(path, body) {
      const r = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, text, json: text ? (JSON.parse(text) as unknown) : null };
    },
  };
}

/** Runs the desks at once over the slips; returns the seconds from the first slip to the last answer. */
export async function runDesks(job: DesksJob, progress: (files: number) => void): Promise<number> {
  const desks = await Promise.all(job.tokens.map((t) => signIn(job.baseUrl, t)));
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    desks.map(async (desk) => {
      for (let n = next++; n < job.slips; n = next++) {
        const slip = await desk.post('/api/backoffice/slips', slipBody(job.setting, `HTTP/${n}`));
        if (slip.status !== 201) throw new Error(`POST /api/backoffice/slips: ${slip.status} ${slip.text}`);
        const created = slip.json as { id: string; files: { id: string }[] };
        const r = await desk.post(`/api/backoffice/slips/${created.id}/intake`, intakeBody(job.setting, created.files));
        if (r.status !== 200) throw new Error(`POST …/intake: ${r.status} ${r.text}`);
        if ((r.json as { registered: string[] }).registered.length !== SLIP_FILES)
          throw new Error(`slip ${n}: ${r.text.slice(0, 200)}`);
        done += SLIP_FILES;
        if (n % 20 === 19) progress(done);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  runDesks(workerData as DesksJob, (files) => port.postMessage({ progress: files })).then(
    (seconds) => port.postMessage({ seconds }),
    (err: unknown) => port.postMessage({ error: err instanceof Error ? err.stack : String(err) }),
  );
}
