import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardKeyError, loadCardMasterKey, loadChipKey } from './keys.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cartes-card-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('without the environment, the keys are created once in <data>/cards (0600, 32 bytes) and kept', (t) => {
  const dir = tempDir(t);
  const master = loadCardMasterKey(dir, {});
  const chip = loadChipKey(dir, {});
  assert.equal(master.length, 32);
  assert.equal(chip.length, 32);
  assert.notDeepEqual(master, chip);
  for (const name of ['master.key', 'chip.key']) {
    const st = statSync(join(dir, 'cards', name));
    assert.equal(st.mode & 0o777, 0o600, name);
  }
  assert.equal(readFileSync(join(dir, 'cards', 'master.key'), 'utf8').trim(), master.toString('hex'));
  assert.deepEqual(loadCardMasterKey(dir, {}), master, 'same key on the next start');
  assert.deepEqual(loadChipKey(dir, {}), chip);
});

test('the environment wins (64 hex) and writes no file', (t) => {
  const dir = tempDir(t);
  const hex = 'ab'.repeat(32);
  assert.deepEqual(loadCardMasterKey(dir, { CARTES_CARD_MASTER_KEY: hex }), Buffer.from(hex, 'hex'));
  assert.deepEqual(loadChipKey(dir, { CARTES_CARD_CHIP_KEY: 'CD'.repeat(32) }), Buffer.alloc(32, 0xcd));
  assert.throws(() => statSync(join(dir, 'cards', 'master.key')));
});

test('malformed values are refused in French', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () => loadCardMasterKey(dir, { CARTES_CARD_MASTER_KEY: 'abc' }),
    (e: unknown) =>
      e instanceof CardKeyError &&
      /^CARTES_CARD_MASTER_KEY : clé maîtresse des cartes invalide, 64 caractères hexadécimaux attendus/.test(
        e.message,
      ),
  );
  assert.throws(
    () => loadChipKey(dir, { CARTES_CARD_CHIP_KEY: 'zz'.repeat(32) }),
    /CARTES_CARD_CHIP_KEY : clé de puce invalide/,
  );
  loadChipKey(dir, {});
  writeFileSync(join(dir, 'cards', 'chip.key'), 'pas une clé\n');
  assert.throws(
    () => loadChipKey(dir, {}),
    (e: unknown) => e instanceof CardKeyError && /clé de puce illisible dans .*chip\.key/.test(e.message),
  );
});
