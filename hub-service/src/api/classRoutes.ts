import { Router, type Request, type Response } from 'express';
import type { HubAuth } from '../auth/hubAuth.js';
import type { Classes } from '../classes/classes.js';
import type { HubUser } from '../hub/hubClient.js';
import { metrics } from '../usage/metrics.js';
import { jsonBody } from './body.js';

type ClassParams = { id: string };
type AssignmentParams = ClassParams & { assignment: string };

const userOf = (res: Response) => res.locals.user as HubUser;
const CLASS_EXAMPLE =
  '{"id": "intro101", "instructors": {"users": ["alice"]}, "students": {"groups": ["intro101-students"]}}';
const FILES_EXAMPLE =
  '{"files": [{"path": "ps1.ipynb", "content": "<base64>"}]}';
const classBody = (req: Request) => jsonBody(req, 'object', CLASS_EXAMPLE);
const files = (req: Request) => jsonBody(req, 'object', FILES_EXAMPLE);

/**
 * Classes and the nbgrader exchange (schema/src/classes.ts lists the routes and who may call
 * them). The caller is whoever the Hub says owns the token or session, also a token of one of the
 * caller's own servers; every rule is in Classes.
 */
export function classRoutes(auth: HubAuth, classes: Classes): Router {
  const router = Router();
  const api = auth.require('api');
  // The exchange in a user's server calls with that server's own Hub token: reads and the
  // exchange's writes, not creating, changing or deleting classes.
  const exchange = auth.require('api', { serverTokens: true });
  const base = '/api/classes/:id/assignments/:assignment';

  // The exchange's operations, counted by kind and outcome for the metrics.
  router.use(base, (req, res, next) => {
    const operation = exchangeOperation(req.method, req.path);
    if (operation)
      res.on('finish', () =>
        metrics.exchangeOperations.inc({
          operation,
          status: res.statusCode < 400 ? 'success' : 'failure'
        })
      );
    next();
  });

  router.get('/api/classes', exchange, async (_req, res) => {
    res.json({ classes: await classes.list(userOf(res)) });
  });

  router.post('/api/classes', api, async (req, res) => {
    res.status(201).json(await classes.create(userOf(res), classBody(req)));
  });

  router.get(
    '/api/classes/:id',
    exchange,
    async (req: Request<ClassParams>, res) => {
      res.json(await classes.get(userOf(res), req.params.id));
    }
  );

  router.put(
    '/api/classes/:id/members',
    api,
    async (req: Request<ClassParams>, res) => {
      res.json(
        await classes.setMembers(userOf(res), req.params.id, classBody(req))
      );
    }
  );

  router.delete(
    '/api/classes/:id',
    api,
    async (req: Request<ClassParams>, res) => {
      await classes.remove(userOf(res), req.params.id);
      res.status(204).end();
    }
  );

  router.get(
    '/api/classes/:id/assignments',
    exchange,
    async (req: Request<ClassParams>, res) => {
      res.json({
        assignments: await classes.assignments(userOf(res), req.params.id)
      });
    }
  );

  router.put(base, exchange, async (req: Request<AssignmentParams>, res) => {
    const { id, assignment } = req.params;
    res.json(await classes.release(userOf(res), id, assignment, files(req)));
  });

  router.delete(base, exchange, async (req: Request<AssignmentParams>, res) => {
    const { id, assignment } = req.params;
    await classes.withdraw(userOf(res), id, assignment);
    res.status(204).end();
  });

  router.get(
    `${base}/files`,
    exchange,
    async (req: Request<AssignmentParams>, res) => {
      const { id, assignment } = req.params;
      res.json(await classes.releasedFiles(userOf(res), id, assignment));
    }
  );

  router.post(
    `${base}/submissions`,
    exchange,
    async (req: Request<AssignmentParams>, res) => {
      const { id, assignment } = req.params;
      res
        .status(201)
        .json(await classes.submit(userOf(res), id, assignment, files(req)));
    }
  );

  router.get(
    `${base}/submissions`,
    exchange,
    async (req: Request<AssignmentParams>, res) => {
      const { id, assignment } = req.params;
      const student = req.query.student;
      res.json({
        submissions: await classes.submissions(
          userOf(res),
          id,
          assignment,
          typeof student === 'string' ? student : undefined
        )
      });
    }
  );

  router.get(
    `${base}/submissions/:submission`,
    exchange,
    async (req: Request<AssignmentParams & { submission: string }>, res) => {
      const { id, assignment, submission } = req.params;
      res.json(
        await classes.submission(userOf(res), id, assignment, submission)
      );
    }
  );

  router.put(
    `${base}/feedback/:student`,
    exchange,
    async (req: Request<AssignmentParams & { student: string }>, res) => {
      const { id, assignment, student } = req.params;
      res.json(
        await classes.releaseFeedback(
          userOf(res),
          id,
          assignment,
          student,
          files(req)
        )
      );
    }
  );

  router.get(
    `${base}/feedback`,
    exchange,
    async (req: Request<AssignmentParams>, res) => {
      const { id, assignment } = req.params;
      res.json({
        feedback: await classes.feedback(userOf(res), id, assignment)
      });
    }
  );

  return router;
}

/** The nbgrader exchange operation a request below an assignment is, by nbgrader's names. */
function exchangeOperation(method: string, path: string): string | null {
  const below = path.replace(/\/+$/, '').split('/')[1] ?? '';
  const key = `${method} ${below}${/^\/[^/]+\/[^/]+/.test(path) ? '/:item' : ''}`;
  return (
    {
      'PUT ': 'release_assignment',
      'DELETE ': 'withdraw_assignment',
      'GET files': 'fetch_assignment',
      'POST submissions': 'submit',
      'GET submissions': 'list_submissions',
      'GET submissions/:item': 'collect',
      'PUT feedback/:item': 'release_feedback',
      'GET feedback': 'fetch_feedback'
    }[key] ?? null
  );
}
