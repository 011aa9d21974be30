// Last resort of `cartes serve`: no request may end the process. Errors inside a request already
// become a logged 500 (problem.ts); what escapes every handler (an exception thrown by a listener of
// a request's stream, a promise nobody awaited) is logged here and the process keeps serving. Only a
// burst of them (a fault in the process itself, not in one request) ends it, for its supervisor to
// restart it clean.

export interface GuardLog {
  error(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

export interface ProcessGuardOptions {
  /** More escapes than this within `windowMs` end the process (exit code 70). */
  maxBurst?: number;
  windowMs?: number;
  exit?: (code: number) => void;
}

export function guardProcess(log: GuardLog, opts: ProcessGuardOptions = {}): () => void {
  const maxBurst = opts.maxBurst ?? 50;
  const windowMs = opts.windowMs ?? 60_000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let recent: number[] = [];
  const escaped = (err: unknown, origin: string) => {
    const now = Date.now();
    recent = recent.filter((t) => now - t < windowMs);
    recent.push(now);
    if (recent.length > maxBurst) {
      log.fatal({ err, origin }, `${recent.length} uncaught errors within ${windowMs} ms: stopping`);
      exit(70);
      return;
    }
    log.error({ err, origin }, 'uncaught error: logged, the process keeps serving');
  };
  const onException = (err: Error, origin: string) => escaped(err, origin);
  const onRejection = (reason: unknown) => escaped(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
