import {
  buildNetworkNames,
  connectedSubnets,
  firewallRules,
  REFUSED_RANGES
} from '../../src/builds/buildNetwork.js';

describe('build network names', () => {
  test('a short plain prefix is kept; others are shortened with a hash, within the kernel and iptables limits', () => {
    expect(buildNetworkNames('envhub')).toEqual({
      network: 'envhub-build',
      bridge: 'envhub-build0',
      chain: 'ENVHUB-BUILD-envhub'
    });
    const names = [
      'envhubtest',
      'envhubtest2',
      'envhub.ci',
      'x/y z',
      'Envhub',
      'a-very-long-prefix-for-a-site'
    ].map(buildNetworkNames);
    for (const { bridge, chain } of names) {
      expect(bridge).toMatch(/^[a-z0-9]{1,8}-build0$/);
      expect(bridge.length).toBeLessThanOrEqual(15);
      expect(chain.length).toBeLessThanOrEqual(28);
    }
    expect(new Set(names.map(n => n.bridge)).size).toBe(names.length);
    expect(buildNetworkNames('envhubtest').network).toBe('envhubtest-build');
  });
});

describe('firewall rules', () => {
  const rules = firewallRules(
    [
      {
        address: '192.0.2.10',
        protocol: 'tcp',
        port: 3141,
        why: 'envhub mirror devpi'
      },
      {
        address: '10.255.255.53',
        protocol: 'udp',
        port: 53,
        why: 'envhub: DNS'
      }
    ],
    ['192.0.2.0/24', '172.17.0.0/16']
  ).map(rule => rule.join(' '));

  test('mirrors and DNS are accepted first, then the host and every internal range is dropped', () => {
    expect(rules.slice(0, 3)).toEqual([
      '-d 192.0.2.10 -p tcp --dport 3141 -m comment --comment envhub mirror devpi -j ACCEPT',
      '-d 10.255.255.53 -p udp --dport 53 -m comment --comment envhub: DNS -j ACCEPT',
      '-m addrtype --dst-type LOCAL,BROADCAST,MULTICAST -j DROP'
    ]);
    expect(rules.slice(3)).toEqual(
      [...REFUSED_RANGES, '192.0.2.0/24', '172.17.0.0/16'].map(
        range => `-d ${range} -j DROP`
      )
    );
    expect(REFUSED_RANGES).toEqual(
      expect.arrayContaining([
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        '100.64.0.0/10',
        '127.0.0.0/8',
        '169.254.0.0/16',
        '224.0.0.0/4'
      ])
    );
    // Public addresses (the package registries) fall through to Docker's NAT.
    expect(rules.every(rule => !rule.includes('0.0.0.0/0'))).toBe(true);
  });
});

test('connected subnets come from the routing table: routes without a gateway, down bridges included', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'eth1\t0000000A\t0100000A\t0003\t0\t0\t0\t000000FF\t0\t0\t0',
    ''
  ].join('\n');
  expect(connectedSubnets(table)).toEqual(['172.17.0.0/16', '192.0.2.0/24']);
});
