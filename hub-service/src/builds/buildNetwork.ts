import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { EnvhubError } from '../errors.js';
import { log } from '../log.js';

const exec = promisify(execFile);

/**
 * Destinations a build must never reach through Docker's NAT: "this" network, private (RFC 1918),
 * CGNAT, loopback, link-local (cloud metadata), multicast and reserved ranges. The host's directly
 * connected subnets are added at runtime.
 */
export const REFUSED_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4'
];

/** Docker names, the bridge interface and the firewall chain of one envhub's build network. */
export interface BuildNetworkNames {
  network: string;
  /** ≤ 15 characters (the kernel's limit for interface names). */
  bridge: string;
  /** ≤ 28 characters (iptables' limit for chain names). */
  chain: string;
}

export function buildNetworkNames(namePrefix: string): BuildNetworkNames {
  // Interface and chain names are short and plain: keep a short prefix as it is, else shorten it
  // with a hash so that two prefixes never share a bridge.
  const plain = namePrefix.toLowerCase().replace(/[^a-z0-9]/g, '');
  const short =
    plain === namePrefix && plain.length <= 8
      ? plain
      : plain.slice(0, 3) +
        createHash('sha256').update(namePrefix).digest('hex').slice(0, 5);
  return {
    network: `${namePrefix}-build`,
    bridge: `${short}-build0`,
    chain: `ENVHUB-BUILD-${short}`
  };
}

/** Where builds may connect although the address is refused otherwise. */
export interface Exception {
  address: string;
  protocol: 'tcp' | 'udp';
  port: number;
  why: string;
}

/**
 * The rules of the build chain, as iptables arguments after `-A <chain>`. The chain is entered for
 * packets from the build bridge, from INPUT (to the host) and from DOCKER-USER (forwarded).
 */
export function firewallRules(
  exceptions: Exception[],
  connectedSubnets: string[]
): string[][] {
  return [
    ...exceptions.map(e => [
      '-d',
      e.address,
      '-p',
      e.protocol,
      '--dport',
      String(e.port),
      '-m',
      'comment',
      '--comment',
      e.why,
      '-j',
      'ACCEPT'
    ]),
    // Any address of the host (every interface, the bridge's gateway, broadcasts): no Hub, proxy,
    // service or Docker API, whichever address a build tries.
    ['-m', 'addrtype', '--dst-type', 'LOCAL,BROADCAST,MULTICAST', '-j', 'DROP'],
    ...[...REFUSED_RANGES, ...connectedSubnets].map(range => [
      '-d',
      range,
      '-j',
      'DROP'
    ])
  ];
}

/** What the build network lets through besides the public Internet. */
export interface BuildNetworkSettings {
  namePrefix: string;
  /** URLs of package mirrors (pip index, apt mirror): their addresses are reachable from builds. */
  mirrors: string[];
}

/**
 * Creates (or checks) the Docker network builds run in, and the host firewall that keeps them off
 * the host and private addresses. Returns the network's name; throws EnvhubError when isolation
 * cannot be set up, and then the caller must not build.
 */
export async function prepareBuildNetwork(
  docker: Docker,
  settings: BuildNetworkSettings
): Promise<string> {
  const names = buildNetworkNames(settings.namePrefix);
  try {
    await ensureNetwork(docker, names, {
      'org.envhub.build-network': settings.namePrefix
    });
    const exceptions = [
      ...(await mirrorExceptions(settings.mirrors)),
      ...(await resolverExceptions())
    ];
    const subnets = connectedSubnets(await readFile('/proc/net/route', 'utf8'));
    await applyFirewall(
      'iptables',
      names,
      firewallRules(exceptions, subnets),
      'DOCKER-USER'
    );
    // The network has no IPv6, and containers have it disabled; refuse it anyway should that change.
    if (existsSync('/proc/net/if_inet6'))
      await applyFirewall('ip6tables', names, [['-j', 'DROP']], 'FORWARD');
    log.info('builds.network_ready', {
      network: names.network,
      bridge: names.bridge,
      chain: names.chain,
      exceptions: exceptions.map(e => `${e.address}:${e.port}/${e.protocol}`),
      connectedSubnets: subnets
    });
    return names.network;
  } catch (err) {
    if (err instanceof EnvhubError) throw err;
    throw unprotected(
      `setting up its firewall failed (${(err as Error).message.trim()})`,
      'run the service as root on the Docker host, where the iptables command dockerd uses is installed'
    );
  }
}

/** Every build is refused with this until the service is restarted with the cause fixed. */
function unprotected(reason: string, fix: string): EnvhubError {
  return new EnvhubError(
    503,
    'build_isolation_unavailable',
    `envhub refuses to build: builds must run in a network that cannot reach the host, but ${reason}. To fix it, ${fix}, then restart the service.`
  );
}

/** Creates the bridge network `names.network` (containers on it never talk to each other), or checks it. */
export async function ensureNetwork(
  docker: Docker,
  names: BuildNetworkNames,
  label: Record<string, string>
): Promise<void> {
  const options = {
    'com.docker.network.bridge.name': names.bridge,
    // Builds (and visitors) never talk to each other.
    'com.docker.network.bridge.enable_icc': 'false'
  };
  const existing = await docker
    .getNetwork(names.network)
    .inspect()
    .catch((err: { statusCode?: number }) =>
      err.statusCode === 404 ? null : Promise.reject(err)
    );
  if (existing) {
    const actual =
      (existing as { Options?: Record<string, string> }).Options ?? {};
    if (Object.entries(options).every(([key, value]) => actual[key] === value))
      return;
    log.warn('builds.network_recreated', {
      network: names.network,
      options: actual
    });
    await docker.getNetwork(names.network).remove();
  }
  try {
    await docker.createNetwork({
      Name: names.network,
      Driver: 'bridge',
      CheckDuplicate: true,
      Options: options,
      Labels: label
    });
  } catch (err) {
    // Another process of this hub (or a test) made it meanwhile.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

/** ACCEPT exceptions for the configured mirrors, resolved once: a build cannot steer them elsewhere. */
async function mirrorExceptions(mirrors: string[]): Promise<Exception[]> {
  const exceptions: Exception[] = [];
  for (const mirror of mirrors) {
    const url = new URL(mirror);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    let addresses: string[];
    try {
      addresses = isIP(host)
        ? [host]
        : (await lookup(host, { all: true, family: 4 })).map(a => a.address);
    } catch (err) {
      throw unprotected(
        `the mirror ${url.host} does not resolve (${(err as Error).message})`,
        "correct ENVHUB_PIP_INDEX_URL / ENVHUB_APT_MIRROR or the host's DNS"
      );
    }
    for (const address of addresses) {
      if (isIP(address) !== 4)
        throw unprotected(
          `the mirror ${url.host} has the IPv6 address ${address}, and builds have IPv4 only`,
          'give the mirror an IPv4 address'
        );
      if (address.startsWith('127.'))
        throw unprotected(
          `the mirror ${url.host} is on the host's loopback (${address}), which builds cannot reach`,
          "name the mirror by an address of one of the host's network interfaces"
        );
      exceptions.push({
        address,
        protocol: 'tcp',
        port,
        why: `envhub mirror ${url.host}`
      });
    }
  }
  return exceptions;
}

/**
 * The host's DNS resolvers on port 53: Docker's embedded DNS (127.0.0.11 in each container)
 * forwards queries from the container's own network namespace, so they cross the bridge like any
 * packet. Loopback resolvers are reached from the host's namespace and need no exception.
 */
async function resolverExceptions(): Promise<Exception[]> {
  const read = (path: string) =>
    readFile(path, 'utf8').then(
      text => [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map(m => m[1]),
      () => [] as string[]
    );
  let servers = await read('/etc/resolv.conf');
  // Docker reads systemd-resolved's upstream list when /etc/resolv.conf names only its stub.
  if (servers.every(s => s.startsWith('127.')))
    servers = await read('/run/systemd/resolve/resolv.conf');
  return servers
    .filter(s => isIP(s) === 4 && !s.startsWith('127.'))
    .flatMap(address =>
      (['udp', 'tcp'] as const).map(protocol => ({
        address,
        protocol,
        port: 53,
        why: 'envhub: DNS through Docker'
      }))
    );
}

/**
 * The IPv4 subnets the host is directly attached to (its LAN, Docker's bridges, down or up), from
 * the kernel's routing table (`/proc/net/route`): routes without a gateway.
 */
export function connectedSubnets(routeTable: string): string[] {
  const octets = (hex: string) =>
    (parseInt(hex, 16) >>> 0)
      .toString(16)
      .padStart(8, '0')
      .match(/../g)!
      .reverse()
      .map(h => parseInt(h, 16));
  const subnets = new Set<string>();
  for (const line of routeTable.trim().split('\n').slice(1)) {
    const [, destination, gateway, , , , , mask] = line.trim().split(/\s+/);
    if (!mask || gateway !== '00000000' || destination === '00000000') continue;
    const bits = octets(mask).reduce(
      (n, o) => n + o.toString(2).replace(/0/g, '').length,
      0
    );
    subnets.add(`${octets(destination).join('.')}/${bits}`);
  }
  return [...subnets];
}

/** Fills the chain (atomically, so that restarts never duplicate rules) and jumps to it for the bridge's packets. */
export async function applyFirewall(
  command: 'iptables' | 'ip6tables',
  names: BuildNetworkNames,
  rules: string[][],
  forwardChain: string
): Promise<void> {
  const { stdout: version } = await exec(command, ['--version']);
  // Docker (20.10) runs `iptables` from PATH; its chains show which backend (nf_tables or legacy)
  // that is. Rules in the other backend would be silently ignored for Docker's traffic.
  if (forwardChain === 'DOCKER-USER') {
    await exec(command, ['-w', '-S', 'DOCKER-USER']).catch(() => {
      throw unprotected(
        `Docker's DOCKER-USER chain is missing from ${version.trim()}, so dockerd manages another iptables backend`,
        'point `iptables` at the backend dockerd uses (update-alternatives --config iptables) and restart dockerd'
      );
    });
  }
  const quote = (arg: string) =>
    /^[\w.,:/-]+$/.test(arg) ? arg : `"${arg.replace(/["\\]/g, '\\$&')}"`;
  const table = [
    '*filter',
    `:${names.chain} - [0:0]`,
    ...rules.map(rule => ['-A', names.chain, ...rule].map(quote).join(' ')),
    'COMMIT',
    ''
  ].join('\n');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(`${command}-restore`, ['-w', '--noflush'], {
      stdio: ['pipe', 'ignore', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('error', reject);
    child.on('close', code =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${command}-restore: ${stderr.trim() || `exit code ${code}`}`
            )
          )
    );
    child.stdin.end(table);
  });
  for (const parent of ['INPUT', forwardChain]) {
    const jump = [parent, '-i', names.bridge, '-j', names.chain];
    await exec(command, ['-w', '-C', ...jump]).catch(() =>
      exec(command, ['-w', '-I', ...jump.slice(0, 1), '1', ...jump.slice(1)])
    );
  }
}
