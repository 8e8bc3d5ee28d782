import type { Page } from '@playwright/test';
import { hubUrl, password } from '../../hub-service/test/support/hubSession.js';

/** Signs `user` in through the Hub's login form, as a person would. */
export async function signIn(page: Page, user: string): Promise<void> {
  await page.goto(`${hubUrl}/hub/login`);
  await page.fill('#username_input', user);
  await page.fill('#password_input', password);
  await page.click('#login_submit');
  await page.waitForURL(url => !url.pathname.endsWith('/hub/login'));
}
