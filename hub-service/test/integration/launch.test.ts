import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { exec } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';

// Runs against the real JupyterHub + envhub + Docker engine that deploy/test.sh starts.
jest.setTimeout(240_000);

const docker = new Docker();
const user = `it-${Date.now().toString(36)}`;
let token: string;
let git: GitServer;
let repo: string;
let commit: string;

const phases = (events: Array<{ phase: string }>) => [
  ...new Set(events.map(e => e.phase))
];
// DockerSpawner's default template, `{prefix}-{username}--{servername}`, with the name escaped.
const containerName = (server: string) =>
  `${namePrefix}-${escapeName(user)}--${escapeName(server)}`;

beforeAll(async () => {
  token = await tokenFor(user);
  git = await GitServer.start();
  repo = git.url('demo');
  commit = await git.commit('demo', {
    'README.md': '# demo\n',
    'analysis.ipynb':
      '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
  });
});

afterAll(async () => {
  await git.stop();
});

test('the health check sees the Hub and the Docker engine', async () => {
  const response = await fetch(`${hubUrl}/services/envhub/api/health`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    hub: { version: string };
    docker: { ok: boolean };
  };
  expect(body.hub.version).toMatch(/^6\./);
  expect(body.docker.ok).toBe(true);
});

describe('launching a git repository', () => {
  let readyUrl: string;
  let containerId: string;

  test('streams BinderHub phases and ends ready at a server that answers', async () => {
    const { status, events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo' }),
      token
    );
    expect(status).toBe(200);
    expect(phases(events)).toEqual([
      'waiting',
      'fetching',
      'building',
      'built',
      'launching',
      'ready'
    ]);
    const ready = events[events.length - 1];
    expect(ready.url).toBe(`${hubUrl}/user/${user}/demo/`);
    expect(ready.image).toMatch(new RegExp(`^${namePrefix}-.*:${commit}$`));
    expect(ready.binder_persistent_request).toBe(
      `v2/git/${encodeURIComponent(repo)}/${commit}`
    );
    readyUrl = ready.url as string;

    const api = await fetch(`${readyUrl}api/status`, {
      headers: { Authorization: `token ${token}` }
    });
    expect(api.status).toBe(200);
    const container = await docker
      .getContainer(containerName('demo'))
      .inspect();
    containerId = container.Id;
    expect(container.Config.Image).toBe(ready.image);
    expect(container.HostConfig.PortBindings['8888/tcp'][0].HostIp).toBe(
      '127.0.0.1'
    );
    expect(await exec(containerName('demo'), ['ls', '/home/jovyan'])).toContain(
      'analysis.ipynb'
    );
    expect(
      await exec(containerName('demo'), ['sh', '-c', 'echo "$ENVHUB_COMMIT"'])
    ).toBe(`${commit}\n`);
  });

  test('the same request again reconnects to the same container without building', async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo' }),
      token
    );
    expect(phases(events)).toEqual(['waiting', 'ready']);
    expect(events[events.length - 1].url).toBe(readyUrl);
    expect(
      (await docker.getContainer(containerName('demo')).inspect()).Id
    ).toBe(containerId);
    const running = await docker.listContainers({
      filters: { name: [containerName('demo')] }
    });
    expect(running).toHaveLength(1);
  });

  test('the service describes the server to its owner only', async () => {
    const own = await fetch(
      `${hubUrl}/services/envhub/api/servers/${user}/demo`,
      { headers: { Authorization: `token ${token}` } }
    );
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({
      owner: user,
      name: 'demo',
      repoUrl: repo,
      ref: 'main',
      commit,
      state: 'running'
    });
    const other = await tokenFor(`${user}-b`);
    const theirs = await fetch(
      `${hubUrl}/services/envhub/api/servers/${user}/demo`,
      { headers: { Authorization: `token ${other}` } }
    );
    expect(theirs.status).toBe(404);
  });

  test('a stopped server is started again from its kept home', async () => {
    await exec(containerName('demo'), [
      'sh',
      '-c',
      'echo kept > /home/jovyan/notes.txt'
    ]);
    const stop = await hubApi(token, `/users/${user}/servers/demo`, {
      method: 'DELETE'
    });
    expect([202, 204]).toContain(stop.status);
    for (let i = 0; i < 60; i++) {
      const server = (await (
        await hubApi(token, `/users/${user}/servers/demo`)
      ).json()) as { stopped: boolean; pending: string | null };
      if (server.stopped && !server.pending) break;
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo' }),
      token
    );
    expect(phases(events)).toEqual([
      'waiting',
      'fetching',
      'built',
      'launching',
      'ready'
    ]);
    expect(
      await exec(containerName('demo'), ['cat', '/home/jovyan/notes.txt'])
    ).toBe('kept\n');
  });

  test('the same name with another ref is refused with 409, naming what differs', async () => {
    const { status, body } = await readEventStream(
      buildUrl(repo, commit, { name: 'demo' }),
      token
    );
    expect(status).toBe(409);
    expect(JSON.parse(body).message).toContain(`ref: "main" → "${commit}"`);
  });

  test('another urlpath still connects to the same server, opening that path', async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', {
        name: 'demo',
        urlpath: 'lab/tree/analysis.ipynb'
      }),
      token
    );
    expect(phases(events)).toEqual(['waiting', 'ready']);
    expect(events[events.length - 1].url).toBe(
      `${readyUrl}lab/tree/analysis.ipynb`
    );
  });

  test('update=1 applies a changed spec, restarting the server with its home kept', async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo', memory: '1G', update: '1' }),
      token
    );
    expect(events[events.length - 1].phase).toBe('ready');
    expect(
      await exec(containerName('demo'), ['cat', '/home/jovyan/notes.txt'])
    ).toBe('kept\n');
    const limits = (await docker.getContainer(containerName('demo')).inspect())
      .HostConfig.Memory;
    expect(limits).toBe(1024 ** 3);
  });
});

test('another server of an already built commit launches without building', async () => {
  const { events } = await readEventStream(
    buildUrl(repo, commit, { name: 'again' }),
    token
  );
  expect(phases(events)).toEqual([
    'waiting',
    'fetching',
    'built',
    'launching',
    'ready'
  ]);
});

test('a Binder repository with requirements, apt.txt, postBuild and start runs in its server', async () => {
  await git.commit('binder-demo', {
    'binder/requirements.txt': 'toolz==0.12.1\n',
    'binder/apt.txt': 'figlet\n',
    'binder/postBuild': '#!/bin/bash\necho built > ~/.postbuild-marker\n',
    'binder/start':
      '#!/bin/bash\necho started > /tmp/start-marker\nexec "$@"\n',
    'index.ipynb':
      '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
  });
  await git.chmodExecutable('binder-demo', [
    'binder/postBuild',
    'binder/start'
  ]);
  const { events } = await readEventStream(
    buildUrl(git.url('binder-demo'), 'main', { name: 'binder-demo' }),
    token
  );
  expect(events[events.length - 1].phase).toBe('ready');
  const container = containerName('binder-demo');
  expect(
    await exec(container, [
      'python',
      '-c',
      'import toolz; print(toolz.__version__)'
    ])
  ).toBe('0.12.1\n');
  expect(await exec(container, ['sh', '-c', 'command -v figlet'])).toBe(
    '/usr/bin/figlet\n'
  );
  expect(
    await exec(container, [
      'cat',
      '/home/jovyan/.postbuild-marker',
      '/tmp/start-marker'
    ])
  ).toBe('built\nstarted\n');
  // The build log is kept, and readable by the server's owner.
  const view = (await (
    await fetch(`${hubUrl}/services/envhub/api/servers/${user}/binder-demo`, {
      headers: { Authorization: `token ${token}` }
    })
  ).json()) as { buildId: string };
  const build = (await (
    await fetch(`${hubUrl}/services/envhub/api/builds/${view.buildId}`, {
      headers: { Authorization: `token ${token}` }
    })
  ).json()) as { status: string; log: string };
  expect(build.status).toBe('built');
  expect(build.log).toContain('build pack: requirements.txt');
});

test('a broken requirement ends in a failed event that names it, and no server', async () => {
  await git.commit('broken', {
    'requirements.txt': 'envhub-no-such-package-4711==1.0\n'
  });
  const { events } = await readEventStream(
    buildUrl(git.url('broken'), 'main', { name: 'broken' }),
    token
  );
  const last = events[events.length - 1];
  expect(last.phase).toBe('failed');
  expect(last.message).toContain('envhub-no-such-package-4711');
  expect((await hubApi(token, `/users/${user}/servers/broken`)).status).toBe(
    404
  );
});

describe('sharing and managing a server', () => {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${hubUrl}/services/envhub/api${path}`, {
      ...init,
      headers: { Authorization: `token ${token}`, ...init.headers }
    });

  test('collaborators given at launch can open the server; dropping them revokes it', async () => {
    const colleague = `${user}-c`;
    await tokenFor(colleague);
    const statusFor = async () =>
      (
        await fetch(`${hubUrl}/user/${user}/demo/api/status`, {
          headers: { Authorization: `token ${await tokenFor(colleague)}` }
        })
      ).status;
    expect([403, 404]).toContain(await statusFor());
    const shared = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo', memory: '1G', user: colleague }),
      token
    );
    expect(phases(shared.events)).toEqual(['waiting', 'launching', 'ready']);
    expect(await statusFor()).toBe(200);
    const unshared = await readEventStream(
      buildUrl(repo, 'main', { name: 'demo', memory: '1G' }),
      token
    );
    expect(unshared.events[unshared.events.length - 1].phase).toBe('ready');
    expect([403, 404]).toContain(await statusFor());
  });

  test('collaborators set through the API apply at once; collaborators can see the server but not manage it', async () => {
    const colleague = `${user}-d`;
    const theirs = await tokenFor(colleague);
    const asColleague = (path: string, init: RequestInit = {}) =>
      fetch(`${hubUrl}/services/envhub/api${path}`, {
        ...init,
        headers: {
          Authorization: `token ${theirs}`,
          'Content-Type': 'application/json',
          ...init.headers
        }
      });
    expect((await asColleague(`/servers/${user}/demo`)).status).toBe(404);
    const set = await api(`/servers/${user}/demo/collaborators`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ users: [colleague], groups: [] })
    });
    expect(set.status).toBe(200);
    expect(
      ((await set.json()) as { spec: { collaborators: { users: string[] } } })
        .spec.collaborators.users
    ).toEqual([colleague]);
    const view = (await (
      await asColleague(`/servers/${user}/demo`)
    ).json()) as {
      canManage: boolean;
      launchUrl: string;
      snippets: { markdown: string };
      stopsAt: { idle: string | null };
    };
    expect(view.canManage).toBe(false);
    // A shared link never carries the owner's collaborators into the follower's server.
    expect(view.launchUrl).toBe(
      `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(repo)}/main?name=demo&memory=1G`
    );
    expect(view.snippets.markdown).toContain('badge.svg');
    expect(view.stopsAt.idle).toMatch(/^\d{4}-/);
    const status = await fetch(`${hubUrl}/user/${user}/demo/api/status`, {
      headers: { Authorization: `token ${await tokenFor(colleague)}` }
    });
    expect(status.status).toBe(200);
    const notTheirs = await asColleague(`/servers/${user}/demo/collaborators`, {
      method: 'PUT',
      body: JSON.stringify({ users: [], groups: [] })
    });
    // They can see it, so the refusal says who may: 403, not 404.
    expect(notTheirs.status).toBe(403);
    expect(((await notTheirs.json()) as { message: string }).message).toContain(
      `only ${user}`
    );
    const unknown = await api(`/servers/${user}/demo/collaborators`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ users: ['nobody-here-4711'], groups: [] })
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain(
      'nobody-here-4711'
    );
  });

  test('stop keeps the server and its home; delete removes both', async () => {
    const stop = await api(`/servers/${user}/demo/stop`, { method: 'POST' });
    expect(stop.status).toBe(202);
    const removed = await api(`/servers/${user}/demo`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await api(`/servers/${user}/demo`)).status).toBe(404);
    expect((await hubApi(token, `/users/${user}/servers/demo`)).status).toBe(
      404
    );
    expect(
      await docker
        .getVolume(`${namePrefix}-home-${escapeName(user)}--demo`)
        .inspect()
        .then(
          () => 'exists',
          () => 'gone'
        )
    ).toBe('gone');
  });

  test('the OpenAPI document describes the API with the environment schema', async () => {
    const response = await fetch(`${hubUrl}/services/envhub/api/openapi.json`);
    expect(response.headers.get('content-security-policy')).toBe(
      "frame-ancestors 'none'"
    );
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: {
        schemas: { EnvironmentSpec: { properties: Record<string, unknown> } };
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/build/{provider}/{spec}',
        '/api/servers/{owner}/{name}',
        '/api/servers/{owner}/{name}/mounts',
        '/api/volumes',
        '/api/volumes/{name}/members',
        '/api/builds/{id}'
      ])
    );
    expect(
      Object.keys(doc.components.schemas.EnvironmentSpec.properties)
    ).toEqual(
      expect.arrayContaining([
        'repo',
        'ref',
        'name',
        'resources',
        'collaborators'
      ])
    );
  });

  test('the badge is an SVG image', async () => {
    const badge = await fetch(`${hubUrl}/services/envhub/badge.svg`);
    expect(badge.headers.get('content-type')).toContain('image/svg+xml');
    expect(await badge.text()).toContain('<svg');
  });
});

describe('refusals', () => {
  test('a ref that does not exist fails with a message naming it', async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'no-such-branch', { name: 'nobranch' }),
      token
    );
    expect(events[events.length - 1]).toMatchObject({
      phase: 'failed',
      message: `the repository ${repo} has no branch or tag "no-such-branch"`
    });
    const server = await hubApi(token, `/users/${user}/servers/nobranch`);
    expect(server.status).toBe(404);
  });

  test.each([
    ['http://10.1.2.3/x.git', 403, 'ENVHUB_ALLOWED_REPO_HOSTS'],
    ['http://169.254.169.254/latest.git', 403, 'link-local'],
    ['ftp://127.0.0.1/x.git', 400, 'http(s) URL'],
    ['file:///etc/passwd', 400, 'http(s) URL']
  ])(
    'the repository URL %s is refused before anything starts',
    async (url, status, reason) => {
      const { status: got, body } = await readEventStream(
        buildUrl(url, 'main', { name: 'refused' }),
        token
      );
      expect(got).toBe(status);
      expect(JSON.parse(body).message).toContain(reason);
    }
  );

  test('an invalid server name is refused, saying what a valid one looks like', async () => {
    const { status, body } = await readEventStream(
      buildUrl(repo, 'main', { name: 'Bad--Name' }),
      token
    );
    expect(status).toBe(400);
    expect(JSON.parse(body).message).toContain('starting with a letter');
  });

  test('unknown parameters and requests over the caps are refused, saying what to change', async () => {
    const unknown = await readEventStream(
      buildUrl(repo, 'main', { name: 'x', image: 'evil' }),
      token
    );
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).message).toContain(
      'unknown launch parameter "image"'
    );
    const greedy = await readEventStream(
      buildUrl(repo, 'main', { name: 'greedy', memory: '64G' }),
      token
    );
    expect(greedy.status).toBe(422);
    expect(JSON.parse(greedy.body).message).toContain(
      "resources.memory 64G is over this hub's cap of 8G"
    );
  });

  test('the stream needs Accept: text/event-stream and a signed-in user', async () => {
    const noAccept = await fetch(buildUrl(repo, 'main'), {
      headers: { Authorization: `token ${token}` }
    });
    expect(noAccept.status).toBe(400);
    const anonymous = await fetch(buildUrl(repo, 'main'), {
      headers: { Accept: 'text/event-stream' }
    });
    expect(anonymous.status).toBe(401);
  });

  test('user_options posted to the Hub directly cannot choose the image or a mount', async () => {
    const chosen = await hubApi(token, `/users/${user}/servers/evil`, {
      method: 'POST',
      body: JSON.stringify({
        user_options: {
          image: 'envhub-rootfs:bookworm',
          volumes: { '/': '/host' }
        }
      })
    });
    expect(chosen.status).toBe(403);
    expect(((await chosen.json()) as { message: string }).message).toContain(
      'start only through envhub'
    );
    const forged = await hubApi(token, `/users/${user}/servers/evil`, {
      method: 'POST',
      body: JSON.stringify({ user_options: { ticket: 'forged' } })
    });
    expect(forged.status).toBe(403);
    expect(
      await docker.listContainers({
        all: true,
        filters: { name: [containerName('evil')] }
      })
    ).toHaveLength(0);
  });
});
