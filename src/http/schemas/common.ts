// Shapes shared by every context: the problem+json error, pages, ids, binary answers.
// Schema modules import nothing but TypeBox (and at most pure constants of src/domain): the portal
// type-checks them through type-only imports (web/src/api.ts).
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** `T | null` (an explicit null on the wire, never a missing member). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * A string among fixed values (`enum` in the document; one quick string check when serialising). The
 * `enum` member in its type lets the type provider (TypeBox 1) infer the values too.
 */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options }) as TUnsafe<T[number]> & {
    type: 'string';
    enum: T;
  };

export const FieldError = Type.Object({
  field: Type.String(),
  reason: Type.String(),
  line: Type.Optional(Type.Integer({ description: 'Ligne du fichier importé' })),
});
export type FieldError = Static<typeof FieldError>;

/** Every error leaves as application/problem+json (RFC 9457) with a French `detail` (src/http/problem.ts). */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'Phrase en français à afficher' }),
    errors: Type.Optional(Type.Array(FieldError)),
    requestId: Type.Optional(
      Type.String({ description: 'Identifiant de la requête (aussi dans x-request-id et les journaux)' }),
    ),
  },
  { title: 'Problem' },
);
export type Problem = Static<typeof Problem>;

const problemAnswer = {
  description: 'Erreur (application/problem+json, RFC 9457)',
  content: { 'application/problem+json': { schema: Problem } },
};

/**
 * The `response` member of a route schema: the route's own answers (2xx, or a non-JSON
 * `binary(...)`) plus the Problem for 4xx and 5xx. Fastify serialises through them: a member
 * that a schema does not list never leaves the server.
 */
export function responses<R extends Record<number, unknown>>(answers: R) {
  return { ...answers, '4xx': problemAnswer, '5xx': problemAnswer };
}

/** 204: no body (`reply.code(204).send()`). */
export const NoContent = Type.Unsafe<void>({ type: 'null', description: 'Pas de contenu' });

/** A non-JSON answer (PDF, JPEG, CSV, DER…): its media types in the OpenAPI document, sent as bytes or text. */
export function binary(description: string, ...mediaTypes: string[]) {
  const schema = Type.Unsafe<Uint8Array | string>({ type: 'string', format: 'binary' });
  return { description, content: Object.fromEntries(mediaTypes.map((m) => [m, { schema }])) };
}

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
};

/** `{ items, total, page, pageSize }`: one page of a list. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

/** Query of a long list: numbered pages, or `after` (the `next` cursor of the previous page, opaque). */
export const KeysetQuery = {
  ...PageQuery,
  after: Type.Optional(Type.String({ maxLength: 400, description: 'Curseur `next` de la page précédente' })),
};

/**
 * A page of a long list (src/app/paging.ts): `total` is exact when `totalExact`, else a lower bound
 * (totals are never counted over a whole big table); `next` is the cursor of the next page or null.
 */
export const KeysetPage = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    totalExact: Type.Boolean(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
    next: Nullable(Type.String()),
  });

/** `{ items }`: a short list, whole. */
export const Items = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) });

/** The static types of `Page(item)` and `Items(item)` for an item type (generic list helpers of the portal). */
export type PageOf<T> = Static<ReturnType<typeof Page<TUnsafe<T>>>>;
export type KeysetPageOf<T> = Static<ReturnType<typeof KeysetPage<TUnsafe<T>>>>;
export type ItemsOf<T> = Static<ReturnType<typeof Items<TUnsafe<T>>>>;

export const CodeLabel = Type.Object({ code: Type.String(), label: Type.String() });
export type CodeLabel = Static<typeof CodeLabel>;
