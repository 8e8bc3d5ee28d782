// Prints one closing line for the whole suite, "N passed, N failed", from the jest and
// Playwright JSON reports in the given folder. Exits non-zero when a report is missing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
const expected = [
  'unit-schema.json',
  'unit-hub-service.json',
  'unit-lab-extension.json',
  'integration.json',
  'ui.json'
];
const present = new Set(readdirSync(dir));
const missing = expected.filter(name => !present.has(name));
for (const name of expected.filter(name => present.has(name))) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  if (name === 'ui.json') {
    passed += report.stats.expected + report.stats.flaky;
    failed += report.stats.unexpected;
  } else {
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  }
}
if (missing.length) console.log(`missing test reports: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
