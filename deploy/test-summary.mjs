// Prints one closing line for the whole suite, "N passed, N failed", from the jest and
// Playwright JSON reports and pytest's JUnit XML report in the given folder. Exits non-zero when a
// report is missing.
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
  'ui.json',
  'swarm.json',
  'python.xml'
];
const present = new Set(readdirSync(dir));
const missing = expected.filter(name => !present.has(name));
// pytest's JUnit XML report: the counts on its (single) <testsuite> element, or null.
function junitCounts(xml) {
  const suite = /<testsuite\s[^>]*>/.exec(xml)?.[0] ?? '';
  const count = name =>
    Number(new RegExp(`\\s${name}="(\\d+)"`).exec(suite)?.[1]);
  const [tests, failures, errors, skipped] = [
    'tests',
    'failures',
    'errors',
    'skipped'
  ].map(count);
  if ([tests, failures, errors, skipped].some(Number.isNaN)) return null;
  return {
    passed: tests - failures - errors - skipped,
    failed: failures + errors
  };
}

for (const name of expected.filter(name => present.has(name))) {
  if (name.endsWith('.xml')) {
    const counts = junitCounts(readFileSync(join(dir, name), 'utf8'));
    if (!counts) {
      missing.push(`${name} (unreadable)`);
      continue;
    }
    passed += counts.passed;
    failed += counts.failed;
    continue;
  }
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
