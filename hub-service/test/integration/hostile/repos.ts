import { networkInterfaces } from 'node:os';
import {
  buildPath,
  f,
  fixtureQuery,
  query,
  stream,
  type HostileCase
} from './table.js';

/**
 * A launch of `repo` into the fixture server's name: whatever the service lets through ends in a
 * 409 ("runs another environment") at worst, never in a fetch or a build.
 */
const launchRepo =
  (repo: () => string, ref = 'main') =>
  () =>
    stream(buildPath(repo(), ref, fixtureQuery()));
const linkRepo = (repo: () => string) => () => ({
  path: `v2/git/${encodeURIComponent(repo())}/main?${fixtureQuery()}`
});

const REPO_REFUSED =
  /http|scheme|URL|repo|user name|password|credential|address|host/i;

/** Repository "URLs" that git would take as options, remote helpers, local paths or other transports. */
const notHttp: Array<[string, string]> = [
  ['an --upload-pack option', '--upload-pack=touch /tmp/envhub-hostile'],
  ['a -u option', '-u touch /tmp/envhub-hostile'],
  ['a --config option', '--config=core.sshCommand=touch /tmp/envhub-hostile'],
  ['a -c option', '-cprotocol.ext.allow=always'],
  [
    'an option after the URL',
    'http://127.0.0.1/x.git --upload-pack=touch /tmp/envhub-hostile'
  ],
  [
    'an option after a newline',
    'http://127.0.0.1/x.git\n--upload-pack=touch /tmp/envhub-hostile'
  ],
  ['the ext:: remote helper', 'ext::sh -c touch% /tmp/envhub-hostile'],
  ['the fd:: remote helper', 'fd::17'],
  ['a file:// URL', 'file:///etc'],
  ['a file:// URL with a host', 'file://localhost/etc'],
  ['FILE:// in capitals', 'FILE:///etc'],
  ['an absolute path', '/etc'],
  ['a relative path', '../../../../etc'],
  ['a home path', '~/repo'],
  ['an ssh:// URL', 'ssh://git@127.0.0.1/x.git'],
  ['a git:// URL', 'git://127.0.0.1/x.git'],
  ['a git+ssh:// URL', 'git+ssh://127.0.0.1/x.git'],
  ['an scp-like address with a user', 'git@127.0.0.1:x.git'],
  ['an scp-like address without a user', '127.0.0.1:/etc'],
  ['an ftp:// URL', 'ftp://127.0.0.1/x.git'],
  ['a data: URL', 'data:text/plain,x'],
  ['a javascript: URL', 'javascript:alert(1)//x.git'],
  ['a URL with a user and password', 'http://user:secret@127.0.0.1/x.git'],
  ['a URL with a user', 'http://user@127.0.0.1/x.git'],
  ['a URL with an empty user and password', 'http://:@127.0.0.1/x.git'],
  [
    'an allowed host as user name of a refused host',
    'http://127.0.0.1@127.0.0.2/x.git'
  ],
  [
    'an allowed host and port as credentials of a refused host',
    'http://127.0.0.1:80@127.0.0.2/x.git'
  ],
  [
    'a repository URL of 10 000 characters',
    `http://127.0.0.1/${'a'.repeat(10_000)}.git`
  ]
];

/** Spellings the URL parser turns into a refused address (the canary listens where they lead). */
const parserTricks: Array<[string, (port: number) => string]> = [
  ['one slash after the scheme', port => `http:/127.0.0.2:${port}/x.git`],
  ['backslashes', port => `http:\\\\127.0.0.2:${port}\\x.git`],
  ['no slashes after https:', port => `https:127.0.0.2:${port}/x.git`],
  ['the scheme in capitals', port => `HTTP://127.0.0.2:${port}/x.git`],
  ['a tab inside the host', port => `http://127.0.0\t.2:${port}/x.git`],
  ['a percent-escaped host', port => `http://%31%32%37.0.0.2:${port}/x.git`],
  [
    'full-width digits',
    port => `http://\uff11\uff12\uff17.\uff10.\uff10.\uff12:${port}/x.git`
  ],
  [
    'ideographic full stops',
    port => `http://127\u30020\u30020\u30022:${port}/x.git`
  ],
  [
    'a fragment hiding the real host',
    port => `http://127.0.0.2:${port}#@127.0.0.1/x.git`
  ]
];

/** Addresses that are not the allowed 127.0.0.1 and localhost, spelled every way URL parsers accept. */
const addresses: Array<[string, string]> = [
  // Loopback other than 127.0.0.1
  ['127.0.0.2', '127.0.0.2'],
  ['127.255.255.254', '127.255.255.254'],
  ['decimal 2130706434 (127.0.0.2)', '2130706434'],
  ['hex 0x7f000002', '0x7f000002'],
  ['dotted hex 0x7f.0x0.0x0.0x2', '0x7f.0x0.0x0.0x2'],
  ['octal 0177.0.0.2', '0177.0.0.2'],
  ['padded octal 00000177.0.0.02', '00000177.0.0.02'],
  ['whole octal 017700000002', '017700000002'],
  ['short 127.2', '127.2'],
  ['short 127.0.2', '127.0.2'],
  ['short hex 0x7f.2', '0x7f.2'],
  ['a trailing dot 127.0.0.2.', '127.0.0.2.'],
  ['[::1]', '[::1]'],
  ['[0:0:0:0:0:0:0:1]', '[0:0:0:0:0:0:0:1]'],
  ['IPv4-mapped [::ffff:127.0.0.2]', '[::ffff:127.0.0.2]'],
  ['IPv4-mapped hex [::ffff:7f00:2]', '[::ffff:7f00:2]'],
  ['IPv4-mapped long [0:0:0:0:0:ffff:7f00:2]', '[0:0:0:0:0:ffff:7f00:2]'],
  ['IPv4-compatible [::127.0.0.2]', '[::127.0.0.2]'],
  ['IPv4-translated [::ffff:0:127.0.0.2]', '[::ffff:0:127.0.0.2]'],
  ['NAT64 [64:ff9b::127.0.0.2]', '[64:ff9b::127.0.0.2]'],
  ['6to4 [2002:7f00:2::]', '[2002:7f00:2::]'],
  // Unspecified (connects to this host)
  ['0.0.0.0', '0.0.0.0'],
  ['0', '0'],
  ['0x0', '0x0'],
  ['00.0.0.0', '00.0.0.0'],
  ['[::]', '[::]'],
  ['[0:0:0:0:0:0:0:0]', '[0:0:0:0:0:0:0:0]'],
  ['[::ffff:0.0.0.0]', '[::ffff:0.0.0.0]'],
  // Private
  ['10.0.0.1', '10.0.0.1'],
  ['short 10.1', '10.1'],
  ['decimal 167772161 (10.0.0.1)', '167772161'],
  ['hex 0x0a000001', '0x0a000001'],
  ['octal 012.0.0.1', '012.0.0.1'],
  ['172.16.0.1', '172.16.0.1'],
  ['172.31.255.254', '172.31.255.254'],
  // A container's address (the bridge's gateway is allowed on the test hub, for course materials).
  ['a container on the Docker bridge 172.17.0.2', '172.17.0.2'],
  ['192.168.0.1', '192.168.0.1'],
  ['short 192.168.1', '192.168.1'],
  ['decimal 3232235521 (192.168.0.1)', '3232235521'],
  ['hex 0xc0a80001', '0xc0a80001'],
  ['carrier-grade NAT 100.64.0.1', '100.64.0.1'],
  ['unique local [fc00::1]', '[fc00::1]'],
  ['unique local [fd12:3456::1]', '[fd12:3456::1]'],
  ['site-local [fec0::1]', '[fec0::1]'],
  ['IPv4-mapped [::ffff:10.0.0.1]', '[::ffff:10.0.0.1]'],
  ['IPv4-mapped hex [::ffff:c0a8:1]', '[::ffff:c0a8:1]'],
  ['NAT64 [64:ff9b::10.0.0.1]', '[64:ff9b::10.0.0.1]'],
  ['6to4 [2002:a00:1::]', '[2002:a00:1::]'],
  // Link-local and cloud metadata
  ['169.254.169.254', '169.254.169.254'],
  ['decimal 2852039166 (169.254.169.254)', '2852039166'],
  ['hex 0xa9fea9fe', '0xa9fea9fe'],
  ['octal 0251.0376.0251.0376', '0251.0376.0251.0376'],
  ['short 169.254.43518', '169.254.43518'],
  ['IPv4-mapped [::ffff:169.254.169.254]', '[::ffff:169.254.169.254]'],
  ['link-local [fe80::1]', '[fe80::1]'],
  ['link-local [fe80::a9fe:a9fe]', '[fe80::a9fe:a9fe]'],
  ['metadata IPv6 [fd00:ec2::254]', '[fd00:ec2::254]'],
  // Multicast, broadcast, reserved
  ['multicast 224.0.0.1', '224.0.0.1'],
  ['broadcast 255.255.255.255', '255.255.255.255'],
  ['reserved 240.0.0.1', '240.0.0.1'],
  ['benchmarking 198.18.0.1', '198.18.0.1'],
  ['multicast [ff02::1]', '[ff02::1]']
];

/** This host's IPv4 addresses other than loopback and the private ranges listed above. */
function ownAddresses(): string[] {
  const privateRange = /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|127\.)/;
  return Object.values(networkInterfaces())
    .flat()
    .flatMap(a =>
      a && a.family === 'IPv4' && !privateRange.test(a.address)
        ? [a.address]
        : []
    );
}

const HOST_REFUSED =
  /refus|not allowed|loopback|private|link-local|unspecified|reserved|multicast|address|ENVHUB_ALLOWED_REPO_HOSTS/i;

/** The allowed git server answers with a redirect to a refused address: the launch is refused and the target never contacted. */
const redirects: Array<[string, (port: number) => string, RegExp, number?]> = [
  [
    '302 to 127.0.0.2',
    port => `http://127.0.0.2:${port}/x.git`,
    /127\.0\.0\.2/
  ],
  ['301 to [::1]', port => `http://[::1]:${port}/x.git`, /::1/, 301],
  [
    '307 to decimal 2130706434',
    port => `http://2130706434:${port}/x.git`,
    /127\.0\.0\.2|2130706434/,
    307
  ],
  ['308 to 0.0.0.0', port => `http://0.0.0.0:${port}/x.git`, /0\.0\.0\.0/, 308],
  [
    '303 to IPv4-mapped [::ffff:127.0.0.2]',
    port => `http://[::ffff:127.0.0.2]:${port}/x.git`,
    /127\.0\.0\.2|7f00:2/,
    303
  ],
  ['302 to 10.0.0.1', () => 'http://10.0.0.1/x.git', /10\.0\.0\.1/],
  [
    '302 to 169.254.169.254',
    () => 'http://169.254.169.254/latest/meta-data',
    /169\.254\.169\.254/
  ],
  ['302 to file:///etc', () => 'file:///etc', /file|scheme|http/],
  ['302 to ftp://', () => 'ftp://127.0.0.1/x.git', /ftp|scheme|http/],
  [
    '302 to an allowed host with credentials',
    () => `${f.gitBase.replace('://', '://user:secret@')}/no-such.git`,
    /user name|password|credential/
  ]
];

const redirectCases: HostileCase[] = [
  ...redirects.map(([name, target, message, status], i): HostileCase => ({
    name: `redirect from the allowed host: ${name}`,
    request: () =>
      stream(
        buildPath(
          f.redirector.redirect(`r${i}`, target(f.canary.port), status),
          'main',
          query(['name', `redirect-${i}`])
        )
      ),
    expect: { status: [400, 403], message, orFailedEvent: true }
  })),
  {
    name: 'redirect from the allowed host: two hops, the second to 127.0.0.2',
    request: () => {
      const second = f.redirector.redirect(
        'hop2',
        `http://127.0.0.2:${f.canary.port}/x.git`
      );
      return stream(
        buildPath(
          f.redirector.redirect('hop1', second),
          'main',
          query(['name', 'redirect-hops'])
        )
      );
    },
    expect: { status: [400, 403], message: /127\.0\.0\.2/, orFailedEvent: true }
  },
  {
    name: 'redirect from the allowed host: a loop',
    request: () => {
      const loop = f.redirector.redirect('loop', '');
      f.redirector.redirect('loop', loop);
      return stream(buildPath(loop, 'main', query(['name', 'redirect-loop'])));
    },
    expect: {
      status: [400, 403, 502],
      message: /redirect/,
      orFailedEvent: true
    }
  }
];

/** Refs that git would take as options: refused before git runs. */
const optionRefs: Array<[string, string]> = [
  ['--upload-pack=…', '--upload-pack=touch /tmp/envhub-hostile'],
  ['-c…', '-cprotocol.ext.allow=always'],
  ['--output=…', '--output=/tmp/envhub-hostile'],
  ['-h', '-h'],
  ['"--"', '--'],
  ['"-"', '-'],
  ['an option after a space', 'main --upload-pack=touch /tmp/envhub-hostile'],
  [
    'an option after a newline',
    'main\n--upload-pack=touch /tmp/envhub-hostile'
  ],
  ['an option after a tab', 'main\t--upload-pack=x']
];

/** Refs with shell or git syntax: refused, or looked up as plain names and not found. */
const oddRefs: Array<[string, string]> = [
  ['$(id)', '$(id)'],
  ['backticks', '`id`'],
  ['a semicolon', 'main;id'],
  ['a pipe', 'main|id'],
  ['"..', 'main/../../x'],
  ['@{-1}', '@{-1}'],
  ['a refspec', 'main:refs/heads/x']
];

const refCases: HostileCase[] = [
  ...optionRefs.map(([name, ref]): HostileCase => ({
    name: `git option in the ref: ${name}`,
    request: () =>
      stream(buildPath(f.repo, encodeURIComponent(ref), fixtureQuery())),
    expect: { status: [400], message: /ref/ }
  })),
  ...oddRefs.map(([name, ref], i): HostileCase => ({
    name: `shell or git syntax in the ref: ${name}`,
    request: () =>
      stream(
        buildPath(
          f.repo,
          encodeURIComponent(ref),
          query(['name', `odd-ref-${i}`])
        )
      ),
    expect: {
      status: [400, 404],
      message: /ref|branch or tag/,
      orFailedEvent: true
    }
  }))
];

export const repoCases: HostileCase[] = [
  ...notHttp.map(([name, repo]): HostileCase => ({
    name: `repository: ${name}`,
    request: launchRepo(() => repo),
    expect: { status: [400, 403], message: REPO_REFUSED }
  })),
  ...parserTricks.map(([name, repo]): HostileCase => ({
    name: `repository host spelled with ${name}`,
    request: launchRepo(() => repo(f.canary.port)),
    expect: { status: [400, 403], message: REPO_REFUSED }
  })),
  ...addresses.map(([name, host]): HostileCase => ({
    name: `repository host: ${name}`,
    request: launchRepo(() => `http://${host}:${f.canary.port}/x.git`),
    expect: { status: [400, 403], message: HOST_REFUSED }
  })),
  ...addresses
    .filter((_, i) => i % 6 === 0)
    .map(([name, host]): HostileCase => ({
      name: `repository host in a /v2/ link: ${name}`,
      request: linkRepo(() => `http://${host}:${f.canary.port}/x.git`),
      expect: { status: [400, 403], message: HOST_REFUSED }
    })),
  // Where this host has an address outside the ranges above (e.g. a documentation or public range), a repository there reaches its services too.
  ...ownAddresses().map((address): HostileCase => ({
    name: `repository host: this host's own address ${address}`,
    request: launchRepo(() => `http://${address}:${f.canary.port}/x.git`),
    expect: { status: [400, 403], message: HOST_REFUSED }
  })),
  // A repository the service cannot reach is a client-visible answer naming it, never a 500.
  {
    name: 'a repository on an allowed host that refuses connections',
    request: () =>
      stream(
        buildPath(
          'http://127.0.0.1:1/x.git',
          'main',
          query(['name', 'unreachable'])
        )
      ),
    expect: {
      status: [400, 404, 502],
      message: /reach|connect|refused|repository/,
      orFailedEvent: true
    }
  },
  {
    name: 'a /v2/ link to a repository on an allowed host that refuses connections',
    request: () => ({
      path: `v2/git/${encodeURIComponent('http://127.0.0.1:1/x.git')}/main?name=unreachable`
    }),
    expect: {
      status: [400, 404, 502],
      message: /reach|connect|refused|repository/
    }
  },
  {
    name: 'a repository the allowed git server does not have',
    request: () =>
      stream(
        buildPath(
          `${f.gitBase}/no-such.git`,
          'main',
          query(['name', 'no-such'])
        )
      ),
    expect: {
      status: [400, 404, 502],
      message: /repository|not found|exist|no-such/,
      orFailedEvent: true
    }
  },
  ...redirectCases,
  ...refCases
];
