import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type Docker from 'dockerode';
import type { HubAuth } from '../auth/hubAuth.js';
import { sendEventStream } from '../builds/eventStream.js';
import { EnvhubError } from '../errors.js';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import type { Launcher } from '../launches/launcher.js';
import { canSee, describeServer } from '../launches/serverView.js';
import { launchRequestFrom } from '../launches/launchRequest.js';
import { BADGE_SVG } from '../pages/badge.js';
import { openApiDocument } from './openapi.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import type { BuildRecord, ServerRecord, Store } from '../store/store.js';
import type { Volumes } from '../volumes/volumes.js';

export interface ApiDeps {
  site: SiteConfig;
  /** The Hub's base URL path, e.g. `/`. */
  hubBaseUrl: string;
  prefix: string;
  internalSecret: string;
  publicUrl?: string;
  hub: HubClient;
  auth: HubAuth;
  launcher: Launcher;
  store: Store;
  docker: Docker;
  volumes: Volumes;
}

/** Where browsers reach this hub: configured, or the origin the request came in on. */
export function publicOrigin(req: Request, configured?: string): string {
  if (configured) return new URL(configured).origin;
  const proto = req.get('X-Forwarded-Proto')?.split(',')[0].trim() ?? req.protocol;
  return `${proto}://${req.get('X-Forwarded-Host') ?? req.get('host')}`;
}

/** Who may read a build's log: whoever asked for it, owners of servers running its image, admins. */
function canReadBuild(user: HubUser, build: BuildRecord, store: Store): boolean {
  return Boolean(user.admin) || build.requestedBy === user.name || store.listServers(user.name).some(s => s.image === build.image);
}

export function findReadableBuild(user: HubUser, id: string, store: Store): BuildRecord {
  const build = store.getBuild(id);
  if (!build || !canReadBuild(user, build, store)) throw new EnvhubError(404, 'not_found', `envhub has no build ${id} that you can see`);
  return build;
}

/** The REST API, the BinderHub-compatible build stream and the Hub-facing internal API. */
export function apiRoutes(deps: ApiDeps): Router {
  const { auth, hub, launcher, store, volumes } = deps;
  const router = Router();

  router.get('/api/health', async (_req, res) => {
    const checks = await Promise.allSettled([hub.version(), deps.docker.ping()]);
    const [hubCheck, dockerCheck] = checks;
    const body = {
      hub: hubCheck.status === 'fulfilled' ? { ok: true, version: hubCheck.value } : { ok: false, message: (hubCheck.reason as Error).message },
      docker: dockerCheck.status === 'fulfilled' ? { ok: true } : { ok: false, message: (dockerCheck.reason as Error).message }
    };
    res.status(body.hub.ok && body.docker.ok ? 200 : 503).json(body);
  });

  const describe = (req: Request, user: HubUser, record: ServerRecord) =>
    describeServer(hub, store, record, { origin: publicOrigin(req, deps.publicUrl), prefix: deps.prefix, site: deps.site, viewer: user, volumes });

  router.get('/api/servers', auth.require('api'), async (_req, res) => {
    const user = res.locals.user as HubUser;
    res.json({ servers: await Promise.all(store.listServers(user.name).map(record => describe(_req, user, record))) });
  });

  const ownServer = (req: Request<{ owner: string; name: string }>, user: HubUser) => {
    if (req.params.owner !== user.name && !user.admin) {
      throw new EnvhubError(404, 'not_found', `envhub has no server ${req.params.owner}/${req.params.name} that you can see`);
    }
    return req.params;
  };

  /** The record of a server `user` may see (owner, admin, collaborator); 404 otherwise. */
  const visible = (req: Request<{ owner: string; name: string }>, user: HubUser) => {
    const record = store.getServer(req.params.owner, req.params.name);
    if (!record || !canSee(user, record)) {
      throw new EnvhubError(404, 'not_found', `envhub has no server ${req.params.owner}/${req.params.name} that you can see`);
    }
    return record;
  };

  router.get('/api/servers/:owner/:name', auth.require('api'), async (req: Request<{ owner: string; name: string }>, res) => {
    const user = res.locals.user as HubUser;
    res.json(await describe(req, user, visible(req, user)));
  });

  router.put('/api/servers/:owner/:name/collaborators', auth.require('api'), async (req: Request<{ owner: string; name: string }>, res) => {
    const user = res.locals.user as HubUser;
    visible(req, user);
    const { owner, name } = ownServer(req, user);
    const record = await launcher.setCollaborators(owner, name, req.body);
    res.json(await describe(req, user, record));
  });

  // Applied at the server's next start (the view says so with `mountsPending`).
  router.put('/api/servers/:owner/:name/mounts', auth.require('api'), async (req: Request<{ owner: string; name: string }>, res) => {
    const user = res.locals.user as HubUser;
    visible(req, user);
    const { owner, name } = ownServer(req, user);
    const record = await launcher.setMounts(owner, name, req.body);
    res.json(await describe(req, user, record));
  });

  router.get('/api/volumes', auth.require('api'), async (_req, res) => {
    res.json({ volumes: await volumes.list(res.locals.user as HubUser) });
  });

  router.post('/api/volumes', auth.require('api'), async (req, res) => {
    const created = await volumes.create(res.locals.user as HubUser, (req.body as { name?: unknown } | undefined)?.name);
    res.status(201).json(created);
  });

  router.get('/api/volumes/:name', auth.require('api'), async (req: Request<{ name: string }>, res) => {
    res.json(await volumes.get(res.locals.user as HubUser, req.params.name));
  });

  router.put('/api/volumes/:name/members', auth.require('api'), async (req: Request<{ name: string }>, res) => {
    res.json(await volumes.setMembers(res.locals.user as HubUser, req.params.name, req.body));
  });

  router.delete('/api/volumes/:name', auth.require('api'), async (req: Request<{ name: string }>, res) => {
    await volumes.remove(res.locals.user as HubUser, req.params.name);
    res.status(204).end();
  });

  router.post('/api/servers/:owner/:name/stop', auth.require('api'), async (req: Request<{ owner: string; name: string }>, res) => {
    const { owner, name } = ownServer(req, res.locals.user as HubUser);
    await launcher.stop(owner, name);
    res.status(202).json({ status: 202, message: `server ${owner}/${name} is stopping; its home is kept` });
  });

  router.delete('/api/servers/:owner/:name', auth.require('api'), async (req: Request<{ owner: string; name: string }>, res) => {
    const { owner, name } = ownServer(req, res.locals.user as HubUser);
    await launcher.delete(owner, name, async volume => {
      await deps.docker.getVolume(volume).remove().catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
    });
    res.status(204).end();
  });

  router.get('/badge.svg', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(BADGE_SVG);
  });

  router.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.prefix));
  });

  router.get('/api/builds/:id', auth.require('api'), (req: Request<{ id: string }>, res) => {
    res.json(findReadableBuild(res.locals.user as HubUser, req.params.id, store));
  });

  // BinderHub's event stream: GET /build/<provider>/<spec>?<launch parameters>[&update=1|&relaunch=1]
  router.get('/build/*spec', auth.require('api', { xsrf: true }), async (req, res) => {
    if (!req.accepts('text/event-stream') || !String(req.get('Accept')).includes('text/event-stream')) {
      throw new EnvhubError(400, 'accept', 'this is an event stream: send "Accept: text/event-stream"');
    }
    const path = req.originalUrl.split('?')[0].slice(`${deps.prefix}build/`.length);
    const user = res.locals.user as HubUser;
    const events = await launcher.launch(launchRequestFrom(path, req.query, user.name, publicOrigin(req, deps.publicUrl)));
    await sendEventStream(res, events);
  });

  // Called by the Hub's apply_user_options hook: the spawn config for a ticket. Not for users.
  router.post('/api/internal/spawn-config', async (req, res) => {
    const given = Buffer.from(req.get('Authorization')?.replace(/^token\s+/i, '') ?? '');
    const secret = Buffer.from(deps.internalSecret);
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      throw new EnvhubError(403, 'forbidden', 'only the Hub may ask for spawn configurations');
    }
    const { user, server, user_options: options } = (req.body ?? {}) as { user?: string; server?: string; user_options?: Record<string, unknown> };
    if (typeof user !== 'string' || typeof server !== 'string') {
      throw new EnvhubError(400, 'bad_request', 'user and server are required');
    }
    const extra = Object.keys(options ?? {}).filter(key => key !== 'ticket');
    if (extra.length > 0 || (options?.ticket !== undefined && typeof options.ticket !== 'string')) {
      throw new EnvhubError(400, 'user_options', `user_options may carry only an envhub launch ticket (got: ${extra.join(', ') || 'a non-string ticket'}); launch servers through envhub`);
    }
    res.json(await launcher.spawnConfig(user, server, options?.ticket as string | undefined));
  });

  return router;
}
