import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { imageName } from '../../src/naming.js';
import { GitServer } from '../support/gitServer.js';
import { signInToEnvhub } from '../support/hubBrowser.js';
import { send, streamEvents, type Received } from '../support/http.js';
import {
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';
import {
  changes,
  describeChange,
  removeCreated,
  snapshot,
  type Snapshot,
  type Watched
} from '../support/leftovers.js';
import { Canary, Redirector } from '../support/listeners.js';
import { accessCases } from './hostile/access.js';
import { bodyCases } from './hostile/bodies.js';
import { launchCases } from './hostile/launches.js';
import { repoCases } from './hostile/repos.js';
import { requestCases } from './hostile/requests.js';
import {
  buildPath,
  f,
  fixtureQuery,
  type HostileCase,
  type HostileRequest,
  type Role
} from './hostile/table.js';

// The hostile-input corpus, against the real JupyterHub + envhub + Docker engine that deploy/test.sh
// starts: each row is one request, its safe answer, and a check that it left nothing behind.
jest.setTimeout(120_000);

const SERVICE_PREFIX = '/services/envhub/';
/** envhub's own address (the Hub's proxy forwards there): the Hub's address, port + 3 of the Hub's, as envhub.hub configures it. */
const serviceUrl =
  process.env.ENVHUB_TEST_SERVICE_URL ??
  `http://${process.env.ENVHUB_TEST_BRIDGE_IP ?? '127.0.0.1'}:${Number(new URL(hubUrl).port) + 3}`;
const baseImage = process.env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest';
const ANSWER_TIMEOUT_MS = 90_000;
const DOCKER_SECTIONS: Array<keyof Snapshot> = [
  'containers',
  'dockerVolumes',
  'images'
];

const cases: HostileCase[] = [
  ...bodyCases,
  ...requestCases,
  ...repoCases,
  ...launchCases,
  ...accessCases
];

const docker = new Docker();
let git: GitServer;
let fixtureImage: string;
let watched: Watched;
let initial: Snapshot;
let baseline: Snapshot;
let previous: Snapshot;
const failures: string[] = [];
/** Every case's answer, one tab-separated line each, written to ENVHUB_HOSTILE_REPORT if set. */
const answers: string[] = [];

const ok = (
  response: { status: number },
  what: string,
  ...expected: number[]
) => {
  if (!expected.includes(response.status))
    throw new Error(`${what} answered ${response.status}`);
};

/** The fixture volume's members: the collaborator read-only, the group read-write. */
const fixtureMembers = () => ({
  users: [{ name: f.collaborator, readOnly: true }],
  groups: [{ name: f.group, readOnly: false }]
});

/** The launch stream of the fixture server with its own spec (and `extra`), read to its end. */
async function launchFixture(extra = ''): Promise<string> {
  const { status, events } = await readEventStream(
    `${hubUrl}${SERVICE_PREFIX}${buildPath(f.repo, 'main', fixtureQuery() + extra)}`,
    f.tokens.owner
  );
  const last = events[events.length - 1];
  return `${status} ${last?.phase}: ${last?.message ?? ''}`.trim();
}

/** Puts the fixture back as the baseline has it, after a case changed it. */
async function restoreFixture(): Promise<void> {
  const problems = await removeCreated(watched, baseline, docker);
  const owner = { Authorization: `token ${f.tokens.owner}` };
  if (!(await snapshot(watched, docker)).volumes[f.volume]) {
    await send(hubUrl, `${SERVICE_PREFIX}api/volumes`, {
      method: 'POST',
      headers: owner,
      json: { name: f.volume }
    });
  }
  await send(hubUrl, `${SERVICE_PREFIX}api/volumes/${f.volume}/members`, {
    method: 'PUT',
    headers: owner,
    json: fixtureMembers()
  });
  // A launch of the fixture's spec with update=1 brings back its record, collaborators, shares and mounts, and starts it.
  const launched = await launchFixture('&update=1');
  if (!launched.startsWith('200 ready'))
    problems.push(`relaunching the fixture server: ${launched}`);
  if (problems.length > 0)
    console.warn(`restoring the fixture: ${problems.join('; ')}`);
}

function headersFor(role: Role): Record<string, string> {
  return role === 'anonymous'
    ? {}
    : { Authorization: `token ${f.tokens[role]}` };
}

function answer(request: HostileRequest): Promise<Received> {
  const base = request.via === 'service' ? serviceUrl : hubUrl;
  const path = request.path.startsWith('/')
    ? request.path
    : `${SERVICE_PREFIX}${request.path}`;
  const sent = send(base, path, {
    method: request.method,
    headers: { ...headersFor(request.as ?? 'owner'), ...request.headers },
    body: request.body,
    json: request.json,
    form: request.form
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)),
      ANSWER_TIMEOUT_MS
    );
  });
  return Promise.race([sent, timeout]).finally(() => clearTimeout(timer));
}

const isStream = (response: Received) =>
  String(response.headers['content-type'] ?? '').startsWith(
    'text/event-stream'
  );
const unescapeHtml = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** What the answer says: an error's message, an error page's heading, or how a launch stream ended. */
function messageOf(response: Received): string {
  if (typeof response.json?.message === 'string') return response.json.message;
  if (isStream(response)) {
    const events = streamEvents(response.text);
    const last = events[events.length - 1];
    return `launch stream ${events.map(e => e.phase).join(' → ')}${last?.message ? `: ${String(last.message).trim()}` : ''}`;
  }
  const heading = response.text.match(/<h1>([\s\S]*?)<\/h1>/);
  if (heading) return unescapeHtml(heading[1].trim());
  return response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

const short = (text: string, length = 300) =>
  text.length > length ? `${text.slice(0, length)}…` : text;

beforeAll(async () => {
  f.publicOrigin = new URL(hubUrl).origin;
  const admin = await tokenFor('admin');
  f.tokens = {
    admin,
    owner: await tokenFor(f.owner),
    collaborator: await tokenFor(f.collaborator),
    outsider: await tokenFor(f.outsider),
    noScope: ''
  };
  const limited = await hubApi(
    f.tokens.outsider,
    `/users/${f.outsider}/tokens`,
    {
      method: 'POST',
      body: JSON.stringify({
        note: 'envhub hostile inputs: no access to envhub',
        expires_in: 3600,
        scopes: [`read:users:name!user=${f.outsider}`]
      })
    }
  );
  ok(limited, 'creating a token without access to envhub', 201);
  f.tokens.noScope = ((await limited.json()) as { token: string }).token;
  watched = {
    hubUrl,
    servicePrefix: SERVICE_PREFIX,
    namePrefix,
    adminToken: admin,
    tokens: {
      [f.owner]: f.tokens.owner,
      [f.collaborator]: f.tokens.collaborator,
      [f.outsider]: f.tokens.outsider
    },
    shared: [{ owner: f.owner, server: f.server }]
  };
  initial = await snapshot(watched, docker);

  ok(
    await hubApi(admin, `/groups/${f.group}`, {
      method: 'POST',
      body: JSON.stringify({ users: [f.collaborator] })
    }),
    'creating the group',
    201
  );
  git = await GitServer.start();
  f.repo = git.url('fixture');
  f.gitBase = new URL(f.repo).origin;
  f.commit = await git.commit('fixture', { 'README.md': '# hostile inputs\n' });
  // The fixture server needs no build: its image is the base image under the name envhub gives it.
  fixtureImage = imageName(`${namePrefix}-`, f.repo, f.commit);
  const colon = fixtureImage.lastIndexOf(':');
  const [repo, tag] = [
    fixtureImage.slice(0, colon),
    fixtureImage.slice(colon + 1)
  ];
  await docker.getImage(baseImage).tag({ repo, tag });

  const owner = { Authorization: `token ${f.tokens.owner}` };
  ok(
    await send(hubUrl, `${SERVICE_PREFIX}api/volumes`, {
      method: 'POST',
      headers: owner,
      json: { name: f.volume }
    }),
    'creating the volume',
    201
  );
  ok(
    await send(hubUrl, `${SERVICE_PREFIX}api/volumes/${f.volume}/members`, {
      method: 'PUT',
      headers: owner,
      json: fixtureMembers()
    }),
    'setting its members',
    200
  );
  const launched = await launchFixture();
  if (!launched.startsWith('200 ready'))
    throw new Error(`launching the fixture server: ${launched}`);

  f.sessions = {
    owner: await signInToEnvhub(f.owner),
    ownerAgain: await signInToEnvhub(f.owner),
    outsider: await signInToEnvhub(f.outsider)
  };
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap(a =>
      a && !(a.family === 'IPv6' && a.scopeid) ? [a.address] : []
    );
  f.canary = await Canary.start(['127.0.0.2', ...new Set(addresses)]);
  f.redirector = await Redirector.start();
  baseline = previous = await snapshot(watched, docker);
}, 300_000);

afterAll(async () => {
  if (failures.length > 0)
    console.log(
      `${failures.length} of ${cases.length} hostile inputs got an unsafe or unexpected answer:\n${failures.join('\n')}`
    );
  if (process.env.ENVHUB_HOSTILE_REPORT)
    await writeFile(
      process.env.ENVHUB_HOSTILE_REPORT,
      `verdict\tcase\tstatus\tmessage\tproblems\n${answers.join('\n')}\n`
    );
  await f.redirector?.stop();
  await f.canary?.stop();
  if (watched && initial) {
    const owner = { Authorization: `token ${f.tokens.owner}` };
    await send(hubUrl, `${SERVICE_PREFIX}api/servers/${f.owner}/${f.server}`, {
      method: 'DELETE',
      headers: owner
    });
    await send(hubUrl, `${SERVICE_PREFIX}api/volumes/${f.volume}`, {
      method: 'DELETE',
      headers: owner
    });
    const left = await removeCreated(watched, initial, docker);
    if (left.length > 0) console.warn(`cleaning up: ${left.join('; ')}`);
    await hubApi(f.tokens.admin, `/groups/${f.group}`, { method: 'DELETE' });
    for (const user of [f.owner, f.collaborator, f.outsider])
      await hubApi(f.tokens.admin, `/users/${user}`, { method: 'DELETE' });
  }
  if (fixtureImage)
    await docker
      .getImage(fixtureImage)
      .remove()
      .catch(() => undefined);
  await git?.stop();
}, 300_000);

test('the corpus has at least 300 cases, each named once', () => {
  expect(cases.length).toBeGreaterThanOrEqual(300);
  const names = cases.map(c => c.name);
  expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
});

test.each(cases.map(c => [c.name, c] as const))(
  '%s',
  async (_name, hostile) => {
    const request =
      typeof hostile.request === 'function'
        ? hostile.request()
        : hostile.request;
    const { expect: expected } = hostile;
    const contacts = f.canary.contacts.length;
    const problems: string[] = [];
    let response: Received | undefined;
    try {
      response = await answer(request);
    } catch (err) {
      const closed =
        ['ECONNRESET', 'EPIPE'].includes(
          (err as NodeJS.ErrnoException).code ?? ''
        ) || /socket hang up/.test((err as Error).message);
      if (!(closed && expected.orClosed)) problems.push((err as Error).message);
    }

    let said = '';
    if (response) {
      said = messageOf(response);
      const events = isStream(response) ? streamEvents(response.text) : [];
      const failedStream =
        response.status === 200 &&
        events[events.length - 1]?.phase === 'failed';
      const statusOk =
        expected.status.includes(response.status) ||
        (Boolean(expected.orFailedEvent) && failedStream);
      if (!statusOk)
        problems.push(
          `status ${response.status}, expected ${expected.status.join(' or ')}${expected.orFailedEvent ? ' or a failed launch' : ''}`
        );
      if (expected.message && !expected.message.test(said))
        problems.push(`the message does not match ${expected.message}`);
      const more = expected.check?.(response);
      if (more) problems.push(more);
    }
    if (f.canary.contacts.length > contacts)
      problems.push(
        `a refused address was contacted: ${f.canary.contacts.slice(contacts).join(', ')}`
      );

    const after = await snapshot(watched, docker);
    // Docker objects of the prefix that other suites left may go away meanwhile; what matters is
    // what appears. The fixture's own objects are watched through envhub and the Hub.
    const changed = changes(previous, after, DOCKER_SECTIONS);
    if (changed.length > 0) {
      problems.push(
        `left behind or changed: ${changed.map(describeChange).join('; ')}`
      );
      await restoreFixture();
      previous = await snapshot(watched, docker);
      const still = changes(baseline, previous, DOCKER_SECTIONS);
      if (still.length > 0)
        console.warn(
          `after "${hostile.name}" the fixture could not be restored: ${still.map(describeChange).join('; ')}`
        );
    } else {
      previous = after;
    }

    const oneLine = (text: string) => text.replace(/\s+/g, ' ');
    answers.push(
      [
        problems.length > 0 ? 'FAIL' : 'ok',
        hostile.name,
        response?.status ?? '-',
        oneLine(short(said, 400)),
        oneLine(problems.join('; '))
      ].join('\t')
    );
    if (problems.length > 0) {
      const got = response
        ? `${response.status} ${short(JSON.stringify(said), 400)}`
        : 'no answer';
      failures.push(`✗ ${hostile.name} — got ${got}; ${problems.join('; ')}`);
      throw new Error(`${problems.join('\n')}\nanswer: ${got}`);
    }
  }
);
