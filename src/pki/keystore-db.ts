// Key store in the database: the same sealed text as a key file (encrypted PKCS#8 under the KEK,
// keystore-file.ts), kept in a table, so that every instance sharing the database opens the
// issuing-CA and OCSP responder keys with the KEK alone: no key file to copy between machines.
import { openSealedKey, sealNewKey } from './keystore-file.ts';
import {
  checkKeyAlgorithm,
  checkKeyLabel,
  KeyStoreError,
  type KeyAlgorithm,
  type KeyRef,
  type KeyStore,
  type Signer,
} from './keystore.ts';

/** Where the sealed texts live (implemented over the `service_keys` table in store/service-keys.ts). */
export interface SealedKeyRepository {
  read(label: string): Promise<{ algorithm: string; text: string } | null>;
  /** Inserts a new key; false when the label is already taken (never overwrites). */
  insert(label: string, algorithm: KeyAlgorithm, text: string): Promise<boolean>;
}

export class DbKeyStore implements KeyStore {
  readonly #repo: SealedKeyRepository;
  readonly #secret: Buffer;

  constructor(repo: SealedKeyRepository, secret: Buffer) {
    if (!Buffer.isBuffer(secret) || secret.length === 0)
      throw new KeyStoreError('invalid', 'Le secret du magasin de clés est vide.');
    this.#repo = repo;
    this.#secret = Buffer.from(secret);
  }

  async generate(label: string, algorithm: KeyAlgorithm): Promise<KeyRef> {
    checkKeyLabel(label);
    checkKeyAlgorithm(algorithm);
    const text = await sealNewKey(this.#secret, algorithm);
    if (!(await this.#repo.insert(label, algorithm, text)))
      throw new KeyStoreError('exists', `Une clé « ${label} » existe déjà dans la base.`);
    return { store: 'db', label, algorithm };
  }

  async signer(ref: KeyRef): Promise<Signer> {
    if (ref.store !== 'db')
      throw new KeyStoreError('invalid', `Référence de clé « ${ref.store} » donnée au magasin de la base.`);
    checkKeyAlgorithm(ref.algorithm);
    const row = await this.#repo.read(ref.label);
    if (!row) throw new KeyStoreError('not_found', `Clé introuvable dans la base : ${ref.label}.`);
    return openSealedKey(row.text, this.#secret, ref.algorithm, `base:${ref.label}`);
  }
}
