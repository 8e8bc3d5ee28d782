import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { launchPath, launchQuery, type EnvironmentSpec, type ValidEnvironmentSpec } from '@envhub/schema';
import { apiRoutes, findReadableBuild, publicOrigin, type ApiDeps } from './api/routes.js';
import { asEnvhubError, type EnvhubError } from './errors.js';
import type { HubUser } from './hub/hubClient.js';
import { environmentChanges } from './launches/launcher.js';
import { launchRequestFrom } from './launches/launchRequest.js';
import { describeServer } from './launches/serverView.js';
import { confirmPage, differsPage, launchPage } from './pages/launchPages.js';
import { effectiveResources } from './policy/siteConfig.js';
import { log } from './log.js';
import { buildPage } from './pages/buildPage.js';
import { homePage } from './pages/homePage.js';
import { BROWSER_IMPORTS, html, layout } from './pages/html.js';

export type AppDeps = ApiDeps;

/** The home page's query that prefills its form with a spec. */
function editQuery(spec: EnvironmentSpec): string {
  const query = launchQuery(spec);
  query.set('repo', spec.repo);
  query.set('ref', spec.ref ?? 'HEAD');
  return query.toString();
}

const clientScripts = fileURLToPath(new URL('./pages/client/', import.meta.url));
const stylesheets = fileURLToPath(new URL('../static/', import.meta.url));
/** Modules of `@envhub/schema` without imports, which pages load as they are (see BROWSER_IMPORTS). */
const BROWSER_MODULES = new Map<string, string>(BROWSER_IMPORTS.map(name => [name, fileURLToPath(import.meta.resolve(`@envhub/schema/${name}`))]));

/** Builds the express app; every route is mounted under the service prefix. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // envhub's pages are never framed (users' servers share this origin).
  app.use((_req, res, next) => {
    res.set('Content-Security-Policy', "frame-ancestors 'none'");
    next();
  });
  app.set('trust proxy', 'loopback');
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }), express.urlencoded({ extended: false, limit: '64kb' }));
  router.use('/static', express.static(clientScripts, { index: false }), express.static(stylesheets, { index: false }));
  // The schema's browser modules, for the page script (mapped by the page's import map).
  router.get('/static/schema/:module.js', (req: Request<{ module: string }>, res, next) => {
    const path = BROWSER_MODULES.get(req.params.module);
    if (path) res.type('text/javascript').sendFile(path);
    else next();
  });
  router.get('/oauth_callback', deps.auth.callback);

  router.get('/', deps.auth.require('page'), async (req, res) => {
    const user = res.locals.user as HubUser;
    const context = { origin: publicOrigin(req, deps.publicUrl), prefix: deps.prefix, site: deps.site, viewer: user, volumes: deps.volumes };
    const servers = await Promise.all(deps.store.listServers(user.name).map(record => describeServer(deps.hub, deps.store, record, context)));
    const prefill = Object.fromEntries(Object.entries(req.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    res.type('html').send(
      homePage({ prefix: deps.prefix, xsrf: deps.auth.xsrfToken(req, res), user: user.name, site: deps.site, servers, volumes: await deps.volumes.list(user), prefill })
    );
  });

  router.get('/builds/:id', deps.auth.require('page'), (req: Request<{ id: string }>, res) => {
    res.type('html').send(buildPage(deps.prefix, findReadableBuild(res.locals.user as HubUser, req.params.id, deps.store)));
  });

  // Binder-style launch links: /v2/<provider>/<spec>?<launch parameters>
  const v2 = async (req: Request, res: Response, confirmed: boolean) => {
    const user = res.locals.user as HubUser;
    const path = req.originalUrl.split('?')[0].slice(`${deps.prefix}v2/`.length);
    const query = new URL(req.originalUrl, 'http://x').search;
    const origin = publicOrigin(req, deps.publicUrl);
    const request = launchRequestFrom(path, req.query, user.name, origin);
    const xsrf = deps.auth.xsrfToken(req, res);
    const canonical = launchPath(request.spec);
    const page = { prefix: deps.prefix, xsrf, spec: request.spec, launch: `v2/${path}${query}`, editUrl: `${deps.prefix}?${editQuery(request.spec)}` };
    try {
      await deps.launcher.admit(request);
    } catch (err) {
      const existing = deps.store.getServer(user.name, request.spec.name);
      if ((err as EnvhubError).code === 'spec_differs' && existing) {
        const changes = environmentChanges(existing.spec as ValidEnvironmentSpec, request.spec);
        res.status(409).type('html').send(differsPage({ ...page, editUrl: `${deps.prefix}?${editQuery({ ...request.spec, name: '' })}`, changes }));
        return;
      }
      throw err;
    }
    // Only envhub's own pages and the Hub's count as "this hub": users' servers share the origin.
    const referer = req.get('Referer') ?? '';
    const fromThisHub = referer.startsWith(`${origin}${deps.prefix}`) || referer.startsWith(`${origin}${deps.hubBaseUrl}hub/`);
    if (!confirmed && !fromThisHub && !deps.store.isTrustedLaunch(user.name, canonical)) {
      res.type('html').send(confirmPage({ ...page, resources: effectiveResources(request.spec, deps.site) }));
      return;
    }
    if (confirmed && req.body?.remember === '1') deps.store.trustLaunch(user.name, canonical);
    res.type('html').send(launchPage({ prefix: deps.prefix, xsrf, spec: request.spec, buildUrl: `${deps.prefix}build/${path}${query}` }));
  };
  router.get('/v2/*spec', deps.auth.require('page'), (req, res) => v2(req, res, false));
  router.post('/v2/*spec', deps.auth.require('page', { xsrf: true }), (req, res) => v2(req, res, true));

  router.use(apiRoutes(deps));
  app.use(deps.prefix, router);

  app.use((req, res) => {
    res.status(404).json({ status: 404, code: 'not_found', message: `envhub has nothing at ${req.path}` });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = asEnvhubError(err);
    if (error.status >= 500) log.error('request.failed', { path: req.path, error: (err as Error).message });
    if (res.headersSent) {
      res.end();
      return;
    }
    const wantsHtml = req.accepts(['json', 'html']) === 'html' && !req.path.startsWith(`${deps.prefix}api/`);
    if (wantsHtml) {
      const body = html`<div class="envhub-error"><h1>${error.message}</h1><p><a href="${deps.prefix}">Back to envhub</a></p></div>`;
      res.status(error.status).type('html').send(layout({ title: 'Error', prefix: deps.prefix, body }));
      return;
    }
    res.status(error.status).json(error);
  });
  return app;
}
