export interface SoftHsmToken {
  /** Path of libsofthsm2.so. */
  modulePath: string;
  /** softhsm2.conf of the token folder (also set as process.env.SOFTHSM2_CONF). */
  configFile: string;
  tokenLabel: string;
  userPin: string;
  /** Temporary folder holding the configuration and the token files. */
  dir: string;
  /** Delete the folder (close the PKCS#11 sessions first). */
  cleanup(): Promise<void>;
}

/** Path of the SoftHSM2 module (SOFTHSM2_MODULE overrides), or null when not installed. */
export function findSoftHsmModule(): Promise<string | null>;

/**
 * Create and initialise a SoftHSM2 token in a fresh temporary folder (or, with `dir`, in the folder
 * of a previous call) and point SOFTHSM2_CONF at it for this process. Call before loading the module.
 */
export function initSoftHsmToken(options: {
  label: string;
  soPin: string;
  userPin: string;
  dir?: string;
}): Promise<SoftHsmToken>;
