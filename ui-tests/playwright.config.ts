import base from '@jupyterlab/galata/lib/playwright-config.js';
import { defineConfig } from '@playwright/test';

/** galata's JupyterLab defaults, run in Debian's chromium (no browser download is possible here). */
export default defineConfig({
  ...base,
  testDir: 'tests',
  timeout: 300_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...base.use,
    trace: 'off',
    video: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  }
});
