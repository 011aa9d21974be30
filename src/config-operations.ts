import { isAbsolute, join, resolve } from 'node:path';

// Settings of operations (backups, schedules, retention, health, clock), read by loadConfig from the
// same sources as the rest: environment variables, then the JSON configuration file, then defaults.

export interface RetentionPeriods {
  /** Audit and certificate records, and the agent's record: years after the end of the last card (ETSI EN 319 411-1). */
  recordsYears: number;
  /** Certified copies of identity documents (registration evidence): years after the end of the card. */
  identityCopyYears: number;
  /** ICAO photo of an agent without a card in progress: months after the agent left or the last card ended. */
  photoMonths: number;
  /** Mails sent by the platform (they name the holder): months after sending. */
  mailMonths: number;
  /** HR import reports and their rejected lines: months after the import. */
  importMonths: number;
}

export interface OperationsConfig {
  /** Added to the system clock (ms): exercises dated passes (CARTES_CLOCK_OFFSET, e.g. « +30d »). */
  clockOffsetMs: number;
  /** How long `serve` waits for the database at start, retrying with backoff (s). */
  dbWaitSeconds: number;
  backupDir: string;
  /** Daily backup time on working days, Europe/Paris (seed 003 annex V §2.3: « à midi »); 'off': none. */
  backupTime: string;
  /** Backups older than this are removed (seed 003 annex V §2.4: one week). */
  backupKeepDays: number;
  /** A backup is taken before the schema is migrated (annex V §2.3: « après toute modification structurelle »). */
  backupBeforeMigration: boolean;
  /** Time of the daily pass (expiry, notices, renewals, retention, OCSP responders), Europe/Paris; 'off': none. */
  dailyTime: string;
  /** Bearer token for /metrics; without one, /metrics answers the local machine only. */
  metricsToken: string | null;
  /** Below this free space in the data folder, /readyz answers 503 (MiB). */
  minFreeDiskMb: number;
  retention: RetentionPeriods;
}

type Pick = (envName: string, key: string) => string | undefined;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Parses CARTES_CLOCK_OFFSET: a signed amount with a unit (ms, s, m, h, d), e.g. « +30d », « -2h »,
 * « 90m »; null when malformed.
 */
export function parseClockOffset(text: string): number | null {
  const m = /^([+-]?)(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[3] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * unit;
}

export function loadOperationsConfig(pick: Pick, dataDir: string, errors: string[]): OperationsConfig {
  const int = (envName: string, key: string, fallback: number, min: number, max: number): number => {
    const raw = pick(envName, key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      errors.push(`${envName} : valeur invalide « ${raw} » (entier de ${min} à ${max}).`);
      return fallback;
    }
    return n;
  };
  const time = (envName: string, key: string, fallback: string): string => {
    const raw = pick(envName, key) ?? fallback;
    if (!TIME.test(raw) && raw !== 'off')
      errors.push(`${envName} : heure invalide « ${raw} » (HH:MM, ex. 12:00, ou off pour ne pas la faire ici).`);
    return raw;
  };
  const offsetRaw = pick('CARTES_CLOCK_OFFSET', 'clockOffset');
  let clockOffsetMs = 0;
  if (offsetRaw !== undefined) {
    const parsed = parseClockOffset(offsetRaw);
    if (parsed === null)
      errors.push(`CARTES_CLOCK_OFFSET : décalage invalide « ${offsetRaw} » (ex. +30d, -2h, 90m, 500ms).`);
    else clockOffsetMs = parsed;
  }
  const dirRaw = pick('CARTES_BACKUP_DIR', 'backupDir');
  const backupDir = dirRaw ? (isAbsolute(dirRaw) ? dirRaw : resolve(dirRaw)) : join(dataDir, 'backups');
  const beforeMigration = (pick('CARTES_BACKUP_BEFORE_MIGRATION', 'backupBeforeMigration') ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0', 'oui', 'non'].includes(beforeMigration))
    errors.push(`CARTES_BACKUP_BEFORE_MIGRATION : valeur « ${beforeMigration} » inconnue (true ou false).`);
  return {
    clockOffsetMs,
    dbWaitSeconds: int('CARTES_DB_WAIT', 'dbWaitSeconds', 120, 0, 3600),
    backupDir,
    backupTime: time('CARTES_BACKUP_TIME', 'backupTime', '12:00'),
    backupKeepDays: int('CARTES_BACKUP_KEEP_DAYS', 'backupKeepDays', 7, 1, 3650),
    backupBeforeMigration: ['true', '1', 'oui'].includes(beforeMigration),
    dailyTime: time('CARTES_DAILY_TIME', 'dailyTime', '03:10'),
    metricsToken: pick('CARTES_METRICS_TOKEN', 'metricsToken') ?? null,
    minFreeDiskMb: int('CARTES_MIN_FREE_DISK_MB', 'minFreeDiskMb', 100, 0, 10_000_000),
    retention: {
      recordsYears: int('CARTES_RETENTION_RECORDS_YEARS', 'retentionRecordsYears', 7, 1, 100),
      identityCopyYears: int('CARTES_RETENTION_IDENTITY_COPY_YEARS', 'retentionIdentityCopyYears', 7, 0, 100),
      photoMonths: int('CARTES_RETENTION_PHOTO_MONTHS', 'retentionPhotoMonths', 12, 0, 1200),
      mailMonths: int('CARTES_RETENTION_MAIL_MONTHS', 'retentionMailMonths', 12, 1, 1200),
      importMonths: int('CARTES_RETENTION_IMPORT_MONTHS', 'retentionImportMonths', 24, 1, 1200),
    },
  };
}
