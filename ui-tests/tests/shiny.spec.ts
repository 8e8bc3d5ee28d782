import { expect, test } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { hubUrl } from '../../hub-service/test/support/hubSession.js';
import { signIn } from './signIn.js';

// A Binder link to a Shiny app of an R environment (urlpath=shiny/<folder>/), followed in a real
// browser against the real Hub + envhub + Docker: the app's page and its websocket both work
// through the server's proxy.
let git: GitServer;
test.beforeAll(async () => {
  git = await GitServer.start();
});
test.afterAll(async () => {
  await git.stop();
});

test('a Shiny app opens from its Binder link and answers its inputs', async ({
  page
}) => {
  test.setTimeout(600_000);
  await git.commit('shiny-ui', {
    'install.R': 'install.packages("shiny")\n',
    'dash/app.R': [
      'library(shiny)',
      'ui <- fluidPage(titlePanel("Squares"), numericInput("n", "n", 3), textOutput("square"))',
      'server <- function(input, output) output$square <- renderText(paste("square:", input$n^2))',
      'shinyApp(ui, server)',
      ''
    ].join('\n')
  });
  const user = `shiny-ui-${Date.now().toString(36)}`;
  await signIn(page, user);
  await page.goto(
    `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(git.url('shiny-ui'))}/main?name=dash&urlpath=shiny/dash/`
  );
  await page.click('#envhub-proceed');
  // From shiny/dash/ the router sends the browser to the app's port, behind the server's proxy.
  await page.waitForURL(new RegExp(`/user/${user}/dash/proxy/\\d+/$`), {
    timeout: 480_000
  });
  await expect(page.locator('h2')).toHaveText('Squares');
  // Outputs come over Shiny's websocket: they follow the input.
  await expect(page.locator('#square')).toHaveText('square: 9', {
    timeout: 60_000
  });
  await page.fill('#n', '12');
  await expect(page.locator('#square')).toHaveText('square: 144');
});
