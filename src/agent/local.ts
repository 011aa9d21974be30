// Files through which the local CLI finds and controls the running agent: <data>/agent/admin.token
// (0600, new at every start) and <data>/agent/agent.json (address, pid).
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_AGENT_PORT = 7391;
export const ADMIN_HEADER = 'x-cartes-agent-admin';

export function agentDir(dataDir: string): string {
  return join(dataDir, 'agent');
}

export function adminTokenPath(dataDir: string): string {
  return join(agentDir(dataDir), 'admin.token');
}

function infoPath(dataDir: string): string {
  return join(agentDir(dataDir), 'agent.json');
}

export interface AgentInfo {
  url: string;
  pid: number;
  cardsDir: string;
}

function writePrivate(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above only applies when the file is created
}

export function writeLocalFiles(dataDir: string, adminToken: string, info: AgentInfo): void {
  mkdirSync(agentDir(dataDir), { recursive: true, mode: 0o700 });
  writePrivate(adminTokenPath(dataDir), adminToken + '\n');
  writePrivate(infoPath(dataDir), JSON.stringify(info, null, 2) + '\n');
}

/** Removes the files if they are still this agent's (another agent may have started since). */
export function removeLocalFiles(dataDir: string, adminToken: string): void {
  try {
    if (readFileSync(adminTokenPath(dataDir), 'utf8').trim() !== adminToken) return;
    rmSync(adminTokenPath(dataDir), { force: true });
    rmSync(infoPath(dataDir), { force: true });
  } catch {
    // already gone
  }
}

export class LocalAgentError extends Error {}

/** Address and admin token of the agent running on this data folder. */
export function readLocalAgent(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  port?: number,
): { url: string; adminToken: string } {
  let adminToken: string;
  try {
    adminToken = readFileSync(adminTokenPath(dataDir), 'utf8').trim();
  } catch {
    throw new LocalAgentError(
      `jeton d'administration de l'agent de carte introuvable (${adminTokenPath(dataDir)}) : l'agent est-il démarré (« cartes agent ») avec le même dossier de données ?`,
    );
  }
  let url: string | undefined;
  if (port !== undefined) url = `http://127.0.0.1:${port}`;
  if (!url) {
    try {
      url = (JSON.parse(readFileSync(infoPath(dataDir), 'utf8')) as AgentInfo).url;
    } catch {
      // fall back on the configured address
    }
  }
  url ??= env['CARTES_AGENT_URL'] ?? `http://127.0.0.1:${env['CARTES_AGENT_PORT'] ?? DEFAULT_AGENT_PORT}`;
  return { url: url.replace(/\/+$/, ''), adminToken };
}
