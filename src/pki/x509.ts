// @peculiar/x509, loaded after the Reflect metadata shim it needs (see reflect-shim.ts). Import the
// library from here: `import * as x509 from './x509.ts'`.
import './reflect-shim.ts';
export * from '@peculiar/x509';
