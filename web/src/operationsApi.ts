// Client of the operations API (/api/operations/*): the shapes come from the server's schemas.
import type {
  BackupList,
  Job,
  JobList,
  JournalList,
  OperationsStatus,
  RetentionResult,
  VerifyReport,
} from '../../src/http/schemas/operations.ts';
import { request } from './api.ts';

export type {
  BackupItem,
  BackupList,
  Job,
  JobList,
  JournalEntry,
  JournalList,
  OperationsStatus,
  RetentionResult,
  VerifyReport,
} from '../../src/http/schemas/operations.ts';

export const operationsApi = {
  status: () => request<OperationsStatus>('GET', '/api/operations/status'),
  journal: (query: { kind?: string; limit?: number } = {}) =>
    request<JournalList>('GET', '/api/operations/journal', { query }),
  check: (id: string, note: string) =>
    request<{ id: string; checkedAt: string }>('POST', `/api/operations/journal/${encodeURIComponent(id)}/check`, {
      json: { note },
    }),
  backups: () => request<BackupList>('GET', '/api/operations/backups'),
  backupNow: () => request<{ id: string; path: string; size: number }>('POST', '/api/operations/backups'),
  verify: (id: string) => request<VerifyReport>('POST', `/api/operations/backups/${encodeURIComponent(id)}/verify`),
  jobs: (query: { status?: string } = {}) => request<JobList>('GET', '/api/operations/jobs', { query }),
  retry: (id: string) => request<Job>('POST', `/api/operations/jobs/${encodeURIComponent(id)}/retry`),
  retention: (dryRun: boolean) => request<RetentionResult>('POST', '/api/operations/retention', { json: { dryRun } }),
};
