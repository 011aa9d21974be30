// PKCS#11 key store against a real SoftHSM2 token (fresh token folder per run).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes, sign as nodeSign, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initSoftHsmToken, type SoftHsmToken } from '../../scripts/lib/softhsm.js';
import { KeyStoreError, type KeyAlgorithm, type KeyRef, type Signer } from '../../src/pki/keystore.ts';
import { ecdsaRawToDer, loadPkcs11js, Pkcs11KeyStore } from '../../src/pki/keystore-pkcs11.ts';

const execFileAsync = promisify(execFile);

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const USER_PIN = '246810';
const SO_PIN = '13579111';
let token: SoftHsmToken;
let store: Pkcs11KeyStore;

before(async () => {
  token = await initSoftHsmToken({ label: 'cartes-test', soPin: SO_PIN, userPin: USER_PIN });
  store = new Pkcs11KeyStore(token.modulePath, token.tokenLabel, USER_PIN);
});
after(async () => {
  await store?.close();
  await token?.cleanup();
});

function nodeVerifies(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  return verify('sha256', data, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), signature);
}

/** The public key as pkcs11-tool (OpenSC, an independent PKCS#11 client) exports it: DER SPKI. */
async function exportPublicKeyWithPkcs11Tool(keyLabel: string): Promise<string> {
  const out = join(token.dir, `pub-${keyLabel}.der`);
  const r = await run('pkcs11-tool', [
    '--module',
    token.modulePath,
    '--token-label',
    token.tokenLabel,
    '--read-object',
    '--type',
    'pubkey',
    '--label',
    keyLabel,
    '-o',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

async function opensslVerifies(pubDer: string, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const tag = randomBytes(6).toString('hex');
  const msg = join(token.dir, `msg-${tag}`);
  const sig = join(token.dir, `sig-${tag}`);
  writeFileSync(msg, data);
  writeFileSync(sig, signature);
  const r = await run('openssl', ['dgst', '-sha256', '-keyform', 'DER', '-verify', pubDer, '-signature', sig, msg]);
  return r.code === 0 && r.stdout.includes('Verified OK');
}

describe('Pkcs11KeyStore on SoftHSM2', () => {
  test('pkcs11js loads in this Node (N-API addon)', async () => {
    const lib = await loadPkcs11js();
    assert.equal(typeof lib.PKCS11, 'function');
    assert.ok(process.versions.node.startsWith('24.'), `tests run with the pinned Node 24, not ${process.version}`);
  });

  // First, before any login in this process: the token itself checks the PIN.
  test('a wrong PIN gives a clear French error', async () => {
    const wrong = new Pkcs11KeyStore(token.modulePath, token.tokenLabel, '000000');
    try {
      await assert.rejects(wrong.generate('never', 'ecdsa-p256'), (err: unknown) => {
        assert.ok(err instanceof KeyStoreError);
        assert.equal(err.code, 'wrong_secret');
        assert.match(err.message, /^PIN incorrect : impossible de se connecter au jeton PKCS#11 « cartes-test »/);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const satisfies readonly KeyAlgorithm[]) {
    describe(algorithm, () => {
      const keyLabel = `ca-${algorithm}`;
      let ref: KeyRef;
      let signer: Signer;

      test('generate on the token; signatures verify with node:crypto and with openssl against the key exported by pkcs11-tool', async () => {
        ref = await store.generate(keyLabel, algorithm);
        assert.deepEqual(ref, {
          store: 'pkcs11',
          module: token.modulePath,
          tokenLabel: 'cartes-test',
          keyLabel,
          algorithm,
        });
        signer = await store.signer(ref);
        assert.equal(signer.algorithm, algorithm);

        const pubDer = await exportPublicKeyWithPkcs11Tool(keyLabel);
        assert.deepEqual(new Uint8Array(readFileSync(pubDer)), signer.publicKeySpki, 'same SPKI as pkcs11-tool');

        const data = Buffer.from(`tbsCertificate ${algorithm} ${'y'.repeat(3000)}`);
        const signature = await signer.sign(data);
        if (algorithm === 'ecdsa-p256') assert.equal(signature[0], 0x30, 'DER SEQUENCE');
        else assert.equal(signature.length, 256);
        assert.ok(nodeVerifies(signer.publicKeySpki, data, signature));
        assert.ok(await opensslVerifies(pubDer, data, signature), 'openssl dgst -verify accepts it');
        const tampered = Buffer.from(data);
        tampered[5] = tampered[5]! ^ 0x20;
        assert.equal(nodeVerifies(signer.publicKeySpki, tampered, signature), false);
        assert.equal(await opensslVerifies(pubDer, tampered, signature), false);
      });

      test('the private key is sensitive and not extractable', async () => {
        assert.deepEqual(await store.protection(ref), {
          token: true,
          private: true,
          sensitive: true,
          extractable: false,
          alwaysSensitive: true,
          neverExtractable: true,
        });

        // Ask the token directly for CKA_VALUE of the private key: refused.
        const lib = await loadPkcs11js();
        const raw = new lib.PKCS11();
        raw.load(token.modulePath);
        try {
          raw.C_Initialize();
        } catch (err) {
          assert.match((err as Error).message, /CKR_CRYPTOKI_ALREADY_INITIALIZED/); // initialised by the store
        }
        const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).label.trim() === token.tokenLabel);
        assert.ok(slot);
        const session = raw.C_OpenSession(slot, lib.CKF_SERIAL_SESSION);
        try {
          raw.C_FindObjectsInit(session, [
            { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
            { type: lib.CKA_LABEL, value: keyLabel },
          ]);
          const handles = raw.C_FindObjects(session, 5);
          raw.C_FindObjectsFinal(session);
          assert.equal(handles.length, 1, 'the store is logged in: the private key is visible');
          const secretPart = algorithm === 'ecdsa-p256' ? lib.CKA_VALUE : lib.CKA_PRIVATE_EXPONENT;
          assert.throws(
            () => raw.C_GetAttributeValue(session, handles[0]!, [{ type: secretPart }]),
            /CKR_ATTRIBUTE_SENSITIVE/,
          );
          // Nor can it be wrapped out (CKA_EXTRACTABLE false): C_SetAttributeValue cannot turn it back on.
          assert.throws(
            () => raw.C_SetAttributeValue(session, handles[0]!, [{ type: lib.CKA_EXTRACTABLE, value: true }]),
            /CKR_/,
          );
        } finally {
          raw.C_CloseSession(session);
          raw.close(); // no C_Finalize: the store owns the initialisation
        }

        // OpenSC's view of the key.
        const list = await run('pkcs11-tool', [
          '--module',
          token.modulePath,
          '--token-label',
          token.tokenLabel,
          '--login',
          '--pin',
          USER_PIN,
          '--list-objects',
          '--type',
          'privkey',
          '--label',
          keyLabel,
        ]);
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, /Access:\s+sensitive, always sensitive, never extractable, local/);
        assert.match(list.stdout, /Usage:\s+sign\n/, 'a signing key only');
      });

      test('streaming createSign verifies like the one-shot sign', async () => {
        assert.ok(signer.createSign, 'PKCS#11 signers implement createSign');
        const chunks = Array.from({ length: 64 }, (_, i) => randomBytes(4096 + i));
        const whole = Buffer.concat(chunks);
        const stream = signer.createSign();
        for (const c of chunks) stream.update(c);
        const streamed = stream.sign();
        const oneShot = await signer.sign(whole);
        assert.ok(nodeVerifies(signer.publicKeySpki, whole, streamed));
        assert.ok(nodeVerifies(signer.publicKeySpki, whole, oneShot));
        assert.ok(await opensslVerifies(await exportPublicKeyWithPkcs11Tool(keyLabel), whole, streamed));
        // RSA PKCS#1 v1.5 is deterministic: CKM_RSA_PKCS over the DigestInfo = CKM_SHA256_RSA_PKCS.
        if (algorithm === 'rsa-2048') assert.deepEqual(streamed, oneShot);
        assert.throws(() => stream.sign(), /une fois/);
      });
    });
  }

  test('keys persist on the token: a new store (new session) signs with them', async () => {
    const ref = await store.generate('ocsp-persist', 'ecdsa-p256');
    const first = await store.signer(ref);
    const other = new Pkcs11KeyStore(token.modulePath, token.tokenLabel, USER_PIN);
    try {
      const again = await other.signer(ref);
      assert.deepEqual(again.publicKeySpki, first.publicKeySpki);
      const data = Buffer.from('persist');
      assert.ok(nodeVerifies(first.publicKeySpki, data, await again.sign(data)));
    } finally {
      await other.close();
    }
    // The first store still works after the other one closed.
    const data = Buffer.from('still open');
    assert.ok(nodeVerifies(first.publicKeySpki, data, await first.sign(data)));
  });

  test('while the token is logged in, a second store with a wrong PIN is still refused', async () => {
    await store.signer({
      store: 'pkcs11',
      module: token.modulePath,
      tokenLabel: token.tokenLabel,
      keyLabel: 'ca-ecdsa-p256',
      algorithm: 'ecdsa-p256',
    });
    const wrong = new Pkcs11KeyStore(token.modulePath, token.tokenLabel, USER_PIN + '0');
    try {
      await assert.rejects(
        wrong.signer({
          store: 'pkcs11',
          module: token.modulePath,
          tokenLabel: token.tokenLabel,
          keyLabel: 'ca-ecdsa-p256',
          algorithm: 'ecdsa-p256',
        }),
        (err: unknown) =>
          err instanceof KeyStoreError && err.code === 'wrong_secret' && /^PIN incorrect/.test(err.message),
      );
    } finally {
      await wrong.close();
    }
  });

  test('existing labels, unknown keys, tokens and mismatched references are refused in French', async () => {
    await assert.rejects(
      store.generate('ca-ecdsa-p256', 'ecdsa-p256'),
      (e: unknown) => e instanceof KeyStoreError && e.code === 'exists',
    );
    const base = { store: 'pkcs11', module: token.modulePath, tokenLabel: token.tokenLabel } as const;
    await assert.rejects(
      store.signer({ ...base, keyLabel: 'absent', algorithm: 'ecdsa-p256' }),
      (e: unknown) =>
        e instanceof KeyStoreError && e.code === 'not_found' && /Clé « absent » introuvable/.test(e.message),
    );
    await assert.rejects(
      store.signer({ ...base, keyLabel: 'ca-ecdsa-p256', algorithm: 'rsa-2048' }),
      /n'est pas rsa-2048/,
    );
    await assert.rejects(
      store.signer({ ...base, keyLabel: 'ca-rsa-2048', algorithm: 'rsa-3072' }),
      /n'est pas rsa-3072 \(module de 2048 bits\)/,
    );
    await assert.rejects(
      store.signer({ ...base, tokenLabel: 'autre', keyLabel: 'k', algorithm: 'ecdsa-p256' }),
      /est sur le jeton « autre »/,
    );
    await assert.rejects(store.signer({ store: 'file', path: '/x', algorithm: 'ecdsa-p256' }), /magasin PKCS#11/);
    await assert.rejects(store.generate('../x', 'ecdsa-p256'), /Libellé de clé invalide/);

    const noToken = new Pkcs11KeyStore(token.modulePath, 'absent', USER_PIN);
    await assert.rejects(
      noToken.generate('k', 'ecdsa-p256'),
      (e: unknown) =>
        e instanceof KeyStoreError &&
        e.code === 'not_found' &&
        /Jeton PKCS#11 « absent » introuvable .*« cartes-test »/.test(e.message),
    );
    await noToken.close();
    const noModule = new Pkcs11KeyStore(join(token.dir, 'absent.so'), token.tokenLabel, USER_PIN);
    await assert.rejects(
      noModule.generate('k', 'ecdsa-p256'),
      (e: unknown) => e instanceof KeyStoreError && e.code === 'unavailable',
    );
    await noModule.close();
  });

  test('a closed store refuses to sign', async () => {
    const s = new Pkcs11KeyStore(token.modulePath, token.tokenLabel, USER_PIN);
    const signer = await s.signer({
      store: 'pkcs11',
      module: token.modulePath,
      tokenLabel: token.tokenLabel,
      keyLabel: 'ca-rsa-2048',
      algorithm: 'rsa-2048',
    });
    await s.close();
    await s.close();
    await assert.rejects(signer.sign(Buffer.from('x')), /fermé/);
    await assert.rejects(s.generate('after-close', 'ecdsa-p256'), /fermé/);
  });
});

describe('ecdsaRawToDer', () => {
  test('matches node:crypto DER encoding of the same r||s (high bits, stripped zeros)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    let highBit = 0;
    for (let i = 0; i < 300; i++) {
      const data = randomBytes(32);
      const raw = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      highBit += raw[0]! >= 0x80 || raw[32]! >= 0x80 ? 1 : 0;
      const der = ecdsaRawToDer(raw);
      assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der));
    }
    assert.ok(highBit > 0, 'some r or s had the high bit set');
    // Hand-made cases: zero bytes stripped, 0x00 added before a high bit.
    const r = Buffer.alloc(32);
    r[31] = 0x7f;
    const s = Buffer.alloc(32, 0xff);
    assert.deepEqual(
      Buffer.from(ecdsaRawToDer(Buffer.concat([r, s]))).toString('hex'),
      '3026' + '02017f' + '022100' + 'ff'.repeat(32),
    );
    assert.throws(() => ecdsaRawToDer(Buffer.alloc(63)), /longueur invalide/);
  });
});
