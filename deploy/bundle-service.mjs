// Bundles the envhub service into the Python package (envhub/bundle/), so that the wheel carries
// it: server.mjs (esbuild: the service and its JavaScript dependencies in one file) and the files
// it reads at run time (page scripts, stylesheets, the seccomp profile, the schema's browser
// modules), plus better-sqlite3, whose compiled part cannot be bundled: its JavaScript and
// better_sqlite3.node as built here for Node.js 20 on this platform (see pyproject.toml).
// Run after `npm run build` (the page scripts and the schema are compiled JavaScript).
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'envhub', 'bundle');
const require = createRequire(join(root, 'hub-service', 'package.json'));
/** The folder of an installed package, as the service resolves it. */
const packageDir = name => dirname(require.resolve(`${name}/package.json`));

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'hub-service', 'src', 'server.ts')],
  outfile: join(out, 'server.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2 (through dockerode) tries its optional addons and does without them: envhub reaches Docker
  // through a socket or TCP, never SSH.
  external: ['better-sqlite3', 'cpu-features', '*.node'],
  define: { ENVHUB_BUNDLED: 'true' },
  // CommonJS dependencies call require() and read __dirname; an ES module has neither of its own.
  banner: {
    js: [
      "import { createRequire as envhubRequire } from 'node:module';",
      "import { dirname as envhubDirname } from 'node:path';",
      "import { fileURLToPath as envhubPath } from 'node:url';",
      'const require = envhubRequire(import.meta.url);',
      'const __filename = envhubPath(import.meta.url);',
      'const __dirname = envhubDirname(__filename);'
    ].join(' ')
  },
  logLevel: 'warning'
});

const copy = (from, to, filter) =>
  cpSync(from, join(out, to), { recursive: true, filter });
const compiled = path => !path.endsWith('.d.ts') && !path.endsWith('.map');
copy(join(root, 'hub-service', 'dist', 'pages', 'client'), 'client', compiled);
copy(join(root, 'hub-service', 'static'), 'static');
copy(join(root, 'deploy', 'docker', 'seccomp.json'), 'seccomp.json');
// Served to pages as they are (see pages/routes.ts), resolved from the bundle's node_modules.
const schema = join(root, 'schema');
mkdirSync(join(out, 'node_modules', '@envhub', 'schema'), { recursive: true });
copy(join(schema, 'package.json'), 'node_modules/@envhub/schema/package.json');
copy(join(schema, 'dist'), 'node_modules/@envhub/schema/dist', compiled);
for (const file of readdirSync(schema).filter(f => f.endsWith('.schema.json')))
  copy(join(schema, file), `node_modules/@envhub/schema/${file}`);
// better-sqlite3: its JavaScript, its compiled addon, and `bindings`, which finds the addon.
const sqlite = packageDir('better-sqlite3');
const sqliteOut = 'node_modules/better-sqlite3';
copy(join(sqlite, 'package.json'), `${sqliteOut}/package.json`);
copy(join(sqlite, 'lib'), `${sqliteOut}/lib`);
copy(
  join(sqlite, 'build', 'Release', 'better_sqlite3.node'),
  `${sqliteOut}/build/Release/better_sqlite3.node`
);
const sqliteRequire = createRequire(join(sqlite, 'package.json'));
const bindings = dirname(sqliteRequire.resolve('bindings/package.json'));
copy(bindings, 'node_modules/bindings');
const fileUri = createRequire(join(bindings, 'package.json')).resolve(
  'file-uri-to-path/package.json'
);
copy(dirname(fileUri), 'node_modules/file-uri-to-path');
console.log(`bundled the service into ${out}`);
