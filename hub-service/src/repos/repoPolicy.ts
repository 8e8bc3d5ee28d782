import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { EnvhubError } from '../errors.js';

/** Address ranges a repository URL may not point at unless an admin lists the host (SSRF). */
const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4]
] as const) {
  internal.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8]
] as const) {
  internal.addSubnet(net, prefix, 'ipv6');
}

function isInternal(address: string): boolean {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return internal.check(mapped[1], 'ipv4');
  return internal.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Resolves a host name to every address it stands for. */
export type Resolve = (host: string) => Promise<string[]>;
const resolveWithDns: Resolve = async host => (await lookup(host, { all: true })).map(a => a.address);

/**
 * Checks that a repository URL may be fetched: http(s) only, no credentials in it, and no
 * loopback, private or link-local host unless `allowedHosts` names it (by name or address).
 */
export async function checkRepoUrl(repo: string, allowedHosts: string[], resolve: Resolve = resolveWithDns): Promise<URL> {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    throw new EnvhubError(400, 'invalid_repo', `"${repo}" is not a URL; give the repository as http(s)://host/path`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EnvhubError(400, 'repo_scheme', `repository URLs must use http or https, not ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) {
    throw new EnvhubError(400, 'repo_credentials', 'repository URLs must not carry a user name or password');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowedHosts.includes(host)) return url;
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new EnvhubError(400, 'repo_host_unknown', `the repository host "${host}" cannot be resolved`);
    }
  }
  const blocked = addresses.find(isInternal);
  if (blocked) {
    throw new EnvhubError(
      403,
      'repo_host_refused',
      `the repository host "${host}" is a loopback, private or link-local address (${blocked}); ` +
        'an admin can allow it by adding it to ENVHUB_ALLOWED_REPO_HOSTS'
    );
  }
  return url;
}
