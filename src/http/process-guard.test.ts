import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

// A child process installs the guard, then errors escape the way a request's stream listener or a
// forgotten promise would make them escape.
const GUARD = new URL('./process-guard.ts', import.meta.url).href;

function run(script: string): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout };
}

describe('process guard', () => {
  it('logs what escapes every handler and keeps the process alive', () => {
    const r = run(`
      import { EventEmitter } from 'node:events';
      import { guardProcess } from ${JSON.stringify(GUARD)};
      const log = { error: (o, m) => console.log('error', m, o.origin, o.err?.message ?? o.err), fatal: (o, m) => console.log('fatal', m) };
      guardProcess(log);
      const body = new EventEmitter();
      body.on('data', () => { throw new RangeError('Cannot create a string longer than 0x1fffffe8 characters'); });
      setImmediate(() => body.emit('data'));
      Promise.reject(new Error('forgotten'));
      setTimeout(() => { console.log('still serving'); }, 200);
    `);
    assert.equal(r.status, 0, r.stdout);
    assert.match(
      r.stdout,
      /error uncaught error: logged, the process keeps serving uncaughtException Cannot create a string/,
    );
    assert.match(r.stdout, /error .* unhandledRejection forgotten/);
    assert.match(r.stdout, /still serving/);
  });

  it('ends the process after a burst, for its supervisor to restart it', () => {
    const r = run(`
      import { guardProcess } from ${JSON.stringify(GUARD)};
      const log = { error: () => {}, fatal: (o, m) => console.log('fatal', m) };
      guardProcess(log, { maxBurst: 3, windowMs: 60000 });
      for (let i = 0; i < 5; i++) setImmediate(() => { throw new Error('again ' + i); });
      setTimeout(() => console.log('not reached'), 2000);
    `);
    assert.equal(r.status, 70, r.stdout);
    assert.match(r.stdout, /fatal 4 uncaught errors within 60000 ms: stopping/);
    assert.doesNotMatch(r.stdout, /not reached/);
  });
});
