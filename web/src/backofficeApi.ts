// Client of the back office routes (/api/backoffice/*, seed 003). The shapes come from the server's
// schemas (src/http/schemas/backoffice.ts): one source for every API shape.
import type { Static } from '@sinclair/typebox';
import type * as S from '../../src/http/schemas/backoffice.ts';
import { request, withQuery } from './api.ts';
import { euros as formatEuros } from '../../src/domain/case-file.ts';

export type Centre = Static<typeof S.Centre>;
export type Office = Static<typeof S.Office>;
export type Kind = Static<typeof S.Kind>;
export type KindDefinition = Static<typeof S.KindDefinition>;
export type FileSummary = Static<typeof S.FileSummary>;
export type FilePage = Static<typeof S.FilePage>;
export type CaseFile = Static<typeof S.CaseFile>;
export type SlipInput = Static<typeof S.SlipInput>;
export type SlipCreated = Static<typeof S.SlipCreated>;
export type Slip = Static<typeof S.Slip>;
export type SlipPage = Static<typeof S.SlipPage>;
export type OfficeQueues = Static<typeof S.OfficeQueues>;
export type ArchivePage = Static<typeof S.ArchivePage>;
export type ArchiveTransfers = Static<typeof S.ArchiveTransfers>;
export type Ageing = Static<typeof S.Ageing>;
export type AgeingRecord = Static<typeof S.AgeingRecord>;
export type ExpenseStatement = Static<typeof S.ExpenseStatement>;
export type AmountImportResult = Static<typeof S.AmountImportResult>;
export type FileQuery = Static<typeof S.FileQuery>;

const file = (id: string, action: string) => `/api/backoffice/files/${encodeURIComponent(id)}/${action}`;
const post = (path: string, json?: unknown) => request<CaseFile>('POST', path, json === undefined ? {} : { json });

export const backofficeApi = {
  centres: () => request<{ items: Centre[] }>('GET', '/api/backoffice/centres'),
  units: (centreId: string) =>
    request<{ items: { id: string; code: string; name: string }[] }>(
      'GET',
      `/api/backoffice/centres/${encodeURIComponent(centreId)}/units`,
    ),
  queues: (centreId: string) =>
    request<OfficeQueues>('GET', `/api/backoffice/centres/${encodeURIComponent(centreId)}/queues`),
  kinds: () => request<{ items: Kind[] }>('GET', '/api/backoffice/kinds'),
  updateKind: (code: string, def: KindDefinition) =>
    request<Kind>('PUT', `/api/backoffice/kinds/${encodeURIComponent(code)}`, { json: def }),

  files: (q: FileQuery) => request<FilePage>('GET', '/api/backoffice/files', { query: { ...q } }),
  file: (id: string) => request<CaseFile>('GET', `/api/backoffice/files/${encodeURIComponent(id)}`),
  pieceHref: (fileId: string, pieceId: string) =>
    `/api/backoffice/files/${encodeURIComponent(fileId)}/pieces/${encodeURIComponent(pieceId)}/document`,
  letterHref: (fileId: string, letterId: string) =>
    `/api/backoffice/files/${encodeURIComponent(fileId)}/letters/${encodeURIComponent(letterId)}`,

  slips: (centreId: string, page = 1) =>
    request<SlipPage>('GET', '/api/backoffice/slips', { query: { centreId, page } }),
  slip: (id: string) => request<Slip>('GET', `/api/backoffice/slips/${encodeURIComponent(id)}`),
  registerSlip: (input: SlipInput) => request<SlipCreated>('POST', '/api/backoffice/slips', { json: input }),
  checkPiece: (id: string, code: string, present: boolean, note?: string) =>
    post(file(id, `pieces/${encodeURIComponent(code)}`), { present, note: note || null }),
  checkForm: (id: string, code: string, ok: boolean, reason?: string) =>
    post(file(id, `checks/${encodeURIComponent(code)}`), { ok, reason: reason || null }),
  contact: (
    id: string,
    c: { channel: string; contactName: string; summary: string; resolves: { pieces: string[]; checks: string[] } },
  ) => post(file(id, 'contacts'), c),
  correct: (id: string, c: { field: string; value: string; note: string }) => post(file(id, 'corrections'), c),
  attach: (id: string, code: string, f: File) =>
    request<CaseFile>('PUT', withQuery(file(id, `pieces/${encodeURIComponent(code)}/document`), { fileName: f.name }), {
      body: f,
      contentType: f.type || 'application/octet-stream',
    }),
  register: (id: string) => post(file(id, 'register')),
  returnFile: (id: string, reasons: string[], note: string) =>
    post(file(id, 'return'), { reasons, note: note || null }),
  route: (id: string, officeId: string) => post(file(id, 'route'), { officeId }),
  priority: (id: string, priority: string, note: string) =>
    post(file(id, 'priority'), { priority, note: note || null }),
  take: (id: string) => post(file(id, 'take')),
  release: (id: string) => post(file(id, 'release')),
  defer: (id: string, reason: string) => post(file(id, 'defer'), { reason }),
  notifyUnit: (id: string, n: { channel: string; contactName: string; summary: string }) =>
    post(file(id, 'notify-unit'), { ...n, summary: n.summary || null }),
  resume: (id: string) => post(file(id, 'resume')),
  process: (id: string, o: { amountCents: number | null; movementReference: string | null; outcome: string | null }) =>
    post(file(id, 'process'), o),
  selfCheck: (id: string, ok: boolean, note: string) => post(file(id, 'self-check'), { ok, note: note || null }),
  archive: (id: string, a: { locationKind: string; box: string; shelf: string; reference: string }) =>
    post(file(id, 'archive'), {
      locationKind: a.locationKind,
      box: a.box || null,
      shelf: a.shelf || null,
      reference: a.reference || null,
    }),
  importAmounts: (officeId: string, csv: File) =>
    request<AmountImportResult>('POST', `/api/backoffice/offices/${encodeURIComponent(officeId)}/amounts`, {
      body: csv,
      contentType: 'text/csv',
    }),
  transfer: (officeId: string, fileIds: string[], reference: string) =>
    request<{ transferred: string[]; reference: string }>(
      'POST',
      `/api/backoffice/offices/${encodeURIComponent(officeId)}/transfer`,
      { json: { fileIds, reference } },
    ),

  archiveRegister: (q: { centreId: string; q?: string; box?: string; page?: number }) =>
    request<ArchivePage>('GET', '/api/backoffice/archive', { query: { ...q } }),
  archiveTransfers: (centreId: string) =>
    request<ArchiveTransfers>('GET', '/api/backoffice/archive/transfers', { query: { centreId } }),
  transferArchives: (input: { centreId: string; destination: string; reference: string; archivedBefore: string }) =>
    request<unknown>('POST', '/api/backoffice/archive/transfers', {
      json: { ...input, reference: input.reference || null },
    }),

  ageing: (centreId: string, days: number) =>
    request<Ageing>('GET', '/api/backoffice/ageing', { query: { centreId, days } }),
  ageingHref: (centreId: string, days: number, format: 'csv' | 'pdf') =>
    withQuery('/api/backoffice/ageing', { centreId, days, format }),
  ageingReports: (centreId: string) =>
    request<{ items: AgeingRecord[] }>('GET', '/api/backoffice/ageing/reports', { query: { centreId } }),
  recordAgeing: (centreId: string, days: number) =>
    request<AgeingRecord>('POST', '/api/backoffice/ageing/reports', { json: { centreId, days } }),
  analysis: (id: string, analysis: string, measures: string) =>
    request<AgeingRecord>('PUT', `/api/backoffice/ageing/reports/${encodeURIComponent(id)}/analysis`, {
      json: { analysis, measures },
    }),

  expenses: (centreId: string, month: string) =>
    request<ExpenseStatement>('GET', '/api/backoffice/expenses', { query: { centreId, month } }),
  expensesHref: (centreId: string, month: string) =>
    withQuery('/api/backoffice/expenses', { centreId, month, format: 'csv' }),
};

export {
  CASE_FILE_STATUS_LABELS as STATUS_LABELS,
  CONTACT_CHANNELS as CHANNEL_LABELS,
  PRIORITY_LABELS,
  parseEuros,
} from '../../src/domain/case-file.ts';

export function euros(cents: number | null | undefined): string {
  return cents === null || cents === undefined ? '—' : formatEuros(cents);
}
