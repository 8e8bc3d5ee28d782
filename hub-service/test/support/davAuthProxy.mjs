#!/usr/bin/env node
// rclone serve webdav's --auth-proxy: reads {"user", "pass"} on stdin and prints the backend the
// account reaches (ENVHUB_TEST_DAV_ROOT), or exits non-zero to refuse it. Accounts come from
// ENVHUB_TEST_DAV_ACCOUNTS: {"<user>": {"password": "...", "readOnly": false}}. With
// ENVHUB_TEST_DAV_USERINFO (an OpenID Connect provider's userinfo endpoint), a single sign-on access
// token is a password too, for the user the provider says it belongs to, as Nextcloud's OIDC app
// accepts one.
import { readFileSync } from 'node:fs';

const { user, pass } = JSON.parse(readFileSync(0, 'utf8'));
const account = JSON.parse(process.env.ENVHUB_TEST_DAV_ACCOUNTS)[user];
const userinfo = process.env.ENVHUB_TEST_DAV_USERINFO;
async function tokenOf(name) {
  if (!userinfo) return false;
  const answer = await fetch(userinfo, {
    headers: { Authorization: `Bearer ${pass}` }
  }).catch(() => null);
  return answer?.ok && (await answer.json()).preferred_username === name;
}
if (!(account && account.password === pass) && !(await tokenOf(user)))
  process.exit(1);
console.log(
  JSON.stringify({ type: 'local', _root: process.env.ENVHUB_TEST_DAV_ROOT })
);
