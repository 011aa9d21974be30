// What the portal's browser tests need from the platform: a real HTTP server (API + web/dist,
// same origin) on demo data, and one-time sign-in links as the CLI makes them.
//
// Interface used by portal.test.ts:
//   startTestServer(opts?) → { baseUrl, signInLink(identifier), close() }
// Implemented on the shared test helpers (temp SQLite platform with the demo data, server on
// 127.0.0.1 with a random port).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/http.ts';
import { openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import { loadDemoSteering } from '../../src/app/demo/steering.ts';

export interface PortalTestServer {
  /** Origin of the server, e.g. http://127.0.0.1:43121 (no trailing slash). */
  baseUrl: string;
  /** A fresh single-use link `${baseUrl}/connexion?jeton=...` for the person with this identifier. */
  signInLink(identifier: string): Promise<string>;
  close(): Promise<void>;
  /** The platform behind the server: to prepare a state the pages show, and to check their effect. */
  platform: TestPlatform;
}

export interface PortalTestServerOptions {
  /** Branding returned by GET /api/config (default 'state'). */
  branding?: 'state' | 'neutral';
  /** Also load the processing centre's year of activity (demo/backoffice.ts). */
  backofficeActivity?: boolean;
  /** Also load the dashboard's monthly figures and thresholds, and run the steering pass (demo/steering.ts). */
  steering?: boolean;
}

export const WEB_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

export async function startTestServer(opts: PortalTestServerOptions = {}): Promise<PortalTestServer> {
  if (!existsSync(WEB_INDEX)) {
    throw new Error('web/dist is missing: build the portal first (vite build --config web/vite.config.ts).');
  }
  const platform = await openTestPlatform('sqlite', { env: { CARTES_BRANDING: opts.branding ?? 'state' } });
  try {
    if (opts.backofficeActivity) await loadDemoActivity(platform.ctx);
    if (opts.steering) await loadDemoSteering(platform.ctx);
    const server = await startServer(platform);
    return {
      baseUrl: server.baseUrl,
      platform,
      signInLink: async (identifier) =>
        `${server.baseUrl}/connexion?jeton=${encodeURIComponent(await server.linkToken(identifier))}`,
      close: async () => {
        try {
          await server.close();
        } finally {
          await platform.close();
        }
      },
    };
  } catch (err) {
    await platform.close();
    throw err;
  }
}
