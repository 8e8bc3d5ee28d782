import type { Credential } from './credentials.js';

/**
 * The part of a credential's variable names that stands for its host: upper case, every character
 * outside [A-Z0-9] an `_`, e.g. `git.example.org:8443` → `GIT_EXAMPLE_ORG_8443`.
 */
export const credentialVariableHost = (host: string): string =>
  host.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** A server's credential variables, and the hosts left out of them. */
export interface CredentialVariables {
  /** `ENVHUB_CREDENTIAL_<HOST>_USERNAME` and `…_TOKEN` for each host. */
  variables: Record<string, string>;
  /** Hosts whose names mangle alike (`a-b.org`, `a.b.org`): no variable could say which is which. */
  clashing: string[];
}

/** The environment variables of a server launched with `credentials: "env"`, from its owner's credentials by host. */
export function credentialVariables(
  credentials: Record<string, Credential>
): CredentialVariables {
  const byName = new Map<string, string[]>();
  for (const host of Object.keys(credentials)) {
    const name = credentialVariableHost(host);
    byName.set(name, [...(byName.get(name) ?? []), host]);
  }
  const variables: Record<string, string> = {};
  const clashing: string[] = [];
  for (const [name, hosts] of byName) {
    if (hosts.length > 1) {
      clashing.push(...hosts);
      continue;
    }
    const { username, token } = credentials[hosts[0]];
    variables[`ENVHUB_CREDENTIAL_${name}_USERNAME`] = username;
    variables[`ENVHUB_CREDENTIAL_${name}_TOKEN`] = token;
  }
  return { variables, clashing };
}
