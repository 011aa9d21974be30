import client from 'prom-client';

// Process-level figures for /metrics (Prometheus text format, prom-client). Figures read from the
// database on each scrape (queue depth, CRL age…) are added per server (app/operations/metrics.ts).

export const processRegistry = new client.Registry();
client.collectDefaultMetrics({ register: processRegistry });

export const httpDuration = new client.Histogram({
  name: 'cartes_http_request_duration_seconds',
  help: 'HTTP request duration by route (the route pattern, not the URL), method and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry],
});

export const jobsProcessed = new client.Counter({
  name: 'cartes_jobs_processed_total',
  help: 'Background jobs run by this process, by kind and outcome (ok, retry, failed)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [processRegistry],
});

/** OCSP answers sent by this process, by HTTP method and status (the responder may add the certificate status). */
export const ocspAnswers = new client.Counter({
  name: 'cartes_ocsp_responses_total',
  help: 'OCSP responses sent by this process, by HTTP method and status code',
  labelNames: ['method', 'status_code'] as const,
  registers: [processRegistry],
});

export const mailsDelivered = new client.Counter({
  name: 'cartes_mails_delivered_total',
  help: 'Mails handed to the transport by this process, by transport and outcome',
  labelNames: ['transport', 'outcome'] as const,
  registers: [processRegistry],
});

export const scheduledTasks = new client.Counter({
  name: 'cartes_scheduled_tasks_total',
  help: 'Scheduled passes run by this process, by task and outcome (ok, failed, skipped: run by another instance)',
  labelNames: ['task', 'outcome'] as const,
  registers: [processRegistry],
});

export const databaseErrors = new client.Counter({
  name: 'cartes_database_connection_errors_total',
  help: 'Database connections lost or refused, seen by this process',
  registers: [processRegistry],
});

export { client };
