import type { FastifyReply, FastifyRequest } from 'fastify';
import { textFault } from '../domain/text.ts';
import { sendProblem } from './problem.ts';

// Every text that reaches a use case (query, path parameters, JSON body) is well-formed Unicode
// without control or bidi characters (domain/text.ts), and every number is finite (`?page=1e309`
// is coerced to Infinity by the validator, which lets it through). Checked after validation, so
// that numbers are already numbers; refused as a whole, in French, naming each field.

interface Fault {
  field: string;
  reason: string;
}

const MAX_FAULTS = 20;
const MAX_DEPTH = 32;

function isPlain(value: object): boolean {
  const proto: object | null = Object.getPrototypeOf(value) as object | null;
  // The query string parser's objects inherit from a prototype-less object.
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

function walk(value: unknown, path: string, faults: Fault[], depth: number): void {
  if (faults.length >= MAX_FAULTS) return;
  if (typeof value === 'string') {
    const reason = textFault(value);
    if (reason) faults.push({ field: path || '(valeur)', reason });
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) faults.push({ field: path || '(valeur)', reason: 'nombre invalide (non fini)' });
  } else if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return;
    value.forEach((v, i) => walk(v, `${path}/${i}`, faults, depth + 1));
  } else if (value !== null && typeof value === 'object' && isPlain(value)) {
    // Plain objects only: an upload arrives as a stream, a file as a buffer.
    if (depth >= MAX_DEPTH) return;
    for (const [k, v] of Object.entries(value)) {
      const keyFault = textFault(k);
      if (keyFault) faults.push({ field: `${path}/(nom de champ)`, reason: keyFault });
      walk(v, `${path}/${k}`, faults, depth + 1);
    }
  }
}

export function inputFaults(request: Pick<FastifyRequest, 'query' | 'params' | 'body'>): Fault[] {
  const faults: Fault[] = [];
  walk(request.query, '', faults, 0);
  walk(request.params, '', faults, 0);
  walk(request.body, '', faults, 0);
  return faults;
}

export async function inputGuard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const faults = inputFaults(request);
  if (faults.length === 0) return undefined;
  return sendProblem(
    reply,
    400,
    'La requête contient des caractères ou des nombres non admis : corrigez les champs signalés.',
    faults.map((f) => ({ field: f.field.replace(/^\//, ''), reason: f.reason })),
  );
}
