/** Where the portal page finds the workstation's card agent: CARTES_AGENT_URL, else 127.0.0.1 on the agent port. */
export function cardAgentOrigin(env: NodeJS.ProcessEnv, agentPort = 7391): string {
  const fallback = `http://127.0.0.1:${agentPort}`;
  try {
    return new URL(env['CARTES_AGENT_URL'] ?? fallback).origin;
  } catch {
    return fallback;
  }
}
