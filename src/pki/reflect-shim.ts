// A minimal Reflect metadata API for @peculiar/x509: its dependency injection (tsyringe) refuses to
// load without one, and reflect-metadata is not a dependency of ours. Nothing of ours uses decorator
// metadata, so empty functions suffice. Imported for its effect by src/pki/x509.ts, before the library.
const reflect = Reflect as unknown as Record<
  'getMetadata' | 'getOwnMetadata' | 'defineMetadata' | 'hasMetadata',
  ((...args: unknown[]) => unknown) | undefined
>;
reflect['getMetadata'] ??= () => undefined;
reflect['getOwnMetadata'] ??= () => undefined;
reflect['defineMetadata'] ??= () => undefined;
reflect['hasMetadata'] ??= () => false;
