// The workstation card agent (docs/cards.md §2): a local HTTP server on 127.0.0.1 that the portal
// page reaches with CORS. Only the portal's origin is served; the page pairs with a 6-digit code
// shown here, then presents a bearer token; the local CLI presents the admin token of
// <data>/agent/admin.token instead. Request bodies (PINs) are never logged.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CARD_SLOTS, CardError, type CardSlot } from '../cards/card.ts';
import { checkResponses, requireResponseSchemas } from '../http/response-check.ts';
import {
  AdminChallenge,
  agentResponses,
  AgentStatus,
  CardContents,
  CardFiles,
  CardSignature,
  ChangePinInput,
  Done,
  GeneratedKey,
  GenerateKeyInput,
  InsertInput,
  MAX_SIGN_BYTES,
  PairInput,
  Paired,
  PairingCode,
  ReaderParams,
  SetPinInput,
  SignInput,
  VerifyPinInput,
  WriteCertificateInput,
} from '../http/schemas/card-agent.ts';
import { AgentError, errorResponse } from './errors.ts';
import { ADMIN_HEADER, DEFAULT_AGENT_PORT, removeLocalFiles, writeLocalFiles } from './local.ts';
import { Pairing, sameSecret } from './pairing.ts';
import { Reader, VirtualReader, VIRTUAL_READER, type ReaderStatus } from './readers.ts';
import { openPkcs11Readers } from './pkcs11-readers.ts';

export interface CardAgentOptions {
  /** Always a loopback address: the agent serves this workstation only. */
  host?: string;
  /** 0 = a free port (tests). */
  port?: number;
  /** The only origin served (e.g. https://cartes.example.gouv.fr). */
  portalOrigin: string;
  /** Folder of the virtual card files the virtual reader can take. */
  cardsDir: string;
  /** Chip key sealing the virtual card files (loadChipKey). */
  chipKey: Buffer;
  /** PKCS#11 readers: one per slot holding a token; companion records in `stateDir` (default cardsDir). */
  pkcs11?: { module: string; stateDir?: string };
  /** When given, the admin token and the address are written under <dataDir>/agent for the CLI. */
  dataDir?: string;
  /** One line per event and request (never a body, never a PIN). */
  log?: (line: string) => void;
}

export interface StatusResponse {
  /** Increases whenever what /status shows changes (insert, remove, PIN counters…). */
  version: number;
  changedAt: string;
  readers: ReaderStatus[];
}

export interface CardAgent {
  url: string;
  pairingCode: string;
  adminToken: string;
  /** A new pairing code (also unlocks pairing after 5 wrong codes). */
  renewPairingCode(): string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export async function startCardAgent(options: CardAgentOptions): Promise<CardAgent> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host))
    throw new Error(`L'agent de carte n'écoute que sur la boucle locale (127.0.0.1), pas sur « ${host} ».`);
  const portalOrigin = new URL(options.portalOrigin).origin;
  // A portal on this very machine is the same whether the browser says 127.0.0.1 or localhost.
  const portalOrigins = new Set([portalOrigin]);
  const portalUrl = new URL(portalOrigin);
  if (['127.0.0.1', 'localhost', '[::1]'].includes(portalUrl.hostname)) {
    for (const h of ['127.0.0.1', 'localhost', '[::1]'])
      portalOrigins.add(`${portalUrl.protocol}//${h}${portalUrl.port ? `:${portalUrl.port}` : ''}`);
  }
  const cardsDir = resolve(options.cardsDir);
  mkdirSync(cardsDir, { recursive: true, mode: 0o700 });
  const log = options.log ?? (() => {});
  const adminToken = randomBytes(32).toString('base64url');
  const pairing = new Pairing();

  const virtual = new VirtualReader(VIRTUAL_READER, cardsDir, options.chipKey);
  const readers: Reader[] = [virtual];
  if (options.pkcs11) {
    const { module, stateDir } = options.pkcs11;
    readers.push(
      ...(await openPkcs11Readers({ module, stateDir: resolve(stateDir ?? cardsDir), chipKey: options.chipKey }, log)),
    );
  }
  const byName = new Map(readers.map((r) => [r.name, r]));

  // `version` moves whenever the visible status differs from the last one computed.
  let version = 0;
  let changedAt = new Date().toISOString();
  let lastSeen = '';
  const snapshot = async (): Promise<StatusResponse> => {
    const list = await Promise.all(readers.map((r) => r.status()));
    const seen = JSON.stringify(list);
    if (seen !== lastSeen) {
      lastSeen = seen;
      version += 1;
      changedAt = new Date().toISOString();
    }
    return { version, changedAt, readers: list };
  };

  // No type coercion: `{ "code": 123456 }` is refused, not turned into a string.
  const app = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Answers go out through their schemas (src/http/schemas/card-agent.ts); under npm test, exactly.
  requireResponseSchemas(app);
  if (process.env['CARTES_CHECK_RESPONSES'] === '1') checkResponses(app);
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  // No text/plain parser: a cross-site "simple" POST gets 415 before reaching a route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') return done(null, {});
    defaultJson(request, text, done);
  });

  const admins = new WeakSet<FastifyRequest>();
  let allowedHosts = new Set<string>();

  app.addHook('onRequest', async (request, reply) => {
    // A page reached through DNS rebinding sends its own host name: refuse anything but loopback.
    if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
      throw new AgentError(
        'host_refused',
        "Requête refusée : l'agent de carte ne répond qu'à l'adresse 127.0.0.1 ou localhost.",
      );
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!portalOrigins.has(origin)) {
        throw new AgentError(
          'origin_refused',
          `Origine refusée : « ${origin.slice(0, 200)} » n'est pas le portail autorisé à utiliser cet agent de carte.`,
        );
      }
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (request.method === 'OPTIONS') {
        void reply
          .header('access-control-allow-methods', 'GET, POST')
          .header('access-control-allow-headers', 'authorization, content-type')
          .header('access-control-max-age', '600');
        // Chrome's Private Network Access: a public page asking a loopback service.
        if (request.headers['access-control-request-private-network'] === 'true')
          void reply.header('access-control-allow-private-network', 'true');
        return reply.code(204).send();
      }
    }
    const admin = request.headers[ADMIN_HEADER];
    if (admin !== undefined) {
      if (typeof admin !== 'string' || !sameSecret(admin, adminToken)) {
        throw new AgentError(
          'unauthorized',
          "Jeton d'administration de l'agent de carte refusé : relisez <data>/agent/admin.token (l'agent a-t-il redémarré ?).",
        );
      }
      admins.add(request);
      return;
    }
    if (origin === undefined) {
      throw new AgentError(
        'origin_refused',
        "Requête refusée : origine absente. Seuls le portail et la ligne de commande locale (jeton d'administration) peuvent utiliser l'agent de carte.",
      );
    }
    if (request.url === '/pair') return;
    const auth = request.headers.authorization;
    const token = typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : '';
    if (!token || !pairing.accepts(token)) {
      throw new AgentError(
        'unauthorized',
        "Agent de carte non appairé : saisissez le code d'appairage affiché par l'agent de carte.",
      );
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    log(`${request.method} ${request.url.split('?')[0]} → ${reply.statusCode} (${Math.round(reply.elapsedTime)} ms)`);
  });

  app.setErrorHandler((error: FastifyError | Error, _request, reply) => sendError(reply, error, log));
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new AgentError('not_found', "Adresse inconnue de l'agent de carte."), log),
  );

  const reader = (name: string): Reader => {
    const r = byName.get(name);
    if (!r) throw new AgentError('reader_unknown', `Lecteur inconnu : « ${name.slice(0, 100)} ».`);
    return r;
  };
  const virtualReader = (name: string): VirtualReader => {
    const r = reader(name);
    if (!(r instanceof VirtualReader))
      throw new AgentError(
        'reader_fixed',
        `Le lecteur « ${name} » ne prend pas de carte virtuelle : sa carte est le jeton PKCS#11 lui-même.`,
      );
    return r;
  };
  const params = ReaderParams;

  app.post('/pair', { schema: { body: PairInput, response: agentResponses({ 200: Paired }) } }, async (request) => {
    const { code } = request.body;
    try {
      const token = pairing.pair(code);
      log('Portail appairé.');
      return { token };
    } catch (err) {
      if (err instanceof AgentError && err.code === 'pairing_locked')
        log(`Appairage bloqué : obtenez un nouveau code avec « cartes agent pairing-code ».`);
      throw err;
    }
  });

  app.post('/pairing-code', { schema: { response: agentResponses({ 200: PairingCode }) } }, async (request) => {
    if (!admins.has(request))
      throw new AgentError(
        'admin_only',
        "Seule la ligne de commande locale peut demander un nouveau code d'appairage.",
      );
    const code = pairing.renew();
    log(`Nouveau code d'appairage : ${code}`);
    return { code };
  });

  app.get('/status', { schema: { response: agentResponses({ 200: AgentStatus }) } }, async () => snapshot());

  app.get('/cards', { schema: { response: agentResponses({ 200: CardFiles }) } }, async () => ({
    cards: virtual.listCards(),
  }));

  const status = agentResponses({ 200: AgentStatus });
  app.post('/readers/:reader/insert', { schema: { params, body: InsertInput, response: status } }, async (request) => {
    const r = virtualReader(request.params.reader);
    const { file } = request.body;
    const card = await r.insert(file);
    const identity = await card.driver.identity().catch(() => null);
    log(`Carte ${identity?.serial ?? '?'} insérée dans le lecteur « ${r.name} » (${file}).`);
    return snapshot();
  });

  app.post('/readers/:reader/remove', { schema: { params, response: status } }, async (request) => {
    const r = virtualReader(request.params.reader);
    const removed = await r.remove();
    if (removed) log(`Carte retirée du lecteur « ${r.name} » (${removed.file}).`);
    return snapshot();
  });

  const contents = agentResponses({ 200: CardContents });
  app.get('/readers/:reader/card', { schema: { params, response: contents } }, async (request) => {
    return reader(request.params.reader).withCard(async (card) => {
      const identity = await card.driver.identity();
      const certificates: { slot: CardSlot; der: string }[] = [];
      const publicKeys: { slot: CardSlot; spki: string; attestation: string }[] = [];
      for (const slot of CARD_SLOTS) {
        const der = identity.certificates.includes(slot) ? await card.driver.readCertificate(slot) : null;
        if (der) certificates.push({ slot, der: b64(der) });
        const spki = identity.keys.includes(slot) ? await card.driver.publicKey(slot) : null;
        if (spki) publicKeys.push({ slot, spki: b64(spki), attestation: b64(await card.driver.keyAttestation(slot)) });
      }
      return { ...identity, holder: card.holder, file: card.file, certificates, publicKeys };
    });
  });

  app.post(
    '/readers/:reader/verify-pin',
    { schema: { params, body: VerifyPinInput, response: agentResponses({ 200: Done }) } },
    async (request) => {
      const { pin, value } = request.body;
      await reader(request.params.reader).withCard((card) => card.driver.verifyPin(pin, value));
      return { ok: true as const };
    },
  );

  app.post(
    '/readers/:reader/change-pin',
    { schema: { params, body: ChangePinInput, response: agentResponses({ 200: Done }) } },
    async (request) => {
      const { pin, oldValue, newValue } = request.body;
      await reader(request.params.reader).withCard((card) => card.driver.changePin(pin, oldValue, newValue));
      return { ok: true as const };
    },
  );

  const signed = agentResponses({ 200: CardSignature });
  app.post('/readers/:reader/sign', { schema: { params, body: SignInput, response: signed } }, async (request) => {
    const { slot, data, pin } = request.body;
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > MAX_SIGN_BYTES)
      throw new AgentError('invalid', `Données à signer trop longues (${MAX_SIGN_BYTES} octets au plus).`);
    return reader(request.params.reader).withCard(async (card) => {
      const signature = await card.driver.sign(slot, bytes, pin);
      const certificate = await card.driver.readCertificate(slot).catch(() => null);
      return { signature: b64(signature), certificate: certificate ? b64(certificate) : null };
    });
  });

  const challenged = agentResponses({ 200: AdminChallenge });
  app.post('/readers/:reader/admin/challenge', { schema: { params, response: challenged } }, async (request) => {
    const challenge = await reader(request.params.reader).withCard((card) => card.driver.adminChallenge());
    return { challenge: b64(challenge) };
  });

  // Certificate renewal: a new key in an occupied slot, then its certificate, each under a server response.
  app.post(
    '/readers/:reader/admin/generate-key',
    { schema: { params, body: GenerateKeyInput, response: agentResponses({ 200: GeneratedKey }) } },
    async (request) => {
      const { slot, response } = request.body;
      return reader(request.params.reader).withCard(async (card) => {
        const spki = await card.driver.generateKeyPair(slot, Buffer.from(response, 'base64'));
        return { spki: b64(spki), attestation: b64(await card.driver.keyAttestation(slot)) };
      });
    },
  );

  app.post(
    '/readers/:reader/admin/write-certificate',
    { schema: { params, body: WriteCertificateInput, response: agentResponses({ 200: Done }) } },
    async (request) => {
      const { slot, der, response } = request.body;
      await reader(request.params.reader).withCard((card) =>
        card.driver.writeCertificate(slot, Buffer.from(der, 'base64'), Buffer.from(response, 'base64')),
      );
      return { ok: true as const };
    },
  );

  app.post(
    '/readers/:reader/admin/set-pin',
    { schema: { params, body: SetPinInput, response: agentResponses({ 200: Done }) } },
    async (request) => {
      const { pin, response, newValue } = request.body;
      await reader(request.params.reader).withCard((card) =>
        card.driver.setPinWithAdmin(pin, Buffer.from(response, 'base64'), newValue),
      );
      return { ok: true as const };
    },
  );

  try {
    await app.listen({ host, port: options.port ?? DEFAULT_AGENT_PORT });
  } catch (err) {
    await Promise.all(readers.map((r) => r.close()));
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Le port ${options.port ?? DEFAULT_AGENT_PORT} est déjà utilisé : un agent de carte tourne-t-il déjà ? (autre port : --port)`,
        { cause: err },
      );
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_AGENT_PORT);
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const url = `http://${host === '::1' ? '[::1]' : host}:${port}`;
  if (options.dataDir) writeLocalFiles(options.dataDir, adminToken, { url, pid: process.pid, cardsDir });

  let closed = false;
  return {
    url,
    get pairingCode() {
      return pairing.code;
    },
    adminToken,
    renewPairingCode: () => pairing.renew(),
    async close() {
      if (closed) return;
      closed = true;
      if (options.dataDir) removeLocalFiles(options.dataDir, adminToken);
      await app.close();
      await Promise.all(readers.map((r) => r.close()));
    },
  };
}

function sendError(reply: FastifyReply, error: unknown, log: (line: string) => void): FastifyReply {
  if (error instanceof AgentError || error instanceof CardError) {
    const { status, body } = errorResponse(error);
    return reply.code(status).send(body);
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const fields = fe.validation
      .map((v) =>
        (v.instancePath || String((v.params as { missingProperty?: string }).missingProperty ?? '')).replace(/^\//, ''),
      )
      .filter(Boolean);
    return reply.code(400).send({
      code: 'invalid',
      message: `Requête invalide${fields.length ? ` : vérifiez ${[...new Set(fields)].join(', ')}` : ''}.`,
    });
  }
  const status = fe.statusCode ?? 500;
  if (status === 413) return reply.code(413).send({ code: 'invalid', message: 'Requête trop volumineuse.' });
  if (status === 415)
    return reply
      .code(415)
      .send({ code: 'invalid', message: 'Type de contenu non pris en charge : envoyez du JSON (application/json).' });
  if (status >= 400 && status < 500)
    return reply.code(400).send({ code: 'invalid', message: "Requête invalide : le corps n'est pas un JSON valide." });
  // Never the request: its body may hold a PIN.
  log(`Erreur interne : ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const { body } = errorResponse(error);
  return reply.code(500).send(body);
}
