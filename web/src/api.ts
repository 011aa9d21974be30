// Typed client of the HTTP API (docs/api.md). Same origin, session cookie, CSRF header on every
// mutating request. Errors are `ApiError`s carrying the problem+json body (French `detail`).

import type { Static } from '@sinclair/typebox';
import type * as Access from '../../src/http/schemas/access.ts';
import type * as Common from '../../src/http/schemas/common.ts';
import type * as Control from '../../src/http/schemas/control.ts';
import type * as Directory from '../../src/http/schemas/directory.ts';

// Every server shape comes from the API's own response and request schemas (src/http/schemas/),
// through type-only imports: nothing of them reaches the bundle, and a shape changed on the server
// fails this type check instead of drifting silently.

export type FieldError = Static<typeof Common.FieldError>;

/** An error answer (problem+json); `status` is also set on network failures (0) and non-JSON errors. */
export type Problem = Partial<Static<typeof Common.Problem>> & { status: number };

// ---------------------------------------------------------------------------------------------
// Resources

export type Branding = Static<typeof Access.Branding>;
export type Config = Static<typeof Access.PortalConfig>;
export type RoleView = Static<typeof Access.RoleView>;
export type Session = Static<typeof Access.Session>;
export type CodeLabel = Static<typeof Common.CodeLabel>;
export type Measure = Static<typeof Directory.Measure>;
export type Reference = Static<typeof Directory.Reference>;
export type OrganizationSummary = Static<typeof Directory.OrganizationSummary>;
export type PersonRef = Static<typeof Directory.PersonRef>;
export type Agreement = Static<typeof Directory.Agreement>;
export type ControlPointAnswer = Static<typeof Directory.ControlPointAnswer>;
export type SelfAssessment = Static<typeof Directory.SelfAssessment>;
export type SelfAssessmentInput = Static<typeof Directory.SelfAssessmentInput>;
export type Organization = Static<typeof Directory.Organization>;
export type AgreementInput = Static<typeof Directory.AgreementInput>;
export type AllocationPlanEntry = Static<typeof Directory.AllocationPlanEntry>;
export type AgentSummary = Static<typeof Directory.AgentSummary>;
export type Agent = Static<typeof Directory.Agent>;
export type AgentPatch = Static<typeof Directory.AgentInput>;
export type AgentSearch = Static<typeof Directory.AgentSearch>;
export type PhotoAccepted = Static<typeof Directory.PhotoAccepted>;
export type FeedFormat = Static<typeof Directory.FeedFormat>;
export type ImportRun = Static<typeof Directory.ImportRun>;
export type ImportReject = Static<typeof Directory.ImportReject>;
export type AuditQuery = Static<typeof Control.AuditQuery>;
export type AuditRecord = Static<typeof Control.AuditRecord>;
export type AuditVerification = Static<typeof Control.AuditVerification>;
export type MailSummary = Static<typeof Control.MailSummary>;
export type Mail = Static<typeof Control.Mail>;

export type Page<T> = Common.PageOf<T>;
/** A page of a long list: `total` exact when `totalExact` (else « plus de »), `next` the cursor (`after`). */
export type KeysetPage<T> = Common.KeysetPageOf<T>;
export type Count = Static<typeof Control.Count>;
export type HomeCounts = Static<typeof Control.HomeCounts>;
export type Items<T> = Common.ItemsOf<T>;

// ---------------------------------------------------------------------------------------------
// Transport

const NETWORK_ERROR = 'Le serveur est injoignable. Vérifiez votre connexion puis réessayez.';

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `Erreur ${problem.status}`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

/** French sentence for any error thrown by this module (or anything else). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return 'Une erreur inattendue est survenue.';
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request made with a session gets 401 (session expired or revoked). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  /** A 401 is an expected answer (session probe, sign-in): don't trigger the redirect. */
  expect401?: boolean;
  signal?: AbortSignal;
}

async function problemFrom(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === 'object') return { ...body, status: res.status };
  } catch {
    // not JSON
  }
  return { status: res.status, title: res.statusText, detail: defaultDetail(res.status) };
}

function defaultDetail(status: number): string {
  switch (status) {
    case 401:
      return 'Vous devez vous connecter.';
    case 403:
      return "Vous n'avez pas les droits nécessaires pour cette action.";
    case 404:
      return "L'élément demandé n'existe pas ou n'est pas dans votre périmètre.";
    case 413:
      return 'Le fichier est trop volumineux.';
    case 429:
      return 'Trop de requêtes : patientez quelques instants puis réessayez.';
    default:
      return status >= 500 ? 'Erreur du serveur : réessayez plus tard.' : `La requête a échoué (code ${status}).`;
  }
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.contentType) {
    headers['content-type'] = opts.contentType;
  }
  if (MUTATING.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, title: 'Réseau', detail: NETWORK_ERROR });
  }
  if (!res.ok) {
    const problem = await problemFrom(res);
    if (res.status === 401 && !opts.expect401) onUnauthorized?.();
    throw new ApiError(problem);
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await res.json()) as T;
  return (await res.text()) as T;
}

/**
 * Upload through XMLHttpRequest, the only browser API reporting upload progress.
 * Resolves with the JSON answer, rejects with an ApiError.
 */
export function uploadWithProgress<T>(params: {
  method: 'POST' | 'PUT';
  path: string;
  query?: Query;
  body: Blob;
  contentType: string;
  onUploadProgress?: (loaded: number, total: number) => void;
  onUploaded?: () => void;
  signal?: AbortSignal;
}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(params.method, withQuery(params.path, params.query));
    xhr.setRequestHeader('content-type', params.contentType);
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) params.onUploadProgress?.(e.loaded, e.total);
    };
    xhr.upload.onload = () => params.onUploaded?.();
    xhr.onerror = () => reject(new ApiError({ status: 0, title: 'Réseau', detail: NETWORK_ERROR }));
    xhr.onabort = () => reject(new DOMException('Envoi annulé.', 'AbortError'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
        return;
      }
      if (xhr.status === 401) onUnauthorized?.();
      const problem =
        body && typeof body === 'object'
          ? { ...(body as Partial<Problem>), status: xhr.status }
          : { status: xhr.status, detail: defaultDetail(xhr.status) };
      reject(new ApiError(problem));
    };
    params.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(params.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Endpoints

export const api = {
  // Session
  config: () => request<Config>('GET', '/api/config', { expect401: true }),
  session: () => request<Session>('GET', '/api/session', { expect401: true }),
  signIn: (token: string) => request<Session>('POST', '/api/auth/link', { json: { token }, expect401: true }),
  logout: () => request<void>('POST', '/api/auth/logout', { expect401: true }),

  // Reference data (cached: it changes only with a new release)
  reference: (() => {
    let cached: Promise<Reference> | null = null;
    return () => {
      cached ??= request<Reference>('GET', '/api/reference').catch((err: unknown) => {
        cached = null;
        throw err;
      });
      return cached;
    };
  })(),

  // Organisations
  organizations: () => request<Items<OrganizationSummary>>('GET', '/api/organizations'),
  organization: (id: string) => request<Organization>('GET', `/api/organizations/${encodeURIComponent(id)}`),
  putAgreement: (id: string, body: AgreementInput) =>
    request<Agreement>('PUT', `/api/organizations/${encodeURIComponent(id)}/agreement`, { json: body }),
  giveNotice: (id: string, givenOn: string) =>
    request<Agreement>('POST', `/api/organizations/${encodeURIComponent(id)}/agreement/notice`, {
      json: { givenOn },
    }),
  submitSelfAssessment: (id: string, body: SelfAssessmentInput) =>
    request<SelfAssessment>('POST', `/api/organizations/${encodeURIComponent(id)}/self-assessments`, { json: body }),
  liftSuspension: (id: string, assessmentId: string) =>
    request<SelfAssessment>(
      'POST',
      `/api/organizations/${encodeURIComponent(id)}/self-assessments/${encodeURIComponent(assessmentId)}/lift`,
    ),
  allocationPlan: (id: string, year: number) =>
    request<Items<AllocationPlanEntry>>('GET', `/api/organizations/${encodeURIComponent(id)}/allocation-plan`, {
      query: { year },
    }),

  // Agents
  agents: (query: AgentSearch) => request<KeysetPage<AgentSummary>>('GET', '/api/agents', { query }),
  agent: (id: string) => request<Agent>('GET', `/api/agents/${encodeURIComponent(id)}`),
  patchAgent: (id: string, patch: AgentPatch) =>
    request<Agent>('PATCH', `/api/agents/${encodeURIComponent(id)}`, { json: patch }),
  deactivateAgent: (id: string) => request<Agent>('POST', `/api/agents/${encodeURIComponent(id)}/deactivate`),
  reactivateAgent: (id: string) => request<Agent>('POST', `/api/agents/${encodeURIComponent(id)}/reactivate`),
  uploadPhoto: (id: string, file: Blob) =>
    request<PhotoAccepted>('PUT', `/api/agents/${encodeURIComponent(id)}/photo`, {
      body: file,
      contentType: 'image/jpeg',
    }),
  photoUrl: (id: string, version?: string | number) =>
    withQuery(`/api/agents/${encodeURIComponent(id)}/photo`, { v: version }),

  // HR feed imports
  imports: (organizationId?: string) => request<Items<ImportRun>>('GET', '/api/imports', { query: { organizationId } }),
  importRun: (id: string) => request<ImportRun>('GET', `/api/imports/${encodeURIComponent(id)}`),
  importRejects: (id: string, page: number, pageSize = 50) =>
    request<Page<ImportReject>>('GET', `/api/imports/${encodeURIComponent(id)}/rejects`, { query: { page, pageSize } }),
  importReportUrl: (id: string) => `/api/imports/${encodeURIComponent(id)}/report.csv`,
  startImport: (params: {
    organizationId: string;
    format: FeedFormat;
    full: boolean;
    file: File;
    onUploadProgress?: (loaded: number, total: number) => void;
    onUploaded?: () => void;
    signal?: AbortSignal;
  }) =>
    uploadWithProgress<ImportRun>({
      method: 'POST',
      path: '/api/imports',
      query: {
        organizationId: params.organizationId,
        format: params.format,
        full: params.full ? 'true' : 'false',
        fileName: params.file.name,
      },
      body: params.file,
      contentType: params.format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      onUploadProgress: params.onUploadProgress,
      onUploaded: params.onUploaded,
      signal: params.signal,
    }),

  // Audit trail
  audit: (query: AuditQuery) => request<KeysetPage<AuditRecord>>('GET', '/api/audit', { query }),
  verifyAudit: () => request<AuditVerification>('POST', '/api/audit/verify'),

  // Mail
  mails: () => request<Items<MailSummary>>('GET', '/api/mails'),
  counts: () => request<HomeCounts>('GET', '/api/counts'),
  mail: (id: string) => request<Mail>('GET', `/api/mails/${encodeURIComponent(id)}`),
};
