import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.ts';
import { AppError } from '../app/errors.ts';
import type { Config } from '../config.ts';

// Uploads (HR feeds, photos, identity documents) arrive as the raw file. The body is streamed to a
// file under <data>/uploads, counted on the way, and refused as soon as it passes the route's
// ceiling; the use case then reads the file. Nothing is buffered whole in memory, and the answer
// only comes once the body has been read (or refused: the connection is then closed, server.ts).

/** Every JSON body: small. */
export const JSON_BODY_LIMIT = 64 * 1024;

/** Content types handed to the routes as a stream. */
export const UPLOAD_TYPES = [
  'text/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/octet-stream',
  'text/plain',
  'image/jpeg',
  'image/png',
  'application/pdf',
];

export interface UploadSettings {
  /** Folder of the files being received. */
  dir: string;
  /** Ceiling of any upload (CARTES_UPLOAD_MAX_BYTES); a route may set a lower one. */
  maxBytes: number;
}

export function uploadSettings(
  ctx: Pick<AppContext, 'dataDir'>,
  config: Pick<Config, 'uploadMaxBytes'>,
): UploadSettings {
  return { dir: join(ctx.dataDir, 'uploads'), maxBytes: config.uploadMaxBytes };
}

/** A size in French units (« 5 Mo »). */
export function frenchSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'Go'],
    [1024 ** 2, 'Mo'],
    [1024, 'Ko'],
  ];
  for (const [size, unit] of units)
    if (bytes >= size) return `${Number((bytes / size).toFixed(1)).toLocaleString('fr-FR')} ${unit}`;
  return `${bytes} octets`;
}

export interface SpooledUpload {
  /** Bytes received (0: no body). */
  bytes: number;
  /** The whole file (for small uploads: photos, documents). */
  read(): Promise<Buffer>;
  /** The file as a stream (for large ones: HR feeds). */
  stream(): Readable;
  /** Removes the file; always call it (finally). */
  dispose(): Promise<void>;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).on === 'function' && 'readable' in v;
}

/**
 * Streams the request's body to a file of `settings.dir`, refusing it past `ceiling` bytes (and past
 * the configured ceiling). `what` names the file in the French messages (« la photo »).
 */
export async function spoolUpload(
  request: FastifyRequest,
  settings: UploadSettings,
  ceiling: number,
  what: string,
): Promise<SpooledUpload> {
  const max = Math.min(ceiling, settings.maxBytes);
  const tooLarge = () =>
    new AppError('too_large', `${capitalize(what)} dépasse la taille admise (${frenchSize(max)} au plus).`);
  const body = request.body;
  if (body === undefined || body === null) return emptyUpload();
  if (!isReadable(body))
    throw new AppError(
      'unsupported',
      `Type de contenu non pris en charge : envoyez ${what} tel quel (fichier brut), pas en JSON.`,
    );
  const announced = Number(request.headers['content-length']);
  if (Number.isFinite(announced) && announced > max) throw tooLarge();
  await mkdir(settings.dir, { recursive: true, mode: 0o700 });
  const path = join(settings.dir, `upload.${process.pid}.${randomUUID()}.tmp`);
  const dispose = () => rm(path, { force: true });
  try {
    const bytes = await new Promise<number>((resolve, reject) => {
      const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      let received = 0;
      let ended = false;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        // Stop reading but leave the request alone: the answer still has to go out on its socket.
        body.off('data', onData);
        body.pause();
        out.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) return fail(tooLarge());
        if (!out.write(chunk)) {
          body.pause();
          out.once('drain', () => {
            if (!settled) body.resume();
          });
        }
      };
      body.on('data', onData);
      body.once('end', () => {
        ended = true;
        out.end();
      });
      body.once('error', fail);
      body.once('close', () => {
        if (!ended) fail(new AppError('invalid', `Envoi interrompu : ${what} n'est pas arrivé en entier.`));
      });
      out.once('error', fail);
      out.once('finish', () => {
        if (settled) return;
        settled = true;
        resolve(received);
      });
      body.resume();
    });
    return {
      bytes,
      read: () => readFile(path),
      stream: () => createReadStream(path),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

function emptyUpload(): SpooledUpload {
  return {
    bytes: 0,
    read: async () => Buffer.alloc(0),
    stream: () => Readable.from([]),
    dispose: async () => {},
  };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
