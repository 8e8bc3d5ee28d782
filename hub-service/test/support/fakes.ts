import { Quotas } from '../../src/usage/quotas.js';
import { OtherCatalogs } from '../../src/catalog/catalog.js';
import { usageTotals } from '../../src/usage/reports.js';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createApp, type AppDeps } from '../../src/app.js';
import { HubAuth } from '../../src/auth/hubAuth.js';
import { Channel } from '../../src/builds/channel.js';
import { ClassFiles } from '../../src/classes/classFiles.js';
import { Classes } from '../../src/classes/classes.js';
import { EnvhubError } from '../../src/errors.js';
import type {
  HubClient,
  HubProgress,
  HubServer,
  HubShare,
  HubUser,
  ShareTarget
} from '../../src/hub/hubClient.js';
import type {
  BuildLog,
  BuildRequest,
  ImageBuilder
} from '../../src/images/imageBuilder.js';
import { Launcher } from '../../src/launches/launcher.js';
import {
  DEFAULT_SITE_CONFIG,
  type SiteConfig
} from '../../src/policy/siteConfig.js';
import {
  Store,
  type ClassRecord,
  type CredentialRecord,
  type ServerRecord,
  type SessionRecord,
  type VolumeRecord
} from '../../src/store/store.js';
import { Credentials } from '../../src/credentials/credentials.js';
import { SecretBox } from '../../src/credentials/secretBox.js';
import { PublicSessions } from '../../src/sessions/publicSessions.js';
import { Volumes } from '../../src/volumes/volumes.js';
import { send, type Received, type Sent } from './http.js';

export const PREFIX = '/services/envhub/';
export const HUB_BASE_URL = '/';
/** Where browsers reach the hub: every absolute link envhub hands out starts here. */
export const PUBLIC_URL = 'https://hub.example.org';
export const CLIENT_ID = 'service-envhub';
export const CALLBACK_URL = `${PREFIX}oauth_callback`;
/** The service's own Hub token, which is also its OAuth client secret. */
export const SERVICE_TOKEN = 'service-token-of-the-tests';
export const INTERNAL_SECRET = 'internal-secret-of-the-tests';
export const NAME_PREFIX = 'envhub';
export const BASE_IMAGE = 'envhub-base:latest';
/** The scope the Hub gives tokens that may use envhub (OAuth tokens of the service, page tokens). */
export const ENVHUB_SCOPE = 'access:services!service=envhub';
export const ACCESS_SCOPES = ['access:services', ENVHUB_SCOPE];
/** Repositories the tests launch live here (see TestApp.forge). */
export const REPO_HOST = '127.0.0.1';
/** Who may read the test forge's repositories under /private/, with which token. */
export const FORGE_USER = 'alice';
export const FORGE_TOKEN = 'forge-token-of-alice-51c2';
export const forgeAuthorization = (user: string, token: string) =>
  `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** One call a fake received. */
export interface Call {
  method: string;
  args: unknown[];
}

type FakeServer = HubServer & {
  owner: string;
  spawnConfig?: unknown;
  spawnRefusal?: string;
};

const notFound = (what: string) =>
  new EnvhubError(404, 'hub_error', `the Hub refused to ${what}: Not Found`);

/**
 * The Hub as envhub's HubClient sees it, in memory: users, groups, tokens with scopes, named
 * servers, shares and OAuth codes. Every call is recorded. Starting a server redeems its launch
 * ticket at the service, as the Hub's apply_user_options hook does (when `spawnHook` is set).
 */
export class FakeHub {
  readonly calls: Call[] = [];
  readonly users = new Map<string, { admin: boolean }>();
  readonly groups = new Map<string, string[]>();
  readonly tokens = new Map<string, { user: string; scopes: string[] }>();
  readonly servers = new Map<string, FakeServer>();
  readonly shares = new Map<string, HubShare[]>();
  /** The access token each user's auth_state holds (single sign-on through OAuthenticator). */
  readonly accessTokens = new Map<string, string>();
  /** OAuth codes the Hub's authorize endpoint handed out, and what they were issued for. */
  private readonly codes = new Map<
    string,
    { user: string; clientId: string; redirectUri: string; challenge: string }
  >();
  /** The Hub's apply_user_options hook: posts the spawn to the service and returns its answer. */
  spawnHook?: (body: {
    user: string;
    server: string;
    user_options: Record<string, unknown>;
  }) => Promise<Received>;
  /** What the spawner does with a spawn configuration before starting the container (creates volumes). */
  spawner?: (config: Record<string, unknown>) => Promise<void>;
  /** Set to make Docker refuse the next containers with this reason (e.g. a memory limit it cannot apply). */
  dockerRefusal?: string;

  constructor(
    private readonly client: {
      clientId: string;
      clientSecret: string;
      redirectUri: string;
    }
  ) {}

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** The calls of one method, in order. */
  callsOf(method: string): unknown[][] {
    return this.calls
      .filter(call => call.method === method)
      .map(call => call.args);
  }

  addUser(
    name: string,
    options: { admin?: boolean; groups?: string[] } = {}
  ): void {
    this.users.set(name, { admin: options.admin ?? false });
    for (const group of options.groups ?? []) {
      this.groups.set(group, [...(this.groups.get(group) ?? []), name]);
    }
  }

  /** A new API token of `user` with `scopes` (by default: may use envhub). */
  issueToken(
    user: string,
    scopes: string[] = [ENVHUB_SCOPE],
    token = `token-${randomBytes(12).toString('hex')}`
  ): string {
    this.tokens.set(token, { user, scopes });
    return token;
  }

  /** The token the Hub gives `user`'s running server: the owner's, without any access to services. */
  issueServerToken(user: string, server: string): string {
    return this.issueToken(
      user,
      [
        `access:servers!server=${user}/${server}`,
        `users:activity!user=${user}`,
        'read:users:name'
      ],
      `server-token-${user}-${server}`
    );
  }

  /** A server the Hub has, running or stopped, as if it had been spawned before. */
  putServer(
    owner: string,
    name: string,
    options: { running: boolean; userOptions?: Record<string, unknown> }
  ): void {
    this.servers.set(`${owner}/${name}`, {
      ...this.serverModel(owner, name, options.running),
      user_options: options.userOptions ?? null
    });
  }

  /**
   * The Hub's `/hub/api/oauth2/authorize` for a user who is signed in to the Hub and consents:
   * checks the request as the Hub does and returns the code it would redirect back with.
   */
  authorize(query: URLSearchParams, user: string): string {
    if (query.get('client_id') !== this.client.clientId) {
      throw new Error(`authorize: unknown client_id ${query.get('client_id')}`);
    }
    if (query.get('redirect_uri') !== this.client.redirectUri) {
      throw new Error(
        `authorize: redirect_uri ${query.get('redirect_uri')} is not the client's`
      );
    }
    if (query.get('response_type') !== 'code') {
      throw new Error('authorize: response_type must be code');
    }
    if (
      query.get('code_challenge_method') !== 'S256' ||
      !query.get('code_challenge')
    ) {
      throw new Error('authorize: PKCE (S256) is required');
    }
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.codes.set(code, {
      user,
      clientId: this.client.clientId,
      redirectUri: this.client.redirectUri,
      challenge: query.get('code_challenge')!
    });
    return code;
  }

  async version(): Promise<string> {
    this.record('version');
    return '6.1.0';
  }

  async userForToken(token: string): Promise<HubUser | null> {
    this.record('userForToken', token);
    const found = this.tokens.get(token);
    const user = found && this.users.get(found.user);
    if (!found || !user) {
      return null;
    }
    const groups = [...this.groups]
      .filter(([, members]) => members.includes(found.user))
      .map(([group]) => group);
    return {
      name: found.user,
      kind: 'user',
      admin: user.admin,
      groups,
      scopes: [...found.scopes]
    };
  }

  async oauthToken(form: Record<string, string>): Promise<string> {
    this.record('oauthToken', { ...form });
    const issued = this.codes.get(form.code);
    const refuse = (why: string): never => {
      throw new EnvhubError(
        400,
        'hub_error',
        `the Hub refused to complete the sign-in: ${why}`
      );
    };
    if (form.grant_type !== 'authorization_code') {
      refuse('grant_type must be authorization_code');
    }
    if (
      form.client_id !== this.client.clientId ||
      form.client_secret !== this.client.clientSecret
    ) {
      refuse('invalid client');
    }
    if (!issued) {
      return refuse('invalid code');
    }
    this.codes.delete(form.code);
    if (form.redirect_uri !== issued.redirectUri) {
      refuse('redirect_uri mismatch');
    }
    if (
      createHash('sha256')
        .update(form.code_verifier ?? '')
        .digest('base64url') !== issued.challenge
    ) {
      refuse('code_verifier does not match the challenge');
    }
    return this.issueToken(issued.user, [ENVHUB_SCOPE]);
  }

  async getServer(user: string, server: string): Promise<HubServer | null> {
    this.record('getServer', user, server);
    const found = this.servers.get(`${user}/${server}`);
    if (!found) {
      return null;
    }
    const {
      owner: _owner,
      spawnConfig: _config,
      spawnRefusal: _refusal,
      ...model
    } = found;
    return { ...model };
  }

  async startServer(
    user: string,
    server: string,
    userOptions: Record<string, unknown>,
    displayName?: string
  ): Promise<boolean> {
    this.record('startServer', user, server, userOptions, displayName);
    if (!this.users.has(user)) {
      throw notFound(`start server ${user}/${server}`);
    }
    const key = `${user}/${server}`;
    if (this.servers.get(key)?.ready) {
      return true;
    }
    let spawnConfig: Record<string, unknown> | undefined;
    let spawnRefusal: string | undefined;
    if (this.spawnHook) {
      const answer = await this.spawnHook({
        user,
        server,
        user_options: userOptions
      });
      if (answer.status === 200) {
        spawnConfig = answer.json;
      } else {
        spawnRefusal = `HTTP ${answer.status}: ${STATUS_CODES[answer.status] ?? 'Error'} (${answer.json?.message ?? 'no reason given'})`;
      }
    }
    if (spawnConfig && this.spawner) {
      await this.spawner(spawnConfig);
    }
    if (spawnRefusal === undefined && this.dockerRefusal !== undefined) {
      spawnRefusal = `500 Server Error for http+docker://localhost/v1.47/containers/create: Internal Server Error ("${this.dockerRefusal}")`;
    }
    if (spawnRefusal !== undefined) {
      // As JupyterHub does when a spawn fails at once: the POST answers 500, the server entry stays
      // (stopped) and its progress stream reports the failure.
      this.servers.set(key, {
        ...this.serverModel(user, server, false),
        user_options: userOptions,
        spawnRefusal
      });
      throw new EnvhubError(
        502,
        'hub_error',
        `the Hub refused to start server ${user}/${server}: Internal Server Error`
      );
    }
    this.servers.set(key, {
      ...this.serverModel(user, server, true),
      user_options: userOptions,
      spawnConfig
    });
    return false;
  }

  private serverModel(
    owner: string,
    name: string,
    running: boolean
  ): FakeServer {
    const now = new Date().toISOString();
    return {
      owner,
      name,
      ready: running,
      pending: null,
      stopped: !running,
      url: `${HUB_BASE_URL}user/${owner}/${name}/`,
      user_options: null,
      started: running ? now : null,
      last_activity: running ? now : null
    };
  }

  async stopServer(user: string, server: string): Promise<boolean> {
    this.record('stopServer', user, server);
    const found = this.servers.get(`${user}/${server}`);
    if (!found) {
      throw notFound(`stop server ${user}/${server}`);
    }
    Object.assign(found, {
      ready: false,
      stopped: true,
      pending: null,
      started: null
    });
    return true;
  }

  async removeServer(user: string, server: string): Promise<void> {
    this.record('removeServer', user, server);
    this.servers.delete(`${user}/${server}`);
    this.shares.delete(`${user}/${server}`);
  }

  async *progress(user: string, server: string): AsyncGenerator<HubProgress> {
    this.record('progress', user, server);
    const found = this.servers.get(`${user}/${server}`);
    if (!found) {
      throw notFound(`report progress of ${user}/${server}`);
    }
    if (found.spawnRefusal !== undefined) {
      yield {
        progress: 100,
        failed: true,
        message: `Spawn failed: ${found.spawnRefusal}`
      };
      return;
    }
    if (!found.ready) {
      throw new EnvhubError(
        400,
        'hub_error',
        `the Hub refused to report progress of ${user}/${server}: not running`
      );
    }
    yield { progress: 50, message: 'Spawning server...' };
    yield {
      progress: 100,
      ready: true,
      url: found.url,
      message: `Server ready at ${found.url}`
    };
  }

  async listShares(owner: string, server: string): Promise<HubShare[]> {
    this.record('listShares', owner, server);
    if (!this.servers.has(`${owner}/${server}`)) {
      throw notFound(`list the shares of ${owner}/${server}`);
    }
    return (this.shares.get(`${owner}/${server}`) ?? []).map(share =>
      structuredClone(share)
    );
  }

  async share(
    owner: string,
    server: string,
    target: ShareTarget
  ): Promise<void> {
    this.record('share', owner, server, target);
    if (!this.servers.has(`${owner}/${server}`)) {
      throw notFound(`share ${owner}/${server}`);
    }
    if (
      'user' in target
        ? !this.users.has(target.user)
        : !this.groups.has(target.group)
    ) {
      throw notFound(`share ${owner}/${server}`);
    }
    const list = this.shares.get(`${owner}/${server}`) ?? [];
    const same = (s: HubShare) =>
      'user' in target
        ? s.user?.name === target.user
        : s.group?.name === target.group;
    if (!list.some(same)) {
      list.push({
        kind: 'user' in target ? 'user' : 'group',
        user: 'user' in target ? { name: target.user } : null,
        group: 'group' in target ? { name: target.group } : null,
        scopes: [`access:servers!server=${owner}/${server}`]
      });
    }
    this.shares.set(`${owner}/${server}`, list);
  }

  async revokeShare(
    owner: string,
    server: string,
    target: ShareTarget
  ): Promise<void> {
    this.record('revokeShare', owner, server, target);
    const list = this.shares.get(`${owner}/${server}`) ?? [];
    this.shares.set(
      `${owner}/${server}`,
      list.filter(s =>
        'user' in target
          ? s.user?.name !== target.user
          : s.group?.name !== target.group
      )
    );
  }

  async createUser(name: string): Promise<void> {
    this.record('createUser', name);
    if (this.users.has(name))
      throw new EnvhubError(
        409,
        'hub_error',
        `the Hub refused to create user ${name}: exists`
      );
    this.users.set(name, { admin: false });
  }

  /** As the Hub: a user with a running server cannot be deleted; its tokens go with it. */
  async deleteUser(name: string): Promise<void> {
    this.record('deleteUser', name);
    if ([...this.servers.values()].some(s => s.owner === name && s.ready))
      throw new EnvhubError(
        502,
        'hub_error',
        `the Hub refused to delete user ${name}: Internal Server Error`
      );
    this.users.delete(name);
    for (const [token, holder] of this.tokens)
      if (holder.user === name) this.tokens.delete(token);
  }

  async createToken(
    user: string,
    scopes: string[],
    expiresIn: number,
    note: string
  ): Promise<string> {
    this.record('createToken', user, scopes, expiresIn, note);
    if (!this.users.has(user)) throw notFound(`create a token for ${user}`);
    return this.issueToken(user, scopes);
  }

  async userExists(name: string): Promise<boolean> {
    this.record('userExists', name);
    return this.users.has(name);
  }

  async groupExists(name: string): Promise<boolean> {
    this.record('groupExists', name);
    return this.groups.has(name);
  }

  async accessToken(user: string): Promise<string | null> {
    this.record('accessToken', user);
    return this.accessTokens.get(user) ?? null;
  }

  async listGroups(): Promise<Array<{ name: string; users: string[] }>> {
    this.record('listGroups');
    return [...this.groups].map(([name, users]) => ({
      name,
      users: [...users]
    }));
  }

  async groupMembers(name: string): Promise<string[]> {
    this.record('groupMembers', name);
    const members = this.groups.get(name);
    if (!members) {
      throw notFound(`list the members of group ${name}`);
    }
    return [...members];
  }

  /** What the Hub holds, for before/after comparisons. */
  state(): object {
    const servers = [...this.servers.values()]
      .map(s => ({
        key: `${s.owner}/${s.name}`,
        ready: s.ready,
        stopped: s.stopped,
        pending: s.pending,
        user_options: s.user_options
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
    const shares = Object.fromEntries(
      [...this.shares]
        .filter(([, list]) => list.length > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, list]) => [
          key,
          list
            .map(s =>
              s.user ? `user:${s.user.name}` : `group:${s.group?.name}`
            )
            .sort()
        ])
    );
    return { users: [...this.users.keys()].sort(), servers, shares };
  }
}

const dockerError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), {
    statusCode
  });

/**
 * The few dockerode calls envhub's domain modules make (volumes, one-shot containers, images, ping),
 * in memory. Volumes listed in `inUse` refuse removal as a mounted volume does.
 */
export class FakeDocker {
  readonly calls: Call[] = [];
  readonly volumes = new Map<
    string,
    {
      Labels: Record<string, string>;
      Driver?: string;
      Options?: Record<string, string>;
    }
  >();
  readonly images = new Set<string>();
  readonly containers = new Map<
    string,
    { options: unknown; started: boolean }
  >();
  readonly inUse = new Set<string>();
  private nextId = 1;

  async ping(): Promise<string> {
    this.calls.push({ method: 'ping', args: [] });
    return 'OK';
  }

  async createVolume(options: {
    Name: string;
    Labels?: Record<string, string>;
    Driver?: string;
    DriverOpts?: Record<string, string>;
  }): Promise<{ name: string }> {
    this.calls.push({ method: 'createVolume', args: [options] });
    if (!this.volumes.has(options.Name)) {
      this.volumes.set(options.Name, {
        Labels: options.Labels ?? {},
        Driver: options.Driver,
        Options: options.DriverOpts
      });
    }
    return { name: options.Name };
  }

  async listVolumes(options: {
    filters: string;
  }): Promise<{ Volumes: { Name: string }[] }> {
    const { label = [] } = JSON.parse(options.filters) as { label?: string[] };
    const matches = (labels: Record<string, string>) =>
      label.every(l => {
        const [key, value] = l.split('=');
        return labels[key] === value;
      });
    return {
      Volumes: [...this.volumes]
        .filter(([, volume]) => matches(volume.Labels))
        .map(([Name]) => ({ Name }))
    };
  }

  getVolume(name: string) {
    return {
      name,
      inspect: async () => {
        this.calls.push({ method: 'volume.inspect', args: [name] });
        const volume = this.volumes.get(name);
        if (!volume) {
          throw dockerError(404, `no such volume: ${name}`);
        }
        return { Name: name, ...volume };
      },
      remove: async () => {
        this.calls.push({ method: 'volume.remove', args: [name] });
        if (!this.volumes.has(name)) {
          throw dockerError(404, `no such volume: ${name}`);
        }
        if (this.inUse.has(name)) {
          throw dockerError(409, `remove ${name}: volume is in use`);
        }
        this.volumes.delete(name);
      }
    };
  }

  async createContainer(options: { Image?: string }) {
    this.calls.push({ method: 'createContainer', args: [options] });
    if (
      options.Image &&
      !this.images.has(options.Image) &&
      options.Image !== BASE_IMAGE
    ) {
      throw dockerError(404, `no such image: ${options.Image}`);
    }
    const id = `container-${this.nextId++}`;
    this.containers.set(id, { options, started: false });
    return {
      id,
      start: async () => {
        this.calls.push({ method: 'container.start', args: [id] });
        this.containers.get(id)!.started = true;
      },
      wait: async () => {
        this.calls.push({ method: 'container.wait', args: [id] });
        return { StatusCode: 0 };
      },
      remove: async () => {
        this.calls.push({ method: 'container.remove', args: [id] });
        this.containers.delete(id);
      }
    };
  }

  getImage(name: string) {
    return {
      inspect: async () => {
        this.calls.push({ method: 'image.inspect', args: [name] });
        if (!this.images.has(name)) {
          throw dockerError(404, `no such image: ${name}`);
        }
        return {
          Id: `sha256:${createHash('sha256').update(name).digest('hex')}`,
          RepoTags: [name]
        };
      },
      remove: async () => {
        this.calls.push({ method: 'image.remove', args: [name] });
        if (!this.images.delete(name)) {
          throw dockerError(404, `no such image: ${name}`);
        }
      }
    };
  }

  /** What the engine holds, for before/after comparisons. */
  state(): { volumes: string[]; images: string[]; containers: string[] } {
    return {
      volumes: [...this.volumes.keys()].sort(),
      images: [...this.images].sort(),
      containers: [...this.containers.keys()].sort()
    };
  }
}

/**
 * The image builder's contract (`exists`, `build`) without git or Docker: a build records itself in
 * the store as the real one does, emits a couple of log lines, and the image exists afterwards.
 */
export class FakeBuilder {
  readonly builds: BuildRequest[] = [];
  private nextId = 1;

  constructor(
    private readonly docker: FakeDocker,
    private readonly store: Store
  ) {}

  async exists(image: string): Promise<boolean> {
    return this.docker.images.has(image);
  }

  build(request: BuildRequest): Channel<BuildLog> {
    this.builds.push(request);
    const channel = new Channel<BuildLog>();
    const buildId = `fake-build-${this.nextId++}`;
    this.store.startBuild({
      id: buildId,
      image: request.image,
      repo: request.repo,
      ref: request.ref,
      commit: request.commit,
      requestedBy: request.requestedBy,
      startedAt: new Date().toISOString()
    });
    const lines = [
      `[envhub] fetching ${request.repo} at ${request.commit}\n`,
      '[envhub] build pack: requirements.txt\n'
    ];
    setImmediate(() => {
      lines.forEach(line => channel.push({ line }));
      this.docker.images.add(request.image);
      this.store.finishBuild(buildId, 'built', lines.join(''));
      channel.push({ done: true, buildId });
      channel.end();
    });
    return channel;
  }
}

export interface TestAppOptions {
  /** Overrides of the site configuration. */
  site?: Partial<SiteConfig>;
  /** Hosts repository URLs may use although they are loopback or private. */
  allowedRepoHosts?: string[];
  /** Whether the fake Hub redeems launch tickets at the service when it starts a server (default true). */
  redeemTickets?: boolean;
  /** Where dockerd would find rclone's volume plugin socket (default: a folder without it). */
  dockerPluginDir?: string;
  /** Hosts for which users' single sign-on token is their credential (ENVHUB_SSO_HOSTS). */
  singleSignOnHosts?: string[];
}

/** What requests can change, as `TestApp.state()` reads it. */
export interface WorldState {
  servers: ServerRecord[];
  sessions: SessionRecord[];
  credentials: CredentialRecord[];
  volumes: VolumeRecord[];
  classes: ClassRecord[];
  /** Ids of the builds of every image the store, the builder or Docker knows. */
  builds: string[];
  /** How many builds the builder was asked for. */
  buildRequests: number;
  hub: object;
  docker: ReturnType<FakeDocker['state']>;
}

export interface TestApp {
  /** `http://127.0.0.1:<port>`: the service as the proxy reaches it. */
  url: string;
  /**
   * A forge on 127.0.0.1 answering git's first request (`info/refs`) for any repository, so that
   * the repository check finds it; no git runs, since launches name full commit hashes. Those
   * under /private/ need FORGE_USER's FORGE_TOKEN; those under /moved/ redirect there, naming the
   * forge `localhost` instead of 127.0.0.1. `requests` lists each request's path, followed
   * by its Authorization header in parentheses when it had one.
   */
  forge: { url: string; requests: string[] };
  hub: FakeHub;
  docker: FakeDocker;
  sessions: PublicSessions;
  credentials: Credentials;
  builder: FakeBuilder;
  store: Store;
  /** One request to the service; `path` is absolute, e.g. `${PREFIX}api/servers`. */
  send(path: string, options?: Sent): Promise<Received>;
  /** Everything a request could change (store, Hub, Docker, builds), for before/after comparisons. */
  state(): WorldState;
  close(): Promise<void>;
}

/**
 * The real express app with the real auth, launcher, volumes and store (SQLite in memory), and
 * fakes for what needs a Hub or root (Hub client, Docker engine, image builder), listening on
 * 127.0.0.1 at a free port. The one place that knows how the app is wired.
 */
export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const site: SiteConfig = { ...DEFAULT_SITE_CONFIG, ...options.site };
  const store = new Store(':memory:');
  const hub = new FakeHub({
    clientId: CLIENT_ID,
    clientSecret: SERVICE_TOKEN,
    redirectUri: CALLBACK_URL
  });
  const docker = new FakeDocker();
  const builder = new FakeBuilder(docker, store);
  const hubClient = hub as unknown as HubClient;
  const auth = new HubAuth(hubClient, {
    prefix: PREFIX,
    hubBaseUrl: HUB_BASE_URL,
    clientId: CLIENT_ID,
    clientSecret: SERVICE_TOKEN,
    callbackUrl: CALLBACK_URL,
    accessScopes: ACCESS_SCOPES
  });
  const classFiles = await mkdtemp(join(tmpdir(), 'envhub-classes-'));
  const credentials = new Credentials(
    store,
    SecretBox.fromKeyFile(join(classFiles, 'credentials.key')),
    options.singleSignOnHosts
      ? {
          hosts: options.singleSignOnHosts,
          accessToken: user => hubClient.accessToken(user)
        }
      : null
  );
  const volumes = new Volumes(docker as unknown as Docker, store, hubClient, {
    namePrefix: NAME_PREFIX,
    baseImage: BASE_IMAGE,
    volumesPerUser: site.volumesPerUser,
    webdav: {
      driver: 'envhub-webdav',
      pluginDir: options.dockerPluginDir ?? classFiles,
      allowedHosts: options.allowedRepoHosts ?? [REPO_HOST]
    },
    credentials
  });
  const classes = new Classes(
    hubClient,
    store,
    new ClassFiles(classFiles, site.exchange),
    volumes,
    { classesPerUser: site.classesPerUser, baseUrl: `${PUBLIC_URL}${PREFIX}` }
  );
  const quotas = new Quotas(
    site.quotas,
    (users, from) => usageTotals(store, users, from),
    group => hubClient.groupMembers(group)
  );
  const launcher = new Launcher(
    hubClient,
    store,
    builder as unknown as ImageBuilder,
    volumes,
    {
      credentials,
      quotas,
      classRole: (user, id) => classes.roleOf(user, id),
      site,
      namePrefix: NAME_PREFIX,
      servers: { proxyUrl: PUBLIC_URL, token: 'service-token' },
      allowedRepoHosts: options.allowedRepoHosts ?? [REPO_HOST],
      prefix: PREFIX
    }
  );
  // The proxy in front of users' servers, as far as a public session's hand-off uses it: a running
  // server's api/status, asked with a token that may access it, sets the server's login cookie.
  const proxy = createServer((req, res) => {
    const [, user, name, given] =
      /^\/user\/([^/]+)\/([^/]+)\/api\/status\?token=([^&]+)$/.exec(
        req.url ?? ''
      ) ?? [];
    const token = req.headers.authorization?.replace(/^token /, '');
    const holder = token ? hub.tokens.get(token) : undefined;
    if (
      !token ||
      decodeURIComponent(given ?? '') !== token ||
      req.headers['sec-fetch-mode'] !== 'navigate' ||
      !holder?.scopes.includes(`access:servers!server=${user}/${name}`) ||
      !hub.servers.get(`${user}/${name}`)?.ready
    ) {
      res.writeHead(403).end();
      return;
    }
    res
      .writeHead(200, {
        'Set-Cookie': [
          `jupyterhub-user-${user}-${name}=signed-${token.slice(-6)}; HttpOnly; Path=/user/${user}/${name}/`,
          `_xsrf=x; Path=/user/${user}/${name}/`
        ]
      })
      .end('{}');
  }).listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const sessions = new PublicSessions(hubClient, store, volumes, {
    namePrefix: NAME_PREFIX,
    site,
    publicOrigin: PUBLIC_URL,
    proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    network: null
  });
  const checked = async (check: () => Promise<unknown>) => {
    try {
      const version = await check();
      return {
        ok: true as const,
        ...(typeof version === 'string' && version !== 'OK' ? { version } : {})
      };
    } catch (err) {
      return { ok: false as const, message: (err as Error).message };
    }
  };
  const deps: AppDeps = {
    site,
    hubBaseUrl: HUB_BASE_URL,
    prefix: PREFIX,
    internalSecret: INTERNAL_SECRET,
    publicOrigin: PUBLIC_URL,
    hub: hubClient,
    auth,
    launcher,
    store,
    volumes,
    classes,
    sessions,
    credentials,
    quotas,
    usageIntervalMs: 60_000,
    otherCatalogs: new OtherCatalogs(site.otherHubs),
    health: async () => ({
      hub: await checked(() => hub.version()),
      docker: await checked(() => docker.ping())
    })
  };
  const server = createApp(deps).listen(0, '127.0.0.1');
  const forgeRequests: string[] = [];
  const forge = createServer((req, res) => {
    const authorization = req.headers.authorization;
    forgeRequests.push(
      `${req.url ?? ''}${authorization ? ` (${authorization})` : ''}`
    );
    // Repositories under /moved/ have moved to /private/ on the same forge under another name.
    if (req.url?.startsWith('/moved/')) {
      const port = (forge.address() as AddressInfo).port;
      res.writeHead(301, {
        Location: `http://localhost:${port}${req.url.replace('/moved/', '/private/')}`
      });
      res.end();
      return;
    }
    // Repositories under /private/ answer FORGE_USER with FORGE_TOKEN only, as a forge does.
    if (
      req.url?.startsWith('/private/') &&
      authorization !== forgeAuthorization(FORGE_USER, FORGE_TOKEN)
    ) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="forge"' });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/x-git-upload-pack-advertisement',
      'Cache-Control': 'no-cache'
    });
    res.end('001e# service=git-upload-pack\n0000');
  }).listen(0, REPO_HOST);
  await Promise.all([once(server, 'listening'), once(forge, 'listening')]);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (options.redeemTickets ?? true) {
    hub.spawnHook = body =>
      send(url, `${PREFIX}api/internal/spawn-config`, {
        method: 'POST',
        headers: { Authorization: `token ${INTERNAL_SECRET}` },
        json: body
      });
    // DockerSpawner creates the named volumes of the configuration (the server's home) at its start.
    hub.spawner = async config => {
      for (const volume of Object.keys(
        (config.volumes ?? {}) as Record<string, unknown>
      )) {
        await docker.createVolume({ Name: volume });
      }
    };
  }
  const buildIds = () =>
    [
      ...new Set([
        ...store.allServers().map(s => s.image),
        ...builder.builds.map(b => b.image),
        ...docker.images
      ])
    ].flatMap(image => store.buildsOf(image).map(b => b.id));
  return {
    url,
    forge: {
      url: `http://${REPO_HOST}:${(forge.address() as AddressInfo).port}`,
      requests: forgeRequests
    },
    hub,
    docker,
    sessions,
    credentials,
    builder,
    store,
    send: (path, sent) => send(url, path, sent),
    state: () => ({
      servers: store.allServers(),
      sessions: store.allSessions(),
      credentials: store.allCredentials(),
      volumes: store.allVolumes(),
      classes: store.allClasses(),
      builds: buildIds().sort(),
      buildRequests: builder.builds.length,
      hub: hub.state(),
      docker: docker.state()
    }),
    close: async () => {
      server.closeAllConnections();
      forge.closeAllConnections();
      proxy.closeAllConnections();
      await Promise.all([
        new Promise(resolve => proxy.close(resolve)),
        new Promise(resolve => server.close(resolve)),
        new Promise(resolve => forge.close(resolve))
      ]);
      store.close();
      await rm(classFiles, { recursive: true, force: true });
    }
  };
}

/**
 * Keeps the service's JSON log lines out of the test output (they are kept in the returned list,
 * so a test can look at them); everything else is written as usual.
 */
export function captureLogs(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map(stream => stream.write.bind(stream));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('{"time":')) {
        lines.push(chunk);
        return true;
      }
      return (originals[i] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return {
    lines,
    restore: () =>
      streams.forEach(
        (stream, i) => (stream.write = originals[i] as typeof stream.write)
      )
  };
}
