import { randomBytes } from 'node:crypto';

/** A Docker-style object id: 64 lowercase hex characters. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Docker's rule for network names. */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Sandbox names become namespace names (/run/netns/NAME) and /etc/netns/NAME directories. */
export const SANDBOX_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
