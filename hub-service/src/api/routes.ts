import { timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { headerToken, type HubAuth } from '../auth/hubAuth.js';
import { sendEventStream } from '../builds/eventStream.js';
import { EnvhubError } from '../errors.js';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import type { Launcher } from '../launches/launcher.js';
import { describeServer, viewContext } from '../launches/serverView.js';
import { launchRequestFrom } from '../launches/launchRequest.js';
import { BADGE_SVG } from '../pages/badge.js';
import {
  authorize,
  serverRelation,
  sessionRelation,
  type Operation
} from '../policy/access.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import type { BuildRecord, ServerRecord, Store } from '../store/store.js';
import type { Classes } from '../classes/classes.js';
import type { Credentials } from '../credentials/credentials.js';
import type { PublicSessions } from '../sessions/publicSessions.js';
import type { Volumes } from '../volumes/volumes.js';
import { jsonBody } from './body.js';
import { classRoutes } from './classRoutes.js';
import { openApiDocument } from './openapi.js';
import type { Swarm } from '../swarm/swarm.js';
import { clientAddress } from './clientAddress.js';
import { metrics } from '../usage/metrics.js';
import type { Quotas } from '../usage/quotas.js';
import { hubReport, usageCsv, userReport } from '../usage/reports.js';
import { catalog, OtherCatalogs } from '../catalog/catalog.js';

/** One dependency's state in `GET api/health`. */
export type HealthCheck =
  | { ok: true; version?: string; warning?: string }
  | { ok: false; message: string };

export interface ApiDeps {
  site: SiteConfig;
  /** The Hub's base URL path, e.g. `/`. */
  hubBaseUrl: string;
  prefix: string;
  internalSecret: string;
  /** Where browsers reach this hub, e.g. `https://hub.example.org` (configured, never read from requests). */
  publicOrigin: string;
  hub: HubClient;
  auth: HubAuth;
  launcher: Launcher;
  store: Store;
  volumes: Volumes;
  classes: Classes;
  sessions: PublicSessions;
  credentials: Credentials;
  /** Servers on a Docker Swarm: spawn configurations are placed there (see swarm/swarm.ts). */
  swarm?: Swarm;
  /** The site's monthly quotas, applied to what usage accounting recorded. */
  quotas: Quotas;
  /** How often usage accounting reads the servers' containers. */
  usageIntervalMs: number;
  /** The catalogs of the other hubs the site lists. */
  otherCatalogs: OtherCatalogs;
  /** What `GET api/health` reports, by dependency (the Hub, the container engine, builds). */
  health: () => Promise<Record<string, HealthCheck>>;
}

type ServerParams = { owner: string; name: string };

/** The server `owner/name` if `user` may do `operation` on it (see policy/access.ts). */
export function serverFor(
  store: Store,
  user: HubUser,
  { owner, name }: ServerParams,
  operation: Operation
): ServerRecord {
  const record = store.getServer(owner, name);
  authorize(
    operation,
    record ? serverRelation(user, record) : 'none',
    `server ${owner}/${name}`,
    owner
  );
  return record!;
}

/** A build `user` may read: one they asked for, one whose image runs a server they can see, or any for admins. */
export function buildFor(store: Store, user: HubUser, id: string): BuildRecord {
  const build = store.getBuild(id);
  const relation = !build
    ? 'none'
    : build.requestedBy === user.name
      ? 'owner'
      : user.admin
        ? 'admin'
        : store
              .allServers()
              .some(
                s =>
                  s.image === build.image && serverRelation(user, s) !== 'none'
              )
          ? 'collaborator'
          : 'none';
  authorize('build.read', relation, `build ${id}`, build?.requestedBy ?? '');
  return build!;
}

const userOf = (res: Response) => res.locals.user as HubUser;

/** The catalog a request asks for: `sort` (popular or recent) and `q` (search words). */
export function catalogFor(
  deps: Pick<ApiDeps, 'store' | 'site' | 'publicOrigin' | 'prefix'>,
  req: Request
) {
  const sort = req.query.sort === 'recent' ? 'recent' : 'popular';
  const search =
    typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : '';
  return {
    sort,
    search,
    entries: catalog(deps.store, deps.site, {
      origin: deps.publicOrigin,
      prefix: deps.prefix,
      now: new Date(),
      sort,
      search
    })
  } as const;
}

/** The days a usage report covers (`?days=`, 1 to 366; 30 by default). */
export function reportDays(req: Request): number {
  const given = req.query.days;
  if (given === undefined) return 30;
  const days = Number(given);
  if (
    typeof given !== 'string' ||
    !Number.isInteger(days) ||
    days < 1 ||
    days > 366
  )
    throw new EnvhubError(
      400,
      'bad_request',
      'days must be a whole number of days from 1 to 366'
    );
  return days;
}

/** The hub-wide usage report, for admins only. */
export async function hubUsageFor(
  deps: Pick<ApiDeps, 'hub' | 'store'>,
  user: HubUser,
  days: number
) {
  if (!user.admin)
    throw new EnvhubError(
      403,
      'forbidden',
      "only the Hub's admins see every user's usage; your own is at usage"
    );
  return hubReport(deps.store, await deps.hub.listGroups(), new Date(), days);
}

const COLLABORATORS_EXAMPLE = '{"users": ["bob"], "groups": ["team"]}';
const MOUNTS_EXAMPLE =
  '[{"source": "course-data", "target": "/mnt/data", "readOnly": true}]';
const MEMBERS_EXAMPLE =
  '{"users": [{"name": "bob", "readOnly": false}], "groups": [{"name": "students", "readOnly": true}]}';

/**
 * The REST API, the BinderHub-compatible launch stream and the Hub-facing internal API. Routes are
 * thin: they ask the access policy, call the domain and send its answer.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const { auth, hub, launcher, store, volumes } = deps;
  const router = Router();
  const describe = (
    user: HubUser,
    record: ServerRecord,
    context = viewContext(deps, user)
  ) => describeServer(hub, store, record, context);

  router.get('/api/health', async (_req, res) => {
    const body = await deps.health();
    res
      .status(Object.values(body).every(check => check.ok) ? 200 : 503)
      .json(body);
  });

  router.get('/badge.svg', (_req, res) => {
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=86400')
      .send(BADGE_SVG);
  });

  // Prometheus: a Hub token with the `read:metrics` scope, or an address the site allows.
  router.get('/metrics', async (req, res) => {
    const token = headerToken(req);
    const allowed =
      deps.site.metrics.allowFrom.includes(clientAddress(req)) ||
      (token !== undefined &&
        ((await hub.userForToken(token))?.scopes ?? []).includes(
          'read:metrics'
        ));
    if (!allowed)
      throw new EnvhubError(
        token ? 403 : 401,
        token ? 'forbidden' : 'unauthenticated',
        "metrics are for the Hub's admins and their Prometheus: send a Hub token with the read:metrics scope, or scrape from an address the site configuration lists in metrics.allowFrom"
      );
    res
      .type(metrics.registry.contentType)
      .send(await metrics.registry.metrics());
  });

  // The catalog as JSON: for signed-in users, or for anyone (another hub) where the site says so.
  const catalogReaders = deps.site.catalog.public
    ? (_req: Request, res: Response, next: () => void) => {
        res.set('Access-Control-Allow-Origin', '*');
        next();
      }
    : auth.require('api');
  router.get('/api/catalog', catalogReaders, (req, res) => {
    const { sort, search, entries } = catalogFor(deps, req);
    res.json({ sort, search, entries });
  });

  // Your settings: whether your launches count in the catalog.
  router.put('/api/settings', auth.require('api'), (req, res) => {
    const { hideLaunches } = jsonBody(
      req,
      'object',
      '{"hideLaunches": true}'
    ) as { hideLaunches?: unknown };
    if (typeof hideLaunches !== 'boolean')
      throw new EnvhubError(
        400,
        'invalid_body',
        'hideLaunches must be true (leave your launches out of the catalog) or false'
      );
    const user = userOf(res).name;
    store.setHideLaunches(user, hideLaunches);
    res.json({ hideLaunches: store.hidesLaunches(user) });
  });

  router.get('/api/settings', auth.require('api'), (_req, res) => {
    res.json({ hideLaunches: store.hidesLaunches(userOf(res).name) });
  });

  // Usage accounting: your own servers, or (admins, scope=hub) everyone's; JSON or CSV.
  router.get('/api/usage', auth.require('api'), async (req, res) => {
    const user = userOf(res);
    const days = reportDays(req);
    const report =
      req.query.scope === 'hub'
        ? await hubUsageFor(deps, user, days)
        : {
            ...userReport(store, user.name, new Date(), days),
            quota: await deps.quotas.status(user.name)
          };
    if (req.query.format === 'csv')
      res
        .type('text/csv')
        .attachment(`envhub-usage-${report.from}-${report.to}.csv`)
        .send(usageCsv(report.days));
    else res.json(report);
  });

  router.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.prefix));
  });

  router.get('/api/servers', auth.require('api'), async (_req, res) => {
    const user = userOf(res);
    const context = viewContext(deps, user);
    res.json({
      servers: await Promise.all(
        store
          .listServers(user.name)
          .map(record => describe(user, record, context))
      )
    });
  });

  router.get(
    '/api/servers/:owner/:name',
    auth.require('api'),
    async (req: Request<ServerParams>, res) => {
      const user = userOf(res);
      res.json(
        await describe(user, serverFor(store, user, req.params, 'server.read'))
      );
    }
  );

  /** A PUT that replaces one part of a server (owner or admin) and answers with its new view. */
  const replaceOnServer = (
    part: string,
    change: (owner: string, name: string, req: Request) => Promise<ServerRecord>
  ) =>
    router.put(
      `/api/servers/:owner/:name/${part}`,
      auth.require('api'),
      async (req: Request<ServerParams>, res) => {
        const user = userOf(res);
        const { owner, name } = serverFor(
          store,
          user,
          req.params,
          'server.manage'
        );
        res.json(await describe(user, await change(owner, name, req)));
      }
    );

  replaceOnServer('collaborators', (owner, name, req) =>
    launcher.setCollaborators(
      owner,
      name,
      jsonBody(req, 'object', COLLABORATORS_EXAMPLE)
    )
  );
  // Applied at the server's next start (the view says so with `mountsPending`).
  replaceOnServer('mounts', (owner, name, req) =>
    launcher.setMounts(owner, name, jsonBody(req, 'array', MOUNTS_EXAMPLE))
  );

  // Closing a server ends its visitors' sessions (in the background: the answer does not wait).
  replaceOnServer('public', async (owner, name, req) => {
    const record = await launcher.setPublic(
      owner,
      name,
      (jsonBody(req, 'object', '{"public": true}') as { public?: unknown })
        .public
    );
    if (!record.spec.public) void deps.sessions.endAll(owner, name);
    return record;
  });

  router.get('/api/sessions', auth.require('api'), (_req, res) => {
    res.json({ sessions: deps.sessions.visibleTo(userOf(res)) });
  });

  router.delete(
    '/api/sessions/:user',
    auth.require('api'),
    async (req: Request<{ user: string }>, res) => {
      const session = store.getSession(req.params.user);
      authorize(
        'session.end',
        session ? sessionRelation(userOf(res), session) : 'none',
        `session ${req.params.user}`,
        session?.owner ?? ''
      );
      await deps.sessions.end(req.params.user, 'ended');
      res.status(204).end();
    }
  );

  router.post(
    '/api/servers/:owner/:name/stop',
    auth.require('api'),
    async (req: Request<ServerParams>, res) => {
      const { owner, name } = serverFor(
        store,
        userOf(res),
        req.params,
        'server.stop'
      );
      await launcher.stop(owner, name);
      res.status(202).json({
        status: 202,
        message: `server ${owner}/${name} is stopping; its home is kept`
      });
    }
  );

  router.delete(
    '/api/servers/:owner/:name',
    auth.require('api'),
    async (req: Request<ServerParams>, res) => {
      const { owner, name } = serverFor(
        store,
        userOf(res),
        req.params,
        'server.delete'
      );
      await launcher.delete(owner, name);
      void deps.sessions.endAll(owner, name);
      res.status(204).end();
    }
  );

  // Each user's own credentials; nobody, admins included, reads another's, and no answer holds a secret.
  router.get('/api/credentials', auth.require('api'), (_req, res) => {
    res.json({
      credentials: deps.credentials.list(userOf(res).name),
      singleSignOnHosts: deps.credentials.singleSignOnHosts
    });
  });

  router.put(
    '/api/credentials/:host',
    auth.require('api'),
    (req: Request<{ host: string }>, res) => {
      res.json(
        deps.credentials.set(
          userOf(res).name,
          req.params.host,
          jsonBody(
            req,
            'object',
            '{"username": "alice", "token": "<a token or app password>"}'
          )
        )
      );
    }
  );

  router.delete(
    '/api/credentials/:host',
    auth.require('api'),
    (req: Request<{ host: string }>, res) => {
      deps.credentials.remove(userOf(res).name, req.params.host);
      res.status(204).end();
    }
  );

  router.get('/api/volumes', auth.require('api'), async (_req, res) => {
    res.json({ volumes: await volumes.list(userOf(res)) });
  });

  router.post('/api/volumes', auth.require('api'), async (req, res) => {
    const { name, webdav } = jsonBody(
      req,
      'object',
      '{"name": "course-data"} or {"name": "cloud", "webdav": "https://cloud.example.org/remote.php/dav/files/alice/Teaching/"}'
    ) as { name?: unknown; webdav?: unknown };
    res.status(201).json(await volumes.create(userOf(res), name, webdav));
  });

  router.get(
    '/api/volumes/:name',
    auth.require('api'),
    async (req: Request<{ name: string }>, res) => {
      res.json(await volumes.get(userOf(res), req.params.name));
    }
  );

  router.put(
    '/api/volumes/:name/members',
    auth.require('api'),
    async (req: Request<{ name: string }>, res) => {
      res.json(
        await volumes.setMembers(
          userOf(res),
          req.params.name,
          jsonBody(req, 'object', MEMBERS_EXAMPLE)
        )
      );
    }
  );

  router.delete(
    '/api/volumes/:name',
    auth.require('api'),
    async (req: Request<{ name: string }>, res) => {
      await volumes.remove(userOf(res), req.params.name);
      res.status(204).end();
    }
  );

  router.get(
    '/api/builds/:id',
    auth.require('api'),
    (req: Request<{ id: string }>, res) => {
      res.json(buildFor(store, userOf(res), req.params.id));
    }
  );

  // BinderHub's event stream: GET /build/<provider>/<spec>?<launch parameters>[&update=1|&relaunch=1|&restart=1]
  router.get(
    '/build/*spec',
    auth.require('api', { xsrf: true }),
    async (req, res) => {
      if (!String(req.get('Accept')).includes('text/event-stream')) {
        throw new EnvhubError(
          400,
          'accept',
          'this is an event stream: send "Accept: text/event-stream"'
        );
      }
      const path = req.originalUrl
        .split('?')[0]
        .slice(`${deps.prefix}build/`.length);
      const events = await launcher.launch(
        launchRequestFrom(
          path,
          new URL(req.originalUrl, 'http://x').searchParams,
          userOf(res).name,
          deps.publicOrigin
        )
      );
      await sendEventStream(res, events);
    }
  );

  router.use(classRoutes(auth, deps.classes));

  // A server launched with `credentials` reads its owner's credentials with its own token, and
  // nothing else may: not the owner's other tokens, not another server's, not a collaborator.
  router.get(
    '/api/servers/:owner/:name/credentials',
    auth.require('api', { serverTokens: true }),
    async (req: Request<ServerParams>, res) => {
      const { owner, name } = req.params;
      const user = userOf(res);
      const record = store.getServer(owner, name);
      const thisServer =
        user.name === owner &&
        user.scopes.includes(`access:servers!server=${owner}/${name}`) &&
        user.scopes.includes(`users:activity!user=${owner}`);
      if (!record || !thisServer)
        throw new EnvhubError(
          403,
          'forbidden',
          `only the server ${owner}/${name} itself, with its own token, may read the credentials its owner launched it with`
        );
      if (!record.spec.credentials)
        throw new EnvhubError(
          403,
          'forbidden',
          `server ${owner}/${name} was launched without credentials; launch it with credentials=1 to pass them`
        );
      // Asking the Hub with the server's own token has the Hub refresh its owner's sign-in first
      // (when auth_refresh_age has passed), so a single sign-on token that expires is renewed.
      const token = headerToken(req);
      if (token && deps.credentials.singleSignOnHosts.length > 0)
        await hub.userForToken(token);
      res.json({ credentials: await deps.credentials.forServer(owner) });
    }
  );

  // Called by the Hub's apply_user_options hook: the spawn config for a ticket. Not for users.
  router.post('/api/internal/spawn-config', async (req, res) => {
    const given = Buffer.from(
      req.get('Authorization')?.replace(/^token\s+/i, '') ?? ''
    );
    const secret = Buffer.from(deps.internalSecret);
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      throw new EnvhubError(
        403,
        'forbidden',
        'only the Hub may ask for spawn configurations'
      );
    }
    const {
      user,
      server,
      user_options: options
    } = jsonBody(
      req,
      'object',
      '{"user": ..., "server": ..., "user_options": {"ticket": ...}}'
    ) as {
      user?: unknown;
      server?: unknown;
      user_options?: unknown;
    };
    if (typeof user !== 'string' || typeof server !== 'string') {
      throw new EnvhubError(400, 'bad_request', 'user and server are required');
    }
    const ticket = (options as { ticket?: unknown } | undefined)?.ticket;
    const config =
      (await deps.sessions.spawnConfig(user, server, ticket)) ??
      (await launcher.spawnConfig(user, server, options));
    res.json(deps.swarm ? await deps.swarm.placed(config) : config);
  });

  return router;
}
