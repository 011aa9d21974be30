// Rows written straight into the database by tests and benchmarks that need many holders, cards or
// requests in a given state: what they do not say is empty (null) or the everyday value.
import type { Insertable } from 'kysely';
import type { AgentTable, CardRequestTable, CardTable, RequestBatchTable } from '../../src/store/schema.ts';

/** 0 → A, 25 → Z, 26 → BA…: names without digits, as the subject DN of a certificate wants them. */
export function letters(n: number): string {
  let s = '';
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

type Row<T, Required extends keyof Insertable<T>> = Pick<Insertable<T>, Required> & Partial<Insertable<T>>;

/** An active civil agent created by hand, searchable by name and identifier. */
export function agentRow(
  now: string,
  row: Row<AgentTable, 'id' | 'organization_id' | 'identifier' | 'last_name' | 'first_names'>,
): Insertable<AgentTable> {
  return {
    identifier_kind: 'internal',
    sex: 'F',
    birth_date: '1980-01-01',
    birth_place: 'Paris',
    staff_status: 'civil',
    habilitations: '[]',
    status: 'active',
    identity_verified: 0,
    directory_record: 1,
    has_photo: 0,
    source: 'manual',
    search_text: `${row.last_name} ${row.first_names} ${row.identifier}`.toLowerCase(),
    created_at: now,
    updated_at: now,
    ...row,
  };
}

/** A card produced and shipped, its letter sent, no code and no file. */
export function cardRow(
  now: string,
  row: Row<CardTable, 'id' | 'serial' | 'model_id' | 'agent_id' | 'organization_id' | 'state'>,
): Insertable<CardTable> {
  return {
    operator_organization_id: row.organization_id,
    state_changed_at: now,
    letter_state: 'sent',
    letter_sent_at: now,
    activation_code_attempts: 0,
    produced_at: now,
    shipped_at: now,
    created_at: now,
    updated_at: now,
    ...row,
  };
}

export function batchRow(
  now: string,
  row: Row<RequestBatchTable, 'id' | 'number' | 'organization_id' | 'state'>,
): Insertable<RequestBatchTable> {
  return { created_at: now, updated_at: now, ...row };
}

/** A free first issue, signed now. */
export function requestRow(
  now: string,
  row: Row<CardRequestTable, 'id' | 'number' | 'agent_id' | 'organization_id' | 'model_id' | 'state'>,
): Insertable<CardRequestTable> {
  return {
    kind: 'first_issue',
    billing: 'free',
    price_cents: 0,
    signed_at: now,
    created_at: now,
    updated_at: now,
    ...row,
  };
}
