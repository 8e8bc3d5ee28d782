import { createRequire } from 'node:module';
import { ASSETS } from '../assets.js';
import express, { Router, type Request, type Response } from 'express';
import {
  editQuery,
  launchPath,
  specDiff,
  type ClassBody,
  type ValidEnvironmentSpec
} from '@envhub/schema';
import { formField } from '../api/body.js';
import { clientAddress } from '../api/clientAddress.js';
import {
  buildFor,
  catalogFor,
  hubUsageFor,
  reportDays,
  type ApiDeps
} from '../api/routes.js';
import { userReport } from '../usage/reports.js';
import { hubUsagePage, myUsagePage } from './usagePages.js';
import { catalogPage } from './catalogPage.js';
import type { EnvhubError } from '../errors.js';
import type { HubUser } from '../hub/hubClient.js';
import { environmentChanges } from '../launches/launcher.js';
import { launchRequestFrom } from '../launches/launchRequest.js';
import { describeServer, viewContext } from '../launches/serverView.js';
import { effectiveResources } from '../policy/siteConfig.js';
import { buildPage } from './buildPage.js';
import { classPage, newClassPage } from './classPages.js';
import { homePage } from './homePage.js';
import { publicPage } from './publicPages.js';
import { BROWSER_IMPORTS } from './html.js';
import { confirmPage, differsPage, launchPage } from './launchPages.js';

/** A comma-separated form field as a list of names. */
const namesIn = (req: Request, field: string): string[] =>
  (formField(req, field) ?? '')
    .split(',')
    .map(name => name.trim())
    .filter(Boolean);

/** The class form's fields as the API's body (a field left empty is left out). */
function classFromForm(req: Request): ClassBody {
  const text = (field: string) => formField(req, field)?.trim() || undefined;
  return {
    id: text('id'),
    title: text('title'),
    instructors: {
      users: namesIn(req, 'instructor_users'),
      groups: namesIn(req, 'instructor_groups')
    },
    students: {
      users: namesIn(req, 'student_users'),
      groups: namesIn(req, 'student_groups')
    },
    repo: text('repo'),
    ref: text('ref')
  };
}

const { clientScripts, stylesheets } = ASSETS;
/** Modules of `@envhub/schema` without imports, which pages load as they are (see BROWSER_IMPORTS). */
const resolveModule = createRequire(import.meta.url).resolve;
const BROWSER_MODULES = new Map<string, string>(
  BROWSER_IMPORTS.map(name => [name, resolveModule(`@envhub/schema/${name}`)])
);
/** The schema's JSON, which the launch-URL module imports (`../environment.schema.json` from it). */
const SCHEMA_JSON = resolveModule('@envhub/schema/environment.schema.json');
/** Files of envhub's own, at fixed paths: served even below a dot-folder (an installed `.venv`). */
const FIXED_FILE = { dotfiles: 'allow' } as const;

/** envhub's HTML pages: the home page, build logs and Binder-style launch links with their confirmation. */
export function pageRoutes(deps: ApiDeps): Router {
  const { auth, store, launcher } = deps;
  const router = Router();
  router.use(
    '/static',
    express.static(clientScripts, { index: false }),
    express.static(stylesheets, { index: false })
  );
  // The schema's browser modules, for the page script (mapped by the page's import map).
  router.get(
    '/static/schema/:module.js',
    (req: Request<{ module: string }>, res, next) => {
      const path = BROWSER_MODULES.get(req.params.module);
      if (path) res.type('text/javascript').sendFile(path, FIXED_FILE);
      else next();
    }
  );
  router.get('/static/environment.schema.json', (_req, res) => {
    res.type('application/json').sendFile(SCHEMA_JSON, FIXED_FILE);
  });
  router.get('/oauth_callback', auth.callback);

  router.get('/', auth.require('page'), async (req, res) => {
    const user = res.locals.user as HubUser;
    const context = viewContext(deps, user);
    const servers = await Promise.all(
      store
        .listServers(user.name)
        .map(record => describeServer(deps.hub, store, record, context))
    );
    // Lists come repeated (`materials=…&materials=…`), as launch links write them.
    const prefill = Object.fromEntries(
      Object.entries(req.query).filter(
        (entry): entry is [string, string | string[]] =>
          typeof entry[1] === 'string' ||
          (Array.isArray(entry[1]) &&
            entry[1].every(item => typeof item === 'string'))
      )
    );
    res.type('html').send(
      homePage({
        prefix: deps.prefix,
        xsrf: auth.xsrfToken(req),
        user: user.name,
        site: deps.site,
        servers,
        volumes: await deps.volumes.list(user),
        classes: await deps.classes.list(user),
        sessions: deps.sessions.visibleTo(user),
        credentials: deps.credentials.list(user.name),
        singleSignOnHosts: deps.credentials.singleSignOnHosts,
        hideLaunches: store.hidesLaunches(user.name),
        prefill
      })
    );
  });

  router.get('/catalog', auth.require('page'), async (req, res) => {
    res.type('html').send(
      catalogPage({
        prefix: deps.prefix,
        ...catalogFor(deps, req),
        others: await deps.otherCatalogs.list()
      })
    );
  });

  router.post('/settings', auth.require('page', { xsrf: true }), (req, res) => {
    store.setHideLaunches(
      (res.locals.user as HubUser).name,
      formField(req, 'hide_launches') === '1'
    );
    res.redirect(303, `${deps.prefix}#envhub-settings`);
  });

  router.get('/usage', auth.require('page'), async (req, res) => {
    const user = res.locals.user as HubUser;
    res
      .type('html')
      .send(
        await myUsagePage(
          deps.prefix,
          userReport(store, user.name, new Date(), reportDays(req)),
          await deps.quotas.status(user.name),
          deps.usageIntervalMs
        )
      );
  });

  router.get('/admin/usage', auth.require('page'), async (req, res) => {
    const report = await hubUsageFor(
      deps,
      res.locals.user as HubUser,
      reportDays(req)
    );
    res.type('html').send(await hubUsagePage(deps.prefix, report));
  });

  router.get(
    '/builds/:id',
    auth.require('page'),
    (req: Request<{ id: string }>, res) => {
      res
        .type('html')
        .send(
          buildPage(
            deps.prefix,
            buildFor(store, res.locals.user as HubUser, req.params.id)
          )
        );
    }
  );

  router.get(
    '/classes/:id',
    auth.require('page'),
    async (req: Request<{ id: string }>, res) => {
      const user = res.locals.user as HubUser;
      const xsrf = auth.xsrfToken(req);
      let found;
      try {
        found = await deps.classes.withAssignments(user, req.params.id);
      } catch (err) {
        if ((err as EnvhubError).status !== 404) throw err;
        res
          .status(404)
          .type('html')
          .send(newClassPage(deps.prefix, xsrf, req.params.id));
        return;
      }
      res
        .type('html')
        .send(classPage(deps.prefix, xsrf, found.view, found.assignments));
    }
  );

  router.post(
    '/classes',
    auth.require('page', { xsrf: true }),
    async (req, res) => {
      const view = await deps.classes.create(
        res.locals.user as HubUser,
        classFromForm(req)
      );
      res.redirect(303, `${deps.prefix}classes/${view.id}`);
    }
  );

  router.post(
    '/classes/:id/members',
    auth.require('page', { xsrf: true }),
    async (req: Request<{ id: string }>, res) => {
      const { id: _id, ...members } = classFromForm(req);
      await deps.classes.setMembers(
        res.locals.user as HubUser,
        req.params.id,
        members
      );
      res.redirect(303, `${deps.prefix}classes/${req.params.id}`);
    }
  );

  // A public server's page and the start of a visitor's temporary session: no sign-in.
  router.get(
    '/public/:owner/:name',
    (req: Request<{ owner: string; name: string }>, res) => {
      const record = deps.sessions.publicServer(
        req.params.owner,
        req.params.name
      );
      res
        .type('html')
        .send(publicPage(deps.prefix, record, deps.site.publicSessions));
    }
  );
  router.post(
    '/public/:owner/:name',
    async (req: Request<{ owner: string; name: string }>, res) => {
      const handoff = await deps.sessions.open(
        req.params.owner,
        req.params.name,
        clientAddress(req)
      );
      res.set('Set-Cookie', handoff.cookies).redirect(303, handoff.location);
    }
  );

  // Binder-style launch links: /v2/<provider>/<spec>?<launch parameters>. A link from outside this
  // hub is confirmed first; the launch page then follows the launch stream.
  const v2 = async (req: Request, res: Response, confirmed: boolean) => {
    const user = res.locals.user as HubUser;
    const path = req.originalUrl
      .split('?')[0]
      .slice(`${deps.prefix}v2/`.length);
    const url = new URL(req.originalUrl, 'http://x');
    const query = url.search;
    const origin = deps.publicOrigin;
    const request = launchRequestFrom(
      path,
      url.searchParams,
      user.name,
      origin
    );
    const xsrf = auth.xsrfToken(req);
    const canonical = launchPath(request.spec);
    const page = {
      prefix: deps.prefix,
      xsrf,
      spec: request.spec,
      launch: `v2/${path}${query}`,
      editUrl: `${deps.prefix}?${editQuery(request.spec)}`
    };
    try {
      await launcher.admit(request);
    } catch (err) {
      const existing = store.getServer(user.name, request.spec.name);
      if ((err as EnvhubError).code === 'spec_differs' && existing) {
        const current = existing.spec as ValidEnvironmentSpec;
        // Materials changes alone reconnect (and are pulled); beside others they are shown too.
        const changes = [
          ...environmentChanges(current, request.spec),
          ...specDiff(current, request.spec).filter(
            d => d.field === 'materials'
          )
        ];
        res
          .status(409)
          .type('html')
          .send(
            differsPage({
              ...page,
              editUrl: `${deps.prefix}?${editQuery({ ...request.spec, name: '' })}`,
              changes
            })
          );
        return;
      }
      throw err;
    }
    // Only envhub's own pages and the Hub's count as "this hub": users' servers share the origin.
    const referer = req.get('Referer') ?? '';
    const fromThisHub =
      referer.startsWith(`${origin}${deps.prefix}`) ||
      referer.startsWith(`${origin}${deps.hubBaseUrl}hub/`);
    if (
      !confirmed &&
      !fromThisHub &&
      !store.isTrustedLaunch(user.name, canonical)
    ) {
      res.type('html').send(
        confirmPage({
          ...page,
          resources: effectiveResources(request.spec, deps.site)
        })
      );
      return;
    }
    if (confirmed && formField(req, 'remember') === '1')
      store.trustLaunch(user.name, canonical);
    res.type('html').send(
      launchPage({
        prefix: deps.prefix,
        xsrf,
        spec: request.spec,
        buildUrl: `${deps.prefix}build/${path}${query}`
      })
    );
  };
  router.get('/v2/*spec', auth.require('page'), (req, res) =>
    v2(req, res, false)
  );
  router.post('/v2/*spec', auth.require('page', { xsrf: true }), (req, res) =>
    v2(req, res, true)
  );
  return router;
}
