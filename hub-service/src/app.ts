import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { apiRoutes, findReadableBuild, type ApiDeps } from './api/routes.js';
import { asEnvhubError } from './errors.js';
import type { HubUser } from './hub/hubClient.js';
import { describeServer } from './launches/serverView.js';
import { log } from './log.js';
import { buildPage } from './pages/buildPage.js';
import { homePage } from './pages/homePage.js';
import { html, layout } from './pages/html.js';

export type AppDeps = ApiDeps;

const clientScripts = fileURLToPath(new URL('./pages/client/', import.meta.url));
const stylesheets = fileURLToPath(new URL('../static/', import.meta.url));

/** Builds the express app; every route is mounted under the service prefix. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  router.use('/static', express.static(clientScripts, { index: false }), express.static(stylesheets, { index: false }));
  router.get('/oauth_callback', deps.auth.callback);

  router.get('/', deps.auth.require('page'), async (req, res) => {
    const user = res.locals.user as HubUser;
    const servers = await Promise.all(deps.store.listServers(user.name).map(record => describeServer(deps.hub, deps.store, record)));
    res.type('html').send(homePage({ prefix: deps.prefix, xsrf: deps.auth.xsrfToken(req, res), user: user.name, servers }));
  });

  router.get('/builds/:id', deps.auth.require('page'), (req: Request<{ id: string }>, res) => {
    res.type('html').send(buildPage(deps.prefix, findReadableBuild(res.locals.user as HubUser, req.params.id, deps.store)));
  });

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
