// Typed client of the HTTP API (docs/api.md). Same origin, session cookie, CSRF header on every
// mutating request. Errors are `ApiError`s carrying the problem+json body (French `detail`).

export type Branding = 'state' | 'neutral';

export interface FieldError {
  field: string;
  reason: string;
  line?: number;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

// ---------------------------------------------------------------------------------------------
// Resources

export interface Config {
  branding: Branding;
  platformName: string;
  /** Default address of the workstation's card agent. */
  agentUrl?: string;
}

export interface RoleView {
  id: string;
  role: RoleCode;
  roleLabel: string;
  organizationId: string;
  organizationName: string;
}

export type RoleCode = 'holder' | 'operator' | 'registration_authority' | 'admin' | 'controller' | 'auditor';

export interface Session {
  person: { id: string; firstNames: string; lastName: string; identifier: string };
  roles: RoleView[];
  /** Permissions granted by at least one role, as computed by the server. */
  permissions: string[];
  csrfToken: string;
  branding: Branding;
}

export interface CodeLabel {
  code: string;
  label: string;
}

export interface Measure {
  code: string;
  title: string;
  controlPoints: CodeLabel[];
}

export interface Reference {
  roles: CodeLabel[];
  organizationKinds: CodeLabel[];
  clientApplications: CodeLabel[];
  measures: Measure[];
}

export interface OrganizationSummary {
  id: string;
  code: string;
  kind: string;
  kindLabel: string;
  name: string;
  parentId: string | null;
  status: string;
  trustedRolesSuspended: boolean;
  inseeCode: string | null;
  siren: string | null;
}

export interface PersonRef {
  id: string;
  firstNames: string;
  lastName: string;
  identifier: string;
}

export interface Agreement {
  id: string;
  signedOn: string;
  mayorName: string;
  delegates: PersonRef[];
  state: string;
  stateLabel: string;
  currentPeriodEndsOn: string;
  renewals: number;
  noticeGivenOn: string | null;
  terminationEffectiveOn: string | null;
}

export interface ControlPointAnswer {
  conform: boolean;
  major?: boolean;
  comment?: string;
}

export type AssessmentResult = 'conform' | 'minor' | 'major';

export interface SelfAssessment {
  id: string;
  assessedOn: string;
  result: AssessmentResult;
  resultLabel: string;
  answers: Record<string, ControlPointAnswer>;
  recordedBy: string | null;
  liftedAt: string | null;
}

export interface Organization {
  id: string;
  code: string;
  kind: string;
  kindLabel: string;
  name: string;
  parentId: string | null;
  parentName: string | null;
  registrationAuthority: { id: string; name: string } | null;
  inseeCode: string | null;
  siren: string | null;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  status: string;
  trustedRolesSuspended: boolean;
  agentCount: number;
  agreement: Agreement | null;
  selfAssessments: SelfAssessment[];
}

export interface AllocationPlanEntry {
  id: string;
  agentId: string;
  agentName: string;
  identifier: string;
  year: number;
  reason: string | null;
}

export type AgentStatus = 'active' | 'inactive';

export interface AgentSummary {
  id: string;
  identifier: string;
  lastName: string;
  firstNames: string;
  birthDate: string;
  organizationId: string;
  organizationName: string;
  status: AgentStatus;
  hasPhoto: boolean;
  email: string | null;
}

export interface Agent extends AgentSummary {
  identifierKind: string;
  sex: string;
  birthPlace: string;
  phone: string | null;
  unitAddress: string | null;
  staffStatus: string;
  category: string | null;
  profile: string | null;
  habilitations: string[];
  identityVerified: boolean;
  directoryRecord: unknown;
  source: string | null;
  createdAt: string;
  updatedAt: string;
  roles: RoleView[];
}

export interface AgentPatch {
  identifier?: string;
  identifierKind?: string;
  lastName?: string;
  firstNames?: string;
  sex?: string;
  birthDate?: string;
  birthPlace?: string;
  email?: string | null;
  phone?: string | null;
  unitAddress?: string | null;
  staffStatus?: string;
  category?: string | null;
  profile?: string | null;
  habilitations?: string[];
}

export interface Page<T> {
  items: T[];
  /** Exact when `totalExact` (absent: exact), otherwise a lower bound ("plus de"). */
  total: number;
  totalExact?: boolean;
  page: number;
  pageSize: number;
  /** Cursor of the next page (`after`), null on the last one. */
  next?: string | null;
}

export interface Count {
  count: number;
  exact: boolean;
}

export interface HomeCounts {
  organizations: Count | null;
  agents: Count | null;
  audit: Count | null;
  mails: Count | null;
}

export type ImportStatus = 'running' | 'done' | 'refused' | 'failed';
export type FeedFormat = 'csv' | 'jsonl';

export interface ImportRun {
  id: string;
  organizationId: string;
  organizationName: string;
  fileName: string;
  format: FeedFormat;
  fullMode: boolean;
  status: ImportStatus;
  total: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  deactivated: number;
  bytesTotal: number;
  bytesRead: number;
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface ImportReject {
  line: number;
  field: string;
  reason: string;
}

export interface AuditRecord {
  seq: number;
  at: string;
  actorId: string | null;
  actorName: string | null;
  actorRole: string | null;
  organizationId: string | null;
  organizationName: string | null;
  action: string;
  outcome: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  summary: unknown;
  evidence: unknown;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  headSeq: number;
  firstBroken: { seq: number; reason: string } | null;
}

export interface MailSummary {
  id: string;
  recipient: string;
  subject: string;
  status: string;
  transport: string;
  createdAt: string;
  sentAt: string | null;
}

export interface Mail extends MailSummary {
  body: string;
}

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
  organizations: () => request<{ items: OrganizationSummary[] }>('GET', '/api/organizations'),
  organization: (id: string) => request<Organization>('GET', `/api/organizations/${encodeURIComponent(id)}`),
  putAgreement: (id: string, body: { signedOn: string; mayorName: string; delegateIds: string[] }) =>
    request<Agreement>('PUT', `/api/organizations/${encodeURIComponent(id)}/agreement`, { json: body }),
  giveNotice: (id: string, givenOn: string) =>
    request<Agreement>('POST', `/api/organizations/${encodeURIComponent(id)}/agreement/notice`, { json: { givenOn } }),
  submitSelfAssessment: (id: string, body: { assessedOn: string; answers: Record<string, ControlPointAnswer> }) =>
    request<SelfAssessment>('POST', `/api/organizations/${encodeURIComponent(id)}/self-assessments`, { json: body }),
  liftSuspension: (id: string, assessmentId: string) =>
    request<SelfAssessment>(
      'POST',
      `/api/organizations/${encodeURIComponent(id)}/self-assessments/${encodeURIComponent(assessmentId)}/lift`,
    ),
  allocationPlan: (id: string, year: number) =>
    request<{ items: AllocationPlanEntry[] }>('GET', `/api/organizations/${encodeURIComponent(id)}/allocation-plan`, {
      query: { year },
    }),

  // Agents
  agents: (query: { q?: string; organizationId?: string; status?: string; page?: number; pageSize?: number }) =>
    request<Page<AgentSummary>>('GET', '/api/agents', { query }),
  agent: (id: string) => request<Agent>('GET', `/api/agents/${encodeURIComponent(id)}`),
  patchAgent: (id: string, patch: AgentPatch) =>
    request<Agent>('PATCH', `/api/agents/${encodeURIComponent(id)}`, { json: patch }),
  deactivateAgent: (id: string) => request<Agent>('POST', `/api/agents/${encodeURIComponent(id)}/deactivate`),
  reactivateAgent: (id: string) => request<Agent>('POST', `/api/agents/${encodeURIComponent(id)}/reactivate`),
  uploadPhoto: (id: string, file: Blob) =>
    request<{ ok: true; width: number; height: number; size: number }>(
      'PUT',
      `/api/agents/${encodeURIComponent(id)}/photo`,
      { body: file, contentType: 'image/jpeg' },
    ),
  photoUrl: (id: string, version?: string | number) =>
    withQuery(`/api/agents/${encodeURIComponent(id)}/photo`, { v: version }),

  // HR feed imports
  imports: (organizationId?: string) =>
    request<{ items: ImportRun[] }>('GET', '/api/imports', { query: { organizationId } }),
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
  audit: (query: { page?: number; pageSize?: number; action?: string; outcome?: string; targetId?: string }) =>
    request<Page<AuditRecord>>('GET', '/api/audit', { query }),
  verifyAudit: () => request<AuditVerification>('POST', '/api/audit/verify'),

  // Mail
  mails: () => request<{ items: MailSummary[] }>('GET', '/api/mails'),
  counts: () => request<HomeCounts>('GET', '/api/counts'),
  mail: (id: string) => request<Mail>('GET', `/api/mails/${encodeURIComponent(id)}`),
};
