#!/usr/bin/env node
// rclone serve webdav's --auth-proxy: reads {"user", "pass"} on stdin and prints the backend the
// account reaches (ENVHUB_TEST_DAV_ROOT), or exits non-zero to refuse it. Accounts come from
// ENVHUB_TEST_DAV_ACCOUNTS: {"<user>": {"password": "...", "readOnly": false}}; the test server's
// front passes users whose single sign-on token it checked with ENVHUB_TEST_DAV_FRONT_SECRET.
import { readFileSync } from 'node:fs';

const { user, pass } = JSON.parse(readFileSync(0, 'utf8'));
const account = JSON.parse(process.env.ENVHUB_TEST_DAV_ACCOUNTS)[user];
if (
  !(account && account.password === pass) &&
  pass !== process.env.ENVHUB_TEST_DAV_FRONT_SECRET
)
  process.exit(1);
console.log(
  JSON.stringify({ type: 'local', _root: process.env.ENVHUB_TEST_DAV_ROOT })
);
