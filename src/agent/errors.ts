// Errors of the card agent: one JSON shape `{ code, message, triesLeft? }` and an HTTP status.
// Card errors keep the driver's code and French message; the agent adds its own codes.
import { CardError, type CardErrorCode } from '../cards/card.ts';

export type AgentErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'origin_refused'
  | 'host_refused'
  | 'admin_only'
  | 'pairing_wrong'
  | 'pairing_locked'
  | 'reader_unknown'
  | 'reader_fixed'
  | 'reader_busy'
  | 'no_card'
  | 'file_name'
  | 'file_unknown'
  | 'not_found'
  | 'internal';

const AGENT_STATUS: Record<AgentErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  origin_refused: 403,
  host_refused: 403,
  admin_only: 403,
  pairing_wrong: 403,
  pairing_locked: 423,
  reader_unknown: 404,
  reader_fixed: 400,
  reader_busy: 409,
  no_card: 409,
  file_name: 400,
  file_unknown: 404,
  not_found: 404,
  internal: 500,
};

const CARD_STATUS: Record<CardErrorCode, number> = {
  pin_wrong: 403,
  pin_blocked: 423,
  pin_not_set: 409,
  pin_format: 400,
  admin_refused: 403,
  no_key: 409,
  slot_taken: 409,
  terminated: 409,
  unreadable: 409,
  unsupported: 409,
};

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly status: number;
  readonly triesLeft: number | null;
  constructor(code: AgentErrorCode, message: string, triesLeft: number | null = null) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.status = AGENT_STATUS[code];
    this.triesLeft = triesLeft;
  }
}

export interface AgentErrorBody {
  code: string;
  message: string;
  triesLeft?: number;
}

/** Status and body for any error thrown while serving a request. */
export function errorResponse(err: unknown): { status: number; body: AgentErrorBody } {
  if (err instanceof AgentError || err instanceof CardError) {
    const status = err instanceof AgentError ? err.status : (CARD_STATUS[err.code] ?? 409);
    return {
      status,
      body: { code: err.code, message: err.message, ...(err.triesLeft !== null ? { triesLeft: err.triesLeft } : {}) },
    };
  }
  return {
    status: 500,
    body: { code: 'internal', message: "Erreur interne de l'agent de carte : consultez son journal." },
  };
}
