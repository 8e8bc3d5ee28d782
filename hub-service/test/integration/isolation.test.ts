import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { seccompProblem } from '../../src/images/daemonSecurity.js';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { LABELS } from '../../src/images/imageCache.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import { baseImage, buildRepo, testBuilder } from '../support/builds.js';
import { demultiplex } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import { hubUrl } from '../support/hubSession.js';

// What hostile code gets on this hub: a build's steps and (later in this file) a spawned server.
jest.setTimeout(600_000);

const docker = new Docker();

/** The ports of the hub under test (envhub/hub.py): proxy, proxy API, Hub, envhub service. */
const hubPort = Number(new URL(hubUrl).port);
const ports = {
  proxy: hubPort,
  proxyApi: hubPort + 1,
  hub: hubPort + 2,
  service: hubPort + 3
};

/** Every IPv4 address of the host but loopback (its network interface, docker0, other bridges). */
function hostAddresses(): string[] {
  const out = execFileSync('ip', ['-4', '-o', 'addr', 'show'], {
    encoding: 'utf8'
  });
  return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)]
    .map(m => m[1])
    .filter(a => !a.startsWith('127.'));
}

/** The host's default gateway (on its LAN). */
const routerAddress = () =>
  /default via (\S+)/.exec(
    execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' })
  )![1];

/** The host's DNS resolvers: builds reach them on port 53 only. */
const resolvers = () =>
  [
    ...readFileSync('/etc/resolv.conf', 'utf8').matchAll(
      /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/gm
    )
  ]
    .map(m => m[1])
    .filter(a => !a.startsWith('127.'));

/** Where the Hub listens for containers: ENVHUB_HUB_IP, by default docker0's address (deploy/serve.sh). */
const hubIp = () =>
  process.env.ENVHUB_HUB_IP ||
  /inet (\S+)\//.exec(
    execFileSync('ip', ['-4', '-o', 'addr', 'show', 'docker0'], {
      encoding: 'utf8'
    })
  )![1];

/**
 * Tries every way out that a build must not have and records each outcome in a JSON file (never
 * failing itself), with controls that must succeed: DNS, the package index, a socket of each
 * allowed kind. Also records the step's cgroup limits.
 */
const PROBE = `
import concurrent.futures, json, os, socket, sys

targets = json.load(open(sys.argv[1]))

def gateway():
    for line in open('/proc/net/route').read().splitlines()[1:]:
        fields = line.split()
        if fields[1] == '00000000':
            return socket.inet_ntoa(bytes.fromhex(fields[2])[::-1])

def outcome(attempt):
    try:
        return attempt()
    except OSError as e:
        return type(e).__name__

def tcp(host, port):
    def attempt():
        with socket.create_connection((host, port), timeout=3):
            return 'connected'
    return outcome(attempt)

def unix(path):
    def attempt():
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            return 'connected'
    return outcome(attempt)

def opens(*args):
    def attempt():
        socket.socket(*args).close()
        return 'opened'
    return outcome(attempt)

def read(path):
    try:
        return open(path).read().strip()
    except OSError:
        return None

gw = gateway()
tcp_targets = [(name, host, port) for name, host, port in targets['tcp']]
tcp_targets += [('build network gateway %s:%d' % (gw, port), gw, port) for port in targets['ports']]
with concurrent.futures.ThreadPoolExecutor(64) as pool:
    futures = {name: pool.submit(tcp, host, port) for name, host, port in tcp_targets}
    attempts = {name: f.result() for name, f in futures.items()}
for path in targets['unix']:
    attempts['unix socket ' + path] = unix(path)
attempts['raw socket AF_INET SOCK_RAW IPPROTO_ICMP'] = opens(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
attempts['packet socket AF_PACKET SOCK_RAW'] = opens(socket.AF_PACKET, socket.SOCK_RAW, 0x0300)

controls = {
    'dns pypi.org': outcome(lambda: socket.getaddrinfo('pypi.org', 443) and 'resolved'),
    'tcp pypi.org:443': tcp('pypi.org', 443),
    'AF_INET SOCK_STREAM': opens(socket.AF_INET, socket.SOCK_STREAM),
    'AF_INET SOCK_DGRAM': opens(socket.AF_INET, socket.SOCK_DGRAM),
    'AF_UNIX SOCK_STREAM': opens(socket.AF_UNIX, socket.SOCK_STREAM),
    'AF_NETLINK': opens(socket.AF_NETLINK, socket.SOCK_RAW, 0),
}

v1 = read('/sys/fs/cgroup/memory/memory.limit_in_bytes')
if v1:
    memory = int(v1)
    swap = int(read('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) - memory
    quota, period = int(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')), int(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'))
else:
    memory, swap = int(read('/sys/fs/cgroup/memory.max')), int(read('/sys/fs/cgroup/memory.swap.max'))
    quota, period = map(int, read('/sys/fs/cgroup/cpu.max').split())
limits = {'memory': memory, 'swap': swap, 'cpus': quota / period}

json.dump({'uid': os.getuid(), 'attempts': attempts, 'controls': controls, 'limits': limits}, open(sys.argv[2], 'w'), indent=1)
`;

type Outcomes = {
  uid: number;
  attempts: Record<string, string>;
  controls: Record<string, string>;
  limits: { memory: number; swap: number; cpus: number };
};

describe('builds', () => {
  const limits = { memory: 1536 * 1024 ** 2, cpus: 1.5 };
  const store = new Store(':memory:');
  const built: string[] = [];
  let git: GitServer;
  let listener: Server;
  let builder: ImageBuilder;
  let targets: {
    tcp: Array<[string, string, number]>;
    ports: number[];
    unix: string[];
  };

  beforeAll(async () => {
    setAllowedRepoHosts(['127.0.0.1']);
    git = await GitServer.start();
    // A service on every address of the host, as a careless one would listen.
    listener = createServer(socket => socket.end('hello\n'));
    await new Promise<void>(resolve => listener.listen(0, '0.0.0.0', resolve));
    builder = await testBuilder(docker, store, { limits });
    const gitPort = Number(new URL(git.url('x')).port);
    const listenerPort = (listener.address() as AddressInfo).port;
    const everyPort = [
      ports.proxy,
      ports.proxyApi,
      ports.hub,
      ports.service,
      2375,
      2376,
      gitPort,
      listenerPort
    ];
    targets = {
      tcp: [
        ['envhub service (docker0 gateway)', hubIp(), ports.service],
        ['proxy API 127.0.0.1', '127.0.0.1', ports.proxyApi],
        ['Hub (docker0 gateway)', hubIp(), ports.hub],
        ['loopback git server', '127.0.0.1', gitPort],
        ['Docker API tcp 127.0.0.1', '127.0.0.1', 2375],
        ["the host's router", routerAddress(), 80],
        ...resolvers().map(
          address =>
            [`DNS resolver ${address} (not DNS)`, address, 80] as [
              string,
              string,
              number
            ]
        ),
        ['cloud metadata', '169.254.169.254', 80],
        ...hostAddresses().flatMap(address =>
          everyPort.map(
            port =>
              [`host ${address}:${port}`, address, port] as [
                string,
                string,
                number
              ]
          )
        )
      ],
      ports: everyPort,
      unix: ['/var/run/docker.sock', '/run/docker.sock']
    };
  });

  afterAll(async () => {
    await git.stop();
    await new Promise(resolve => listener.close(resolve));
    for (const image of built)
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
  });

  async function build(repo: string, commit: string): Promise<string> {
    const { image, log, error } = await buildRepo(builder, git, repo, commit);
    if (error) throw new Error(`the build failed: ${error}\n${log}`);
    built.push(image);
    const environment = (await docker.getImage(image).inspect()).Config
      .Labels?.[LABELS.environmentImage];
    if (environment) built.push(environment);
    return image;
  }

  /** What the probe recorded in `image` at `path`, read by a throw-away container. */
  async function outcomes(image: string, path: string): Promise<Outcomes> {
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: ['cat'],
      Cmd: [path],
      NetworkDisabled: true
    });
    try {
      await container.start();
      await container.wait();
      return JSON.parse(
        demultiplex(
          (await container.logs({ stdout: true, stderr: true })) as Buffer
        )
      ) as Outcomes;
    } finally {
      await container.remove({ force: true });
    }
  }

  function expectIsolated(recorded: Outcomes): void {
    expect(Object.keys(recorded.attempts).length).toBeGreaterThan(20);
    const reached = Object.entries(recorded.attempts).filter(
      ([name, result]) =>
        !name.startsWith('raw') &&
        !name.startsWith('packet') &&
        (result === 'connected' || result === 'opened')
    );
    expect(reached).toEqual([]);
    // The probe can tell success from failure: the package index, DNS and ordinary sockets work.
    expect(recorded.controls).toEqual({
      'dns pypi.org': 'resolved',
      'tcp pypi.org:443': 'connected',
      'AF_INET SOCK_STREAM': 'opened',
      'AF_INET SOCK_DGRAM': 'opened',
      'AF_UNIX SOCK_STREAM': 'opened',
      AF_NETLINK: 'opened'
    });
    expect(recorded.limits).toEqual({
      memory: limits.memory,
      swap: 0,
      cpus: limits.cpus
    });
  }

  describe('a postBuild (as the notebook user)', () => {
    let image: string;
    let recorded: Outcomes;

    beforeAll(async () => {
      await git.commit('hostile-postbuild', {
        'requirements.txt': 'six==1.16.0\n', // the base image has another version: this one comes from the index
        'probe.py': PROBE,
        'targets.json': JSON.stringify(targets),
        postBuild:
          '#!/bin/bash\npython3 probe.py targets.json /home/jovyan/.isolation.json\n'
      });
      image = await build(
        'hostile-postbuild',
        await git.chmodExecutable('hostile-postbuild', ['postBuild'])
      );
      recorded = await outcomes(image, '/home/jovyan/.isolation.json');
    });

    test('reaches the package index, and nothing on the host: no service, proxy API, Hub, Docker API or loopback server', async () => {
      expect(recorded.uid).toBe(1000);
      expectIsolated(recorded);
      const container = await docker.createContainer({
        Image: image,
        Entrypoint: ['python', '-c', 'import six; print(six.__version__)'],
        NetworkDisabled: true
      });
      await container.start();
      await container.wait();
      expect(
        demultiplex(
          (await container.logs({ stdout: true, stderr: true })) as Buffer
        )
      ).toBe('1.16.0\n');
      await container.remove();
    });

    test('cannot open raw or packet sockets', () => {
      expect(
        recorded.attempts['raw socket AF_INET SOCK_RAW IPPROTO_ICMP']
      ).toBe('PermissionError');
      expect(recorded.attempts['packet socket AF_PACKET SOCK_RAW']).toBe(
        'PermissionError'
      );
    });
  });

  describe('a Dockerfile step running as root', () => {
    let recorded: Outcomes;

    beforeAll(async () => {
      const commit = await git.commit('hostile-dockerfile', {
        'probe.py': PROBE,
        'targets.json': JSON.stringify(targets),
        Dockerfile: `FROM ${baseImage}\nUSER root\nCOPY probe.py targets.json /tmp/\nRUN python3 /tmp/probe.py /tmp/targets.json /isolation.json\nUSER jovyan\n`
      });
      recorded = await outcomes(
        await build('hostile-dockerfile', commit),
        '/isolation.json'
      );
    });

    test('reaches nothing on the host either', () => {
      expect(recorded.uid).toBe(0);
      expectIsolated(recorded);
    });

    test("cannot open raw or packet sockets (dockerd runs with envhub's seccomp profile)", async () => {
      const problem = await seccompProblem(docker);
      if (problem)
        throw new Error(
          `this test needs dockerd running with envhub's seccomp profile: ${problem}`
        );
      expect(
        recorded.attempts['raw socket AF_INET SOCK_RAW IPPROTO_ICMP']
      ).toBe('PermissionError');
      expect(recorded.attempts['packet socket AF_PACKET SOCK_RAW']).toBe(
        'PermissionError'
      );
    });
  });
});
