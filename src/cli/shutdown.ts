// Bounded shutdown of a long-running command (serve, ocsp serve): on SIGTERM or SIGINT the work in
// flight gets `deadlineS` seconds to finish, then what is left is cut and the process exits. A second
// signal exits at once. The exit comes whatever the event loop is doing: the last timer is a hard one.

export interface ShutdownOptions {
  deadlineS: number;
  /** Stops everything; receives the deadline (ms since epoch) to pass on to what can be cut. */
  stop: (deadline: number) => Promise<{ clean: boolean }>;
  log: (line: string) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
}

export function exitOnSignals(opts: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.log(`Deuxième signal (${signal}) : arrêt immédiat.`);
      process.exit(130);
    }
    stopping = true;
    const deadlineMs = opts.deadlineS * 1000;
    opts.log(`Signal ${signal} : arrêt, ${opts.deadlineS} s au plus pour finir les requêtes en cours.`);
    // Whatever blocks the stop (a query that never returns, a handler stuck), the process exits.
    const hard = setTimeout(() => {
      opts.log(`Arrêt forcé : le délai de ${opts.deadlineS} s est dépassé.`);
      process.exit(1);
    }, deadlineMs + 2000);
    hard.unref();
    opts.stop(Date.now() + deadlineMs).then(
      ({ clean }) => {
        if (!clean) opts.log(`Requêtes encore en cours coupées après ${opts.deadlineS} s.`);
        process.exit(clean ? 0 : 1);
      },
      (err: unknown) => {
        opts.log(`Arrêt en erreur : ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
}
