import { baseImage, runIn } from '../support/builds.js';

// The single-user base image as `make build` makes it, checked from inside (envhub/base_image).

test('a server starts without importing what it never uses: the Hub database layer, the IRI grammar', async () => {
  const out = await runIn(baseImage, [
    'python',
    '-c',
    [
      'import sys, jupyterlab.labapp, jupyterhub.singleuser.extension',
      "heavy = ('sqlalchemy', 'alembic', 'jupyterhub.orm', 'rfc3987_syntax', 'lark')",
      'print(sorted(m for m in heavy if m in sys.modules))',
      // What the deferred imports stand for still works once asked for.
      'from jupyterhub import scopes',
      'print(scopes.orm.User.__tablename__)'
    ].join('\n')
  ]);
  expect(out.trim().split('\n')).toEqual(['[]', 'users']);
});
