// The exact text a card signs to open a session. It binds the server's single-use challenge to the
// portal's origin, so a signature obtained by another site cannot be replayed here. Pure and
// dependency-free: the web page imports the very same function.

export const SIGN_IN_PREFIX = 'cartes-connexion-v1';

/** `cartes-connexion-v1\n<challenge base64>\n<portal origin>` (origin as `new URL(url).origin` gives it). */
export function signInText(challenge: string, origin: string): string {
  return `${SIGN_IN_PREFIX}\n${challenge}\n${origin}`;
}
