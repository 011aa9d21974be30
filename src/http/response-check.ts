// Two guards on the response schemas (src/http/schemas/README.md):
// - every route declares a 2xx response schema, or the server does not start;
// - in check mode (tests), every JSON answer must fit its schema exactly: Fastify's serialiser silently
//   drops members the schema does not list and coerces wrong types (null → "", "3" → 3), so a use case
//   and its schema that drift apart would change what the portal reads without any error.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

const routeTables = new WeakMap<FastifyInstance, RouteOptions[]>();

/** Routes registered on the server, as the onRoute hook saw them (for the tests). */
export function registeredRoutes(app: FastifyInstance): readonly RouteOptions[] {
  return routeTables.get(app) ?? [];
}

type Schema = Record<string, unknown>;

function responseMap(route: { schema?: unknown }): Schema | null {
  const schema = route.schema as { response?: Schema; hide?: boolean } | undefined;
  return schema?.response ?? null;
}

/** Refuses a route without a 2xx response schema (hidden routes: static files, /api/docs). */
export function requireResponseSchemas(app: FastifyInstance): void {
  const table: RouteOptions[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    table.push(route);
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    const codes = Object.keys(responseMap(route) ?? {});
    if (!codes.some((c) => c.startsWith('2'))) {
      throw new Error(
        `${String(route.method)} ${route.url}: no 2xx response schema (declare one, see src/http/schemas/README.md)`,
      );
    }
  });
}

/** The schema Fastify serialises this answer with (same lookup: code, then Nxx, then content type). */
export function schemaForAnswer(response: Schema | null, status: number, contentType: string): Schema | null {
  if (!response) return null;
  const entry = (response[String(status)] ?? response[`${String(status)[0]}xx`] ?? response['default']) as
    Schema | undefined;
  if (!entry) return null;
  const content = entry['content'] as Record<string, { schema: Schema }> | undefined;
  if (!content) return entry;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase() || 'application/json';
  return content[media]?.schema ?? content['*/*']?.schema ?? null;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Date ? 'Date' : typeof v;

/**
 * What would not survive serialisation unchanged: members the schema does not list, missing required
 * members, wrong types. Covers the JSON Schema that TypeBox emits for our shapes.
 */
export function strictMismatches(schema: Schema, value: unknown, path = '$'): string[] {
  if (Array.isArray(schema['anyOf'])) {
    let best: string[] | null = null;
    for (const branch of schema['anyOf'] as Schema[]) {
      const found = strictMismatches(branch, value, path);
      if (found.length === 0) return [];
      if (!best || found.length < best.length) best = found;
    }
    return best ?? [`${path}: no branch of the union`];
  }
  if ('const' in schema && value !== schema['const'])
    return [`${path}: ${JSON.stringify(value)} instead of ${JSON.stringify(schema['const'])}`];
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value))
    return [`${path}: ${JSON.stringify(value)} is not among ${JSON.stringify(schema['enum'])}`];
  const type = schema['type'];
  const actual = typeOf(value);
  switch (type) {
    case undefined:
      return [];
    case 'string':
    case 'boolean':
    case 'null':
      return actual === type ? [] : [`${path}: ${actual} instead of ${type}`];
    case 'number':
      return actual === 'number' && Number.isFinite(value) ? [] : [`${path}: ${actual} instead of number`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: ${actual} ${String(value)} instead of integer`];
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: ${actual} instead of array`];
      const items = schema['items'] as Schema | undefined;
      return items ? value.flatMap((v, i) => strictMismatches(items, v, `${path}[${i}]`)) : [];
    }
    case 'object': {
      if (actual !== 'object') return [`${path}: ${actual} instead of object`];
      const obj = value as Record<string, unknown>;
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const patterns = Object.entries((schema['patternProperties'] ?? {}) as Record<string, Schema>);
      const additional = schema['additionalProperties'];
      const out: string[] = [];
      for (const name of (schema['required'] ?? []) as string[])
        if (obj[name] === undefined) out.push(`${path}.${name}: missing`);
      for (const [name, v] of Object.entries(obj)) {
        if (v === undefined) continue;
        const at = `${path}.${name}`;
        const declared = properties[name];
        if (declared) {
          out.push(...strictMismatches(declared, v, at));
          continue;
        }
        const pattern = patterns.find(([p]) => new RegExp(p).test(name));
        if (pattern) out.push(...strictMismatches(pattern[1], v, at));
        else if (additional === true) continue;
        else if (additional && typeof additional === 'object')
          out.push(...strictMismatches(additional as Schema, v, at));
        else out.push(`${at}: not in the schema (the serialiser would drop it)`);
      }
      return out;
    }
    default:
      return [`${path}: schema type ${String(type)} not understood by the check`];
  }
}

/** Check mode: an answer that does not fit its schema becomes a 500 naming the mismatches. */
export function checkResponses(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const schema = schemaForAnswer(
      responseMap(request.routeOptions),
      reply.statusCode,
      String(reply.getHeader('content-type') ?? ''),
    );
    if (!schema) return payload;
    const mismatches = strictMismatches(schema, payload);
    if (mismatches.length === 0) return payload;
    const detail = `Réponse non conforme à son schéma (${request.method} ${request.routeOptions.url} → ${reply.statusCode}) : ${mismatches.slice(0, 10).join(' ; ')}`;
    console.error(detail);
    void reply.code(500).type('application/problem+json');
    return { type: 'about:blank', title: 'Erreur interne', status: 500, detail };
  });
}
