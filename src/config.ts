import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { loadOperationsConfig, type OperationsConfig } from './config-operations.ts';

// Configuration: environment variables, then an optional JSON file (CARTES_CONFIG or
// <data>/config.json), then defaults. Validated once at start with French messages.

export interface Config {
  dataDir: string;
  db: string;
  host: string;
  port: number;
  publicUrl: string;
  branding: 'state' | 'neutral';
  smtpUrl: string | null;
  mailFrom: string;
  mailDir: string;
  logLevel: string;
  /** Reverse proxies allowed to pass a TLS client certificate (CARTES_TRUSTED_PROXIES, IPs; empty = none). */
  trustedProxies: string[];
  /** Header carrying the client certificate (URL-encoded PEM) set by a trusted proxy. */
  tlsClientCertHeader: string;
  /** Port of the workstation card agent (CARTES_AGENT_PORT). */
  agentPort: number;
  /** Backups, schedules, retention, health, clock (config-operations.ts). */
  operations: OperationsConfig;
  /** Seconds a stopping server gives requests in flight before it cuts them (CARTES_SHUTDOWN_TIMEOUT_S). */
  shutdownTimeoutS: number;
  /** Requests a minute per signed-in person, and per address without a session (CARTES_RATE_LIMIT). */
  rateLimitPerMinute: number;
  /** CA certificate and CRL downloads a minute per address (CARTES_PKI_RATE_LIMIT); OCSP has none. */
  pkiRateLimitPerMinute: number;
  /** Share of OCSP answers logged at info, 0 to 1 (CARTES_PKI_LOG_SAMPLE). */
  pkiLogSample: number;
  /** Request nonces not marked critical: answered pre-signed or signed each time (CARTES_OCSP_NONCE). */
  ocspNonce: 'presigned' | 'sign';
  /** SQLite read connections on worker threads (CARTES_SQLITE_READERS; 0 = reads on the event loop). */
  sqliteReaders: number | null;
}

export class ConfigError extends Error {}

export interface ConfigOverrides {
  data?: string | undefined;
  db?: string | undefined;
  port?: number | undefined;
  host?: string | undefined;
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(overrides.data ?? env['CARTES_DATA'] ?? 'data');
  const filePath = env['CARTES_CONFIG'] ?? join(dataDir, 'config.json');
  let file: Record<string, unknown> = {};
  if (existsSync(filePath)) {
    try {
      file = JSON.parse(readFileSync(filePath, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Fichier de configuration illisible (${filePath}) : ${(err as Error).message}`);
    }
  }
  const pick = (envName: string, key: string): string | undefined => {
    const v = env[envName] ?? file[key];
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const errors: string[] = [];
  const dbRaw = overrides.db ?? pick('CARTES_DB', 'db') ?? join(dataDir, 'cartes.sqlite');
  const db = /^postgres(ql)?:\/\//.test(dbRaw) || dbRaw === ':memory:' || isAbsolute(dbRaw) ? dbRaw : resolve(dbRaw);
  const portRaw = overrides.port ?? pick('CARTES_PORT', 'port') ?? '3000';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    errors.push(`CARTES_PORT : port invalide « ${portRaw} » (0 à 65535).`);
  const host = overrides.host ?? pick('CARTES_HOST', 'host') ?? '127.0.0.1';
  const branding = pick('CARTES_BRANDING', 'branding') ?? 'state';
  if (branding !== 'state' && branding !== 'neutral')
    errors.push(`CARTES_BRANDING : « ${branding} » inconnu (state ou neutral).`);
  const smtpUrl = pick('CARTES_SMTP_URL', 'smtpUrl') ?? null;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl))
    errors.push('CARTES_SMTP_URL : adresse SMTP invalide (smtp://hôte:port ou smtps://…).');
  const mailFrom = pick('CARTES_MAIL_FROM', 'mailFrom') ?? 'Cartes Agents <ne-pas-repondre@cartes-agents.localhost>';
  const logLevel = pick('CARTES_LOG_LEVEL', 'logLevel') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel))
    errors.push(`CARTES_LOG_LEVEL : niveau « ${logLevel} » inconnu.`);
  const trustedProxies = (pick('CARTES_TRUSTED_PROXIES', 'trustedProxies') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const a of trustedProxies)
    if (!isIP(a)) errors.push(`CARTES_TRUSTED_PROXIES : « ${a} » n'est pas une adresse IP.`);
  const tlsClientCertHeader = (
    pick('CARTES_TLS_CLIENT_CERT_HEADER', 'tlsClientCertHeader') ?? 'x-ssl-client-cert'
  ).toLowerCase();
  if (!/^[a-z0-9-]+$/.test(tlsClientCertHeader))
    errors.push(`CARTES_TLS_CLIENT_CERT_HEADER : nom d'en-tête invalide « ${tlsClientCertHeader} ».`);
  const agentPortRaw = pick('CARTES_AGENT_PORT', 'agentPort') ?? '7391';
  const agentPort = Number(agentPortRaw);
  if (!Number.isInteger(agentPort) || agentPort < 0 || agentPort > 65535)
    errors.push(`CARTES_AGENT_PORT : port invalide « ${agentPortRaw} » (0 à 65535).`);
  const operations = loadOperationsConfig(pick, dataDir, errors);
  const number = (envName: string, key: string, fallback: string, min: number, max: number, what: string): number => {
    const raw = pick(envName, key) ?? fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      errors.push(`${envName} : ${what} invalide « ${raw} » (${min} à ${max}).`);
    return n;
  };
  const shutdownTimeoutS = number('CARTES_SHUTDOWN_TIMEOUT_S', 'shutdownTimeoutS', '10', 1, 3600, 'délai');
  const rateLimitPerMinute = number('CARTES_RATE_LIMIT', 'rateLimit', '1200', 1, 1_000_000, 'nombre');
  const pkiRateLimitPerMinute = number('CARTES_PKI_RATE_LIMIT', 'pkiRateLimit', '6000', 1, 10_000_000, 'nombre');
  const pkiLogSample = number('CARTES_PKI_LOG_SAMPLE', 'pkiLogSample', '0.001', 0, 1, 'proportion');
  const ocspNonce = pick('CARTES_OCSP_NONCE', 'ocspNonce') ?? 'presigned';
  if (ocspNonce !== 'presigned' && ocspNonce !== 'sign')
    errors.push(`CARTES_OCSP_NONCE : « ${ocspNonce} » inconnu (presigned ou sign).`);
  const readersRaw = pick('CARTES_SQLITE_READERS', 'sqliteReaders');
  const sqliteReaders = readersRaw === undefined ? null : Number(readersRaw);
  if (sqliteReaders !== null && (!Number.isInteger(sqliteReaders) || sqliteReaders < 0 || sqliteReaders > 64))
    errors.push(`CARTES_SQLITE_READERS : nombre invalide « ${readersRaw} » (0 à 64).`);
  if (errors.length) throw new ConfigError(`Configuration invalide :\n  - ${errors.join('\n  - ')}`);
  const publicUrl =
    pick('CARTES_PUBLIC_URL', 'publicUrl') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    dataDir,
    db,
    host,
    port,
    publicUrl,
    branding: branding as Config['branding'],
    smtpUrl,
    mailFrom,
    mailDir: join(dataDir, 'mails'),
    logLevel,
    trustedProxies,
    tlsClientCertHeader,
    agentPort,
    operations,
    shutdownTimeoutS,
    rateLimitPerMinute: Math.floor(rateLimitPerMinute),
    pkiRateLimitPerMinute: Math.floor(pkiRateLimitPerMinute),
    pkiLogSample,
    ocspNonce: ocspNonce as Config['ocspNonce'],
    sqliteReaders,
  };
}
