import { jest } from '@jest/globals';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  hubUrl,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';

// Shiny apps of an R environment at shiny/<folder>/, as Binder links open them (envhub.shiny behind
// jupyter-server-proxy), against the real Hub, envhub, Docker, R and Shiny from Debian.
jest.setTimeout(900_000);

const user = `shiny-${Date.now().toString(36)}`;
let token: string;
let git: GitServer;

beforeAll(async () => {
  git = await GitServer.start();
  token = await tokenFor(user);
});
afterAll(() => git.stop());

test('a Binder link with urlpath=shiny/<folder>/ opens the app, behind the server sign-in', async () => {
  await git.commit('shiny', {
    'install.R': 'install.packages("shiny")\n',
    'hello/app.R': [
      'library(shiny)',
      'ui <- fluidPage(titlePanel("Hello from envhub"), textOutput("sum"))',
      'server <- function(input, output) output$sum <- renderText(1 + 2)',
      'shinyApp(ui, server)',
      ''
    ].join('\n'),
    'broken/app.R': 'library(envhubnosuchpkg)\n'
  });
  const { events, body } = await readEventStream(
    buildUrl(git.url('shiny'), 'main', {
      name: 'apps',
      urlpath: 'shiny/hello/'
    }),
    token
  );
  const ready = events.at(-1);
  expect(ready?.phase).toBe('ready');
  expect(body).toContain('[envhub] build pack: r');
  expect(ready?.url).toMatch(/\/user\/[^/]+\/apps\/shiny\/hello\/$/);

  const server = `${hubUrl}/user/${user}/apps/`;
  const get = (path: string, auth = true) =>
    fetch(new URL(path, server), {
      redirect: 'manual',
      headers: auth ? { Authorization: `token ${token}` } : {}
    });

  const index = await get('shiny/');
  expect(index.status).toBe(200);
  const listing = await index.text();
  expect(listing).toContain('<a href="./hello/">hello</a>');
  expect(listing).toContain('<a href="./broken/">broken</a>');

  // The app starts on a port of its own, reached through jupyter-server-proxy's proxy/<port>/.
  const opened = await get('shiny/hello/');
  expect(opened.status).toBe(302);
  const location = opened.headers.get('location') ?? '';
  expect(location).toMatch(/^\.\.\/\.\.\/proxy\/\d+\/$/);
  const app = new URL(location, new URL('shiny/hello/', server)).href;
  const page = await fetch(app, {
    headers: { Authorization: `token ${token}` }
  });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Hello from envhub');
  expect(html).toMatch(/shiny(\.min)?\.js/);
  // Nobody else: without the user's token the app is not served.
  expect((await fetch(app, { redirect: 'manual' })).status).not.toBe(200);

  // An app that fails shows R's own words.
  const broken = await get('shiny/broken/');
  expect(broken.status).toBe(502);
  expect(await broken.text()).toContain(
    'there is no package called ‘envhubnosuchpkg’'
  );
});
