import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type Docker from 'dockerode';
import {
  applyFirewall,
  buildNetworkNames,
  ensureNetwork,
  type BuildNetworkNames
} from '../builds/buildNetwork.js';
import { EnvhubError } from '../errors.js';
import { log } from '../log.js';

/** The Docker network, bridge and firewall chain of one envhub's sessions without egress. */
export function visitorNetworkNames(namePrefix: string): BuildNetworkNames {
  const build = buildNetworkNames(namePrefix);
  return {
    network: `${namePrefix}-visitors`,
    bridge: build.bridge.replace(/-build0$/, '-visit0'),
    chain: build.chain.replace(/^ENVHUB-BUILD-/, 'ENVHUB-VISIT-')
  };
}

/**
 * The rules of the visitors' chain, entered for packets from their bridge: answers on connections
 * made to them (the proxy's), and new connections to the Hub's API alone (the server reports to
 * it), nothing else: no Internet, no host service, no other container.
 */
export function visitorRules(hub: {
  address: string;
  port: number;
}): string[][] {
  return [
    ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    [
      '-d',
      hub.address,
      '-p',
      'tcp',
      '--dport',
      String(hub.port),
      '-m',
      'comment',
      '--comment',
      'envhub: the Hub API',
      '-j',
      'ACCEPT'
    ],
    ['-j', 'DROP']
  ];
}

/**
 * Creates (or checks) the network of public sessions without egress and its host firewall; returns
 * the network's name. A failure refuses every session start until the service restarts, rather than
 * starting sessions that could reach out.
 */
export async function prepareVisitorNetwork(
  docker: Docker,
  settings: { namePrefix: string; hubApiUrl: string }
): Promise<string> {
  const names = visitorNetworkNames(settings.namePrefix);
  try {
    const url = new URL(settings.hubApiUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const address = isIP(host)
      ? host
      : (await lookup(host, { family: 4 })).address;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    await ensureNetwork(docker, names, {
      'org.envhub.visitor-network': settings.namePrefix
    });
    await applyFirewall(
      'iptables',
      names,
      visitorRules({ address, port }),
      'DOCKER-USER'
    );
    if (existsSync('/proc/net/if_inet6'))
      await applyFirewall('ip6tables', names, [['-j', 'DROP']], 'FORWARD');
    log.info('sessions.network_ready', {
      network: names.network,
      hub: `${address}:${port}`
    });
    return names.network;
  } catch (err) {
    throw new EnvhubError(
      503,
      'session_isolation_unavailable',
      `public sessions are refused: this hub runs them without network egress, but their network could not be set up (${(err as Error).message.trim()}); run the service as root on the Docker host, then restart it`
    );
  }
}
