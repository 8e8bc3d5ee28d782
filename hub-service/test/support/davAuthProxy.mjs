#!/usr/bin/env node
// rclone serve webdav's --auth-proxy: reads {"user", "pass"} on stdin and prints the backend the
// account reaches (ENVHUB_TEST_DAV_ROOT), or exits non-zero to refuse it. Accounts come from
// ENVHUB_TEST_DAV_ACCOUNTS: {"<user>": {"password": "...", "readOnly": false}}.
import { readFileSync } from 'node:fs';

const { user, pass } = JSON.parse(readFileSync(0, 'utf8'));
const account = JSON.parse(process.env.ENVHUB_TEST_DAV_ACCOUNTS)[user];
if (!account || account.password !== pass) process.exit(1);
console.log(
  JSON.stringify({ type: 'local', _root: process.env.ENVHUB_TEST_DAV_ROOT })
);
