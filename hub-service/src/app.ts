import express, {
  type NextFunction,
  type Request,
  type Response
} from 'express';
import { parseBodies } from './api/body.js';
import { apiRoutes, type ApiDeps } from './api/routes.js';
import { asEnvhubError } from './errors.js';
import { log } from './log.js';
import { html, layout } from './pages/html.js';
import { pageRoutes } from './pages/routes.js';

export type AppDeps = ApiDeps;

/** Builds the express app; every route is mounted under the service prefix. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Forwarded headers are not trusted: links use the configured public origin, never the request's.
  app.set('trust proxy', false);
  // envhub's pages are never framed (users' servers share this origin).
  app.use((_req, res, next) => {
    res.set('Content-Security-Policy', "frame-ancestors 'none'");
    next();
  });
  const router = express.Router();
  // Uploads to the nbgrader exchange (releases, submissions, feedback) may be larger than other bodies.
  router.use(
    parseBodies({
      path: /^\/api\/classes\/[^/]+\/assignments\/[^/]+(?:\/submissions|\/feedback\/[^/]+)?$/,
      bytes: deps.site.exchange.maxBytes
    })
  );
  router.use(pageRoutes(deps));
  router.use(apiRoutes(deps));
  app.use(deps.prefix, router);

  app.use((req, res) => {
    res.status(404).json({
      status: 404,
      code: 'not_found',
      message: `envhub has nothing at ${req.path}`
    });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = asEnvhubError(err);
    if (error.status >= 500)
      log.error('request.failed', {
        path: req.path,
        error: (err as Error)?.message
      });
    if (res.headersSent) {
      res.end();
      return;
    }
    const wantsHtml =
      req.accepts(['json', 'html']) === 'html' &&
      !req.path.startsWith(`${deps.prefix}api/`);
    if (wantsHtml) {
      const body = html`<div class="envhub-error">
        <h1>${error.message}</h1>
        <p><a href="${deps.prefix}">Back to envhub</a></p>
      </div>`;
      res
        .status(error.status)
        .type('html')
        .send(layout({ title: 'Error', prefix: deps.prefix, body }));
      return;
    }
    res.status(error.status).json(error);
  });
  return app;
}
