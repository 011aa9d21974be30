import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type AppErrorCode } from '../app/errors.ts';
import { classifyStoreError, storeFailureMessage } from '../store/errors.ts';

// Every error leaves as application/problem+json (RFC 9457) with a French `detail`.

const STATUS: Record<AppErrorCode, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
};
const TITLES: Record<number, string> = {
  400: 'Requête invalide',
  401: 'Authentification requise',
  403: 'Accès refusé',
  404: 'Introuvable',
  409: 'Conflit',
  413: 'Contenu trop volumineux',
  415: 'Type de contenu non pris en charge',
  422: 'Données invalides',
  429: 'Trop de requêtes',
  500: 'Erreur interne',
  503: 'Service indisponible',
};

/** Every problem body carries the request id (also in the x-request-id header and the logs). */
export function sendProblem(reply: FastifyReply, status: number, detail: string, errors?: unknown[]): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: TITLES[status] ?? 'Erreur',
      status,
      detail,
      ...(errors && errors.length ? { errors } : {}),
      requestId: reply.request.id,
    });
}

export function errorHandler(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof AppError) return sendProblem(reply, STATUS[error.code], error.message, error.errors);
  const fe = error as FastifyError;
  if (fe.validation) {
    const errors = fe.validation.map((v) => ({
      field:
        (v.instancePath || (v.params as { missingProperty?: string }).missingProperty || fe.validationContext) ?? '',
      reason: frenchAjv(v.keyword, v.params as Record<string, unknown>, v.message),
    }));
    return sendProblem(reply, 400, 'La requête est invalide : vérifiez les champs signalés.', errors);
  }
  const status = fe.statusCode ?? 500;
  if (status === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return sendProblem(reply, 413, 'Le contenu envoyé est trop volumineux.');
  if (status === 415 || fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return sendProblem(reply, 415, 'Type de contenu non pris en charge.');
  if (
    fe.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ||
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error instanceof SyntaxError
  ) {
    return sendProblem(reply, 400, "Le corps de la requête n'est pas un JSON valide.");
  }
  if (status === 429) return sendProblem(reply, 429, 'Trop de requêtes : réessayez dans un instant.');
  if (status >= 400 && status < 500) return sendProblem(reply, status, 'La requête est invalide.');
  // The database away or the disk full: 503 with a French sentence; the details go to the log only.
  const failure = classifyStoreError(error);
  if (failure) {
    request.log.warn({ err: error, failure }, 'store failure');
    void reply.header('retry-after', failure === 'unavailable' || failure === 'busy' ? '5' : '60');
    return sendProblem(reply, 503, storeFailureMessage(failure));
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(
    reply,
    500,
    "Une erreur interne est survenue. Elle a été journalisée ; réessayez ou contactez l'assistance.",
  );
}

function frenchAjv(keyword: string, params: Record<string, unknown>, fallback: string | undefined): string {
  switch (keyword) {
    case 'required':
      return `champ obligatoire manquant : ${String(params['missingProperty'])}`;
    case 'type':
      return `type attendu : ${String(params['type'])}`;
    case 'minLength':
      return `au moins ${String(params['limit'])} caractère(s)`;
    case 'maxLength':
      return `au plus ${String(params['limit'])} caractère(s)`;
    case 'minimum':
      return `valeur minimale : ${String(params['limit'])}`;
    case 'maximum':
      return `valeur maximale : ${String(params['limit'])}`;
    case 'enum':
    case 'anyOf':
    case 'const':
      return 'valeur non admise';
    case 'pattern':
    case 'format':
      return 'format invalide';
    case 'additionalProperties':
      return `champ inconnu : ${String(params['additionalProperty'])}`;
    case 'maxItems':
      return `au plus ${String(params['limit'])} élément(s)`;
    default:
      return fallback ? `valeur invalide (${fallback})` : 'valeur invalide';
  }
}
