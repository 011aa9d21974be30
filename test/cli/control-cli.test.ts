// `cartes control deontological` on the demonstration data: the quarter the demonstration already
// controlled is not controlled twice, an earlier quarter is, once; a malformed quarter is refused in French.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../support/platform.ts';
import { cartes as run } from '../support/process.ts';
import { previousQuarter, quarterOf } from '../../src/domain/control.ts';

/** `cartes --data DATA ARGS` (the shared runner: clean environment, 240 s at most). */
const cartes = (args: string[], data: string) => run(['--data', data, ...args], {}, { timeoutMs: 240_000 });

describe('cartes control', { timeout: 600_000 }, () => {
  let data: string;
  before(async () => {
    data = tempDir('control');
    const load = await cartes(['demo', 'load'], data);
    assert.equal(load.code, 0, load.stderr);
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('runs the deontological control of a quarter once per centre', async () => {
    const last = previousQuarter(quarterOf(new Date().toISOString()));
    const again = await cartes(['control', 'deontological'], data);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /Centre d'administration marine des indemnités de déplacement : contrôle déontologique déjà établi/,
    );
    const earlier = previousQuarter(last);
    const first = await cartes(['control', 'deontological', '--quarter', earlier], data);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\d+ dossier\(s\) mis sous contrôle déontologique/);
    const second = await cartes(['control', 'deontological', '--quarter', earlier], data);
    assert.match(second.stdout, /déjà établi, rien à faire/);
    const bad = await cartes(['control', 'deontological', '--quarter', '2026-5'], data);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Trimestre invalide/);
  });
});
