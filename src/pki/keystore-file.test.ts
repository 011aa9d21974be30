import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { deriveDualControlKey, FileKeyStore, keyFilePassphrase, newDualControlSalt } from './keystore-file.ts';
import { KeyStoreError, type KeyAlgorithm, type KeyRef, type Signer } from './keystore.ts';

const execFileAsync = promisify(execFile);

/** Runs openssl; resolves with its exit code and output (never rejects on a non-zero exit). */
async function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('openssl', args, { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function spkiPem(signer: Signer): string {
  return createPublicKey({ key: Buffer.from(signer.publicKeySpki), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** Verifies a SHA-256 signature with `openssl dgst -sha256 -verify` (an independent peer). */
async function opensslVerifies(dir: string, signer: Signer, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const tag = randomBytes(6).toString('hex');
  const pub = join(dir, `pub-${tag}.pem`);
  const msg = join(dir, `msg-${tag}.bin`);
  const sig = join(dir, `sig-${tag}.bin`);
  writeFileSync(pub, spkiPem(signer));
  writeFileSync(msg, data);
  writeFileSync(sig, signature);
  const r = await openssl(['dgst', '-sha256', '-verify', pub, '-signature', sig, msg]);
  return r.code === 0 && r.stdout.includes('Verified OK');
}

function nodeVerifies(signer: Signer, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(signer.publicKeySpki), format: 'der', type: 'spki' });
  return verify('sha256', data, key, signature);
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cartes-keystore-file-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SECRET = Buffer.from('phrase de passe du magasin de clés, assez longue');

describe('FileKeyStore', () => {
  for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const satisfies readonly KeyAlgorithm[]) {
    test(`${algorithm}: generate, sign, verify with node:crypto and openssl`, async () => {
      const store = new FileKeyStore(join(dir, 'keys'), SECRET);
      const ref = await store.generate(`ca-${algorithm}`, algorithm);
      assert.deepEqual(ref, { store: 'file', path: join(dir, 'keys', `ca-${algorithm}.key.pem`), algorithm });

      const signer = await store.signer(ref);
      assert.equal(signer.algorithm, algorithm);
      const spki = createPublicKey({ key: Buffer.from(signer.publicKeySpki), format: 'der', type: 'spki' });
      assert.equal(spki.asymmetricKeyType, algorithm === 'ecdsa-p256' ? 'ec' : 'rsa');

      const data = Buffer.from(`to-be-signed ${algorithm} ${'x'.repeat(1000)}`);
      const signature = await signer.sign(data);
      assert.ok(signature instanceof Uint8Array);
      if (algorithm === 'ecdsa-p256') assert.equal(signature[0], 0x30, 'ECDSA signature is a DER SEQUENCE');
      else assert.equal(signature.length, 256);
      assert.ok(nodeVerifies(signer, data, signature));
      assert.ok(await opensslVerifies(dir, signer, data, signature), 'openssl dgst -verify accepts the signature');
      // A tampered message does not verify (with either peer).
      const tampered = Buffer.from(data);
      tampered[0] = tampered[0]! ^ 1;
      assert.equal(nodeVerifies(signer, tampered, signature), false);
      assert.equal(await opensslVerifies(dir, signer, tampered, signature), false);

      // Reopening the file with a new store object (same secret) gives the same public key.
      const again = await new FileKeyStore(join(dir, 'keys'), Buffer.from(SECRET)).signer(ref);
      assert.deepEqual(again.publicKeySpki, signer.publicKeySpki);
    });

    test(`${algorithm}: streaming createSign verifies like the one-shot sign`, async () => {
      const store = new FileKeyStore(join(dir, 'keys'), SECRET);
      const ref = await store.generate(`stream-${algorithm}`, algorithm);
      const signer = await store.signer(ref);
      assert.ok(signer.createSign, 'file signers implement createSign');
      const chunks = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i));
      const whole = Buffer.concat(chunks);
      const stream = signer.createSign();
      for (const c of chunks) stream.update(c);
      const streamed = stream.sign();
      const oneShot = await signer.sign(whole);
      assert.ok(nodeVerifies(signer, whole, streamed));
      assert.ok(nodeVerifies(signer, whole, oneShot));
      assert.ok(await opensslVerifies(dir, signer, whole, streamed));
      // RSA PKCS#1 v1.5 is deterministic: same bytes. ECDSA uses a random nonce: both verify.
      if (algorithm === 'rsa-2048') assert.deepEqual(streamed, oneShot);
      assert.throws(() => stream.sign(), /une fois/);
      assert.throws(() => stream.update(Buffer.from('x')), /après sign/);
    });
  }

  test('rsa-3072 keys are generated and sign with SHA-256', async () => {
    const store = new FileKeyStore(join(dir, 'keys'), SECRET);
    const ref = await store.generate('ca-rsa-3072', 'rsa-3072');
    const signer = await store.signer(ref);
    const data = Buffer.from('rsa 3072');
    const signature = await signer.sign(data);
    assert.equal(signature.length, 384);
    assert.ok(nodeVerifies(signer, data, signature));
    assert.ok(await opensslVerifies(dir, signer, data, signature));
  });

  test('the file on disk is encrypted PKCS#8, mode 0600; openssl opens it only with the derived passphrase', async () => {
    const store = new FileKeyStore(join(dir, 'enc'), SECRET);
    const ref = await store.generate('ocsp', 'ecdsa-p256');
    assert.equal(ref.store, 'file');
    const path = ref.store === 'file' ? ref.path : '';
    const text = readFileSync(path, 'utf8');
    assert.match(text, /-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.doesNotMatch(text, /BEGIN (EC |RSA )?PRIVATE KEY/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'enc')).mode & 0o077, 0, 'key folder not readable by others');

    const wrong = await openssl(['pkey', '-in', path, '-passin', 'pass:wrong', '-noout']);
    assert.notEqual(wrong.code, 0, 'openssl refuses a wrong passphrase');
    // The secret itself is not the passphrase either (it goes through scrypt with a per-file salt).
    const raw = await openssl(['pkey', '-in', path, '-passin', `pass:${SECRET.toString()}`, '-noout']);
    assert.notEqual(raw.code, 0);

    const passphrase = await keyFilePassphrase(path, SECRET);
    const ok = await openssl(['pkey', '-in', path, '-passin', `pass:${passphrase}`, '-pubout']);
    assert.equal(ok.code, 0, ok.stderr);
    const signer = await store.signer(ref);
    assert.equal(ok.stdout.trim(), spkiPem(signer).trim(), 'openssl finds the same public key');
  });

  test('each file has its own salt: same secret, different passphrases', async () => {
    const store = new FileKeyStore(join(dir, 'salts'), SECRET);
    const a = await store.generate('a', 'ecdsa-p256');
    const b = await store.generate('b', 'ecdsa-p256');
    assert.ok(a.store === 'file' && b.store === 'file');
    assert.notEqual(await keyFilePassphrase(a.path, SECRET), await keyFilePassphrase(b.path, SECRET));
  });

  test('a wrong secret gives a clear French error', async () => {
    const store = new FileKeyStore(join(dir, 'wrong'), SECRET);
    const ref = await store.generate('sub-ca', 'rsa-2048');
    const other = new FileKeyStore(join(dir, 'wrong'), Buffer.from('une autre phrase de passe'));
    await assert.rejects(other.signer(ref), (err: unknown) => {
      assert.ok(err instanceof KeyStoreError);
      assert.equal(err.code, 'wrong_secret');
      assert.match(err.message, /^Secret incorrect : impossible d'ouvrir la clé sub-ca\.key\.pem/);
      return true;
    });
  });

  test('generate never overwrites; labels, algorithms and references are checked', async () => {
    const store = new FileKeyStore(join(dir, 'checks'), SECRET);
    const ref = await store.generate('root', 'ecdsa-p256');
    const before = readFileSync(join(dir, 'checks', 'root.key.pem'), 'utf8');
    await assert.rejects(
      store.generate('root', 'ecdsa-p256'),
      (e: unknown) => e instanceof KeyStoreError && e.code === 'exists',
    );
    assert.equal(readFileSync(join(dir, 'checks', 'root.key.pem'), 'utf8'), before);

    for (const label of ['', '../evil', 'a/b', '.hidden', 'x'.repeat(65)]) {
      await assert.rejects(store.generate(label, 'ecdsa-p256'), /Libellé de clé invalide/);
    }
    await assert.rejects(store.generate('k', 'dsa-1024' as KeyAlgorithm), /Algorithme de clé inconnu/);
    await assert.rejects(store.signer({ ...ref, algorithm: 'rsa-2048' } as KeyRef), /la référence annonce rsa-2048/);
    await assert.rejects(
      store.signer({ store: 'file', path: join(dir, 'checks', 'absent.key.pem'), algorithm: 'ecdsa-p256' }),
      (e: unknown) => e instanceof KeyStoreError && e.code === 'not_found' && /Clé introuvable/.test(e.message),
    );
    await assert.rejects(
      store.signer({ store: 'pkcs11', module: '/x.so', tokenLabel: 't', keyLabel: 'k', algorithm: 'ecdsa-p256' }),
      /magasin de fichiers/,
    );
    writeFileSync(join(dir, 'checks', 'clear.key.pem'), 'not a key\n');
    await assert.rejects(
      store.signer({ store: 'file', path: join(dir, 'checks', 'clear.key.pem'), algorithm: 'ecdsa-p256' }),
      (e: unknown) => e instanceof KeyStoreError && e.code === 'invalid',
    );
    assert.throws(() => new FileKeyStore(dir, Buffer.alloc(0)), /secret du magasin de clés est vide/);
  });

  test('a reference with a path relative to the store folder opens', async () => {
    const store = new FileKeyStore(join(dir, 'rel'), SECRET);
    const ref = await store.generate('rel', 'ecdsa-p256');
    assert.ok(ref.store === 'file');
    const signer = await store.signer({ ...ref, path: relative(join(dir, 'rel'), ref.path) });
    const data = Buffer.from('relative');
    assert.ok(nodeVerifies(signer, data, await signer.sign(data)));
  });

  test('the secret buffer is copied: wiping the caller’s copy does not break the store', async () => {
    const secret = Buffer.from(SECRET);
    const store = new FileKeyStore(join(dir, 'copy'), secret);
    const ref = await store.generate('k', 'ecdsa-p256');
    secret.fill(0);
    await store.signer(ref);
  });
});

describe('deriveDualControlKey', () => {
  const A = 'premier dépositaire 2026';
  const B = 'second dépositaire, autre phrase';

  test('two secrets and a salt give one deterministic 32-byte key; order, salt and each secret matter', () => {
    const salt = newDualControlSalt();
    assert.equal(salt.length, 32);
    const k = deriveDualControlKey(A, B, salt);
    assert.equal(k.length, 32);
    assert.deepEqual(deriveDualControlKey(A, B, Buffer.from(salt)), k);
    assert.notDeepEqual(deriveDualControlKey(B, A, salt), k, 'custodians are ordered');
    assert.notDeepEqual(deriveDualControlKey(A, B, newDualControlSalt()), k);
    assert.notDeepEqual(deriveDualControlKey(A, B + '!', salt), k);
    assert.notDeepEqual(deriveDualControlKey(A + '!', B, salt), k);
    // NFC normalisation: a decomposed "é" is the same secret.
    assert.deepEqual(deriveDualControlKey(A.normalize('NFD'), B, salt), k);
  });

  test('refuses identical, short secrets and a wrong salt, in French', () => {
    const salt = newDualControlSalt();
    assert.throws(() => deriveDualControlKey(A, A, salt), /même secret/);
    assert.throws(() => deriveDualControlKey(A, A.normalize('NFD'), salt), /même secret/);
    assert.throws(
      () => deriveDualControlKey('court', B, salt),
      /premier dépositaire est trop court : 12 caractères au moins/,
    );
    assert.throws(() => deriveDualControlKey(A, 'onze-chars!', salt), /second dépositaire est trop court/);
    // 12 characters (with accents: counted as characters, not bytes) is enough.
    assert.equal(deriveDualControlKey('éééééééééééé', B, salt).length, 32);
    assert.throws(() => deriveDualControlKey(A, B, Buffer.alloc(16)), /32 octets/);
  });

  test('one right secret and one wrong secret cannot open the root CA key', async () => {
    const salt = newDualControlSalt();
    const kek = deriveDualControlKey(A, B, salt);
    const store = new FileKeyStore(join(dir, 'root'), kek);
    const ref = await store.generate('root-ca', 'ecdsa-p256');
    const data = Buffer.from('root');
    const reopened = await new FileKeyStore(join(dir, 'root'), deriveDualControlKey(A, B, salt)).signer(ref);
    assert.ok(nodeVerifies(reopened, data, await reopened.sign(data)));

    for (const [a, b] of [
      [A, 'mauvais secret du second'],
      ['mauvais secret du premier', B],
      [B, A],
    ] as const) {
      const k = deriveDualControlKey(a, b, salt);
      await assert.rejects(
        new FileKeyStore(join(dir, 'root'), k).signer(ref),
        /Secret incorrect : impossible d'ouvrir la clé/,
      );
    }
    // Nor does one secret used directly as the store secret.
    await assert.rejects(new FileKeyStore(join(dir, 'root'), Buffer.from(A)).signer(ref), /Secret incorrect/);
  });
});
