import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { EnvhubError } from '../errors.js';

/** Address ranges a repository may not be fetched from unless an admin lists the host (SSRF), by what they are. */
const RANGES: [
  kind: string,
  ipv4: [string, number][],
  ipv6: [string, number][]
][] = [
  ['an unspecified address', [['0.0.0.0', 8]], [['::', 128]]],
  ['a loopback address', [['127.0.0.0', 8]], [['::1', 128]]],
  [
    'a private address',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16]
    ],
    [
      ['fc00::', 7],
      ['fec0::', 10]
    ]
  ],
  ['a carrier-grade NAT address', [['100.64.0.0', 10]], []],
  ['a link-local address', [['169.254.0.0', 16]], [['fe80::', 10]]],
  ['a multicast address', [['224.0.0.0', 4]], [['ff00::', 8]]],
  [
    'a documentation address',
    [
      ['192.0.2.0', 24],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24]
    ],
    [['2001:db8::', 32]]
  ],
  [
    'a reserved address',
    [
      ['192.0.0.0', 24],
      ['198.18.0.0', 15],
      ['240.0.0.0', 4]
    ],
    [
      ['100::', 64],
      ['2001::', 32],
      ['64:ff9b:1::', 48]
    ]
  ]
];
const blockLists = RANGES.map(([kind, v4, v6]) => {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return { kind, list };
});

/** The 16 bytes of an IPv6 address (any spelling `isIP` accepts, including a dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const dotted = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted[2].split('.').map(Number);
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) =>
    part ? part.split(':').map(g => parseInt(g, 16)) : [];
  const before = groups(head);
  const after = groups(tail);
  const all =
    tail === undefined
      ? before
      : [
          ...before,
          ...Array<number>(8 - before.length - after.length).fill(0),
          ...after
        ];
  return all.flatMap(g => [g >> 8, g & 0xff]);
}

/**
 * The IPv4 address an IPv6 address stands for, where one is embedded: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and
 * 6to4 (2002:aabb:ccdd::). A gateway or the kernel may connect to that IPv4 address.
 */
function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) =>
    b.slice(from, to).every(x => x === 0);
  const ipv4 = (at: number) => b.slice(at, at + 4).join('.');
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return ipv4(12);
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12))
    return ipv4(12);
  // ::/96 is IPv4-compatible, except :: and ::1 (unspecified and loopback, listed as such).
  if (zeros(0, 12) && !(zeros(12, 15) && b[15] <= 1)) return ipv4(12);
  if (
    b[0] === 0x00 &&
    b[1] === 0x64 &&
    b[2] === 0xff &&
    b[3] === 0x9b &&
    zeros(4, 12)
  )
    return ipv4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return ipv4(2);
  return null;
}

/**
 * What kind of address `address` is if fetching from it is refused without an admin's say-so
 * (e.g. "a loopback address"), or null for a public address. Anything that is not an IP address is
 * refused too: this is only ever asked about resolved addresses.
 */
export function internalAddressKind(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const ipv4 = embeddedIpv4(bare);
    if (ipv4) return internalAddressKind(ipv4);
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const range = blockLists.find(({ list }) => list.check(bare, type))?.kind;
  if (range) return range;
  // The host's own public addresses reach its services as loopback does.
  const own = Object.values(networkInterfaces()).some(addresses =>
    addresses?.some(a => a.address === bare)
  );
  return own ? 'an address of this host' : null;
}

/** Resolves a host name to every address it stands for. */
export type Resolve = (host: string) => Promise<string[]>;
const resolveWithDns: Resolve = async host =>
  (await lookup(host, { all: true, verbatim: true })).map(a => a.address);

/** What may be fetched: the hosts an admin allows although they are internal, and how names are resolved. */
export interface RepoAccess {
  /** Host names or addresses (ENVHUB_ALLOWED_REPO_HOSTS); an address allows every name that resolves to it. */
  allowedHosts?: string[];
  resolve?: Resolve;
  /** The caller's credential for a host (as credentialHost writes it), for private repositories. */
  credential?: (
    host: string
  ) => Promise<{ username: string; token: string } | null>;
}

let configuredAllowedHosts: string[] = [];

/** Sets the hosts allowed although internal (ENVHUB_ALLOWED_REPO_HOSTS), once at startup, for every git fetch. */
export function setAllowedRepoHosts(hosts: string[]): void {
  configuredAllowedHosts = [...hosts];
}

/** `access` with the configured allowed hosts and DNS filled in where it leaves them out. */
export function withDefaults(access: RepoAccess = {}): Required<RepoAccess> {
  return {
    allowedHosts: access.allowedHosts ?? configuredAllowedHosts,
    resolve: access.resolve ?? resolveWithDns,
    credential: access.credential ?? (async () => null)
  };
}

/** A host name or address the way the WHATWG URL parser writes it (lower case, IPv4 as a.b.c.d, IPv6 compressed, no brackets). */
function canonicalHost(host: string): string {
  const bare = host.trim().replace(/^\[|\]$/g, '');
  try {
    return new URL(
      `http://${isIP(bare) === 6 ? `[${bare}]` : bare}/`
    ).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return bare.toLowerCase();
  }
}

/**
 * Parses a repository address and refuses every form git would take as something other than an
 * http(s) fetch: remote helpers (`ext::`, `fd::`), scp-like `host:path`, local paths, other
 * schemes, credentials, whitespace and control characters (which the URL parser would drop).
 */
export function parseRepoUrl(repo: string): URL {
  const helper = repo.match(/^([A-Za-z0-9][A-Za-z0-9+.-]*)::/);
  if (helper) {
    throw new EnvhubError(
      400,
      'repo_scheme',
      `repository URLs must use http or https, not the git remote helper "${helper[1]}::"; give the repository as https://host/path`
    );
  }
  const scheme = repo.match(/^([A-Za-z][A-Za-z0-9+.-]*):\/\//);
  if (scheme && !/^https?$/i.test(scheme[1])) {
    throw new EnvhubError(
      400,
      'repo_scheme',
      `repository URLs must use http or https, not ${scheme[1].toLowerCase()}; give the repository as https://host/path`
    );
  }
  // eslint-disable-next-line no-control-regex
  if (repo.includes('://') && /[\s\x00-\x1f\x7f]/.test(repo)) {
    throw new EnvhubError(
      400,
      'invalid_repo',
      `the repository URL ${JSON.stringify(repo)} contains whitespace or a control character; give it as http(s)://host/path`
    );
  }
  if (!scheme && /^[^/]*:/.test(repo)) {
    throw new EnvhubError(
      400,
      'repo_scheme',
      `${JSON.stringify(repo)} is an scp-style ssh address (host:path); repository URLs must use http or https, e.g. https://host/path`
    );
  }
  if (!scheme) {
    throw new EnvhubError(
      400,
      'invalid_repo',
      `${JSON.stringify(repo)} is not a URL; give the repository as http(s)://host/path`
    );
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    throw new EnvhubError(
      400,
      'invalid_repo',
      `${JSON.stringify(repo)} is not a URL; give the repository as http(s)://host/path`
    );
  }
  if (url.username || url.password) {
    throw new EnvhubError(
      400,
      'repo_credentials',
      'repository URLs must not carry a user name or password'
    );
  }
  return url;
}

/** A host that passed the policy, with the addresses that were checked and that git must connect to. */
export interface CheckedHost {
  /** Host name or address as in the URL (lower case, without brackets). */
  host: string;
  port: number;
  /** The checked addresses of a host name; empty when the host is an IP address (nothing to resolve). */
  addresses: string[];
}

/** Why a host is refused: the address and what kind it is. */
export interface HostRefusal {
  host: string;
  address: string;
  kind: string;
}

/**
 * Resolves the host of `url` once and checks every address: each must be public, or listed in
 * `allowedHosts` (as must the name itself, for a name listed there). Throws `repo_host_unknown` if
 * the name does not resolve; returns a refusal (to word by the caller) or the checked host.
 */
export async function checkHost(
  url: URL,
  access: RepoAccess = {}
): Promise<CheckedHost | HostRefusal> {
  const { allowedHosts, resolve } = withDefaults(access);
  const allowed = new Set(allowedHosts.map(canonicalHost));
  const host = canonicalHost(url.hostname);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (isIP(host)) {
    const kind = allowed.has(host) ? null : internalAddressKind(host);
    return kind ? { host, address: host, kind } : { host, port, addresses: [] };
  }
  let addresses: string[];
  try {
    addresses = (await resolve(host)).map(canonicalHost);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    throw new EnvhubError(
      400,
      'repo_host_unknown',
      `the repository host "${host}" cannot be resolved; check the URL`
    );
  }
  if (!allowed.has(host)) {
    for (const address of addresses) {
      const kind = allowed.has(address) ? null : internalAddressKind(address);
      if (kind) return { host, address, kind };
    }
  }
  return { host, port, addresses };
}

export const isRefusal = (
  checked: CheckedHost | HostRefusal
): checked is HostRefusal => 'kind' in checked;

/** The error for a repository whose own host is refused. */
export function hostRefused(refusal: HostRefusal): EnvhubError {
  return new EnvhubError(
    403,
    'repo_host_refused',
    `the repository host "${refusal.host}" is a loopback, private or link-local address (${refusal.address}): ${refusal.kind}; ` +
      'an admin can allow it by adding it to ENVHUB_ALLOWED_REPO_HOSTS'
  );
}

/**
 * Checks that a repository URL may be fetched: http(s) only, no credentials in it, and no
 * loopback, private or link-local host unless `allowedHosts` names it (by name or address).
 * Redirects are checked where the repository is fetched (locateRepo in repoLocator.ts).
 */
export async function checkRepoUrl(
  repo: string,
  allowedHosts: string[],
  resolve?: Resolve
): Promise<URL> {
  const url = parseRepoUrl(repo);
  const checked = await checkHost(url, { allowedHosts, resolve });
  if (isRefusal(checked)) throw hostRefused(checked);
  return url;
}
