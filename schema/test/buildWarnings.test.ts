import { buildWarnings } from '../src/api.js';

describe('buildWarnings', () => {
  test('reads the lines that say a warning, each once, not the commands that print them', () => {
    const log = [
      '[envhub] build pack: r',
      'Step 5/9 : RUN echo "[envhub] warning: printed later"',
      '[envhub] warning: install.R asks for R packages Debian bookworm does not have: x; they are left out',
      'collecting packages',
      '[envhub] warning: install.R asks for R packages Debian bookworm does not have: x; they are left out',
      '[envhub] warning: Pipfile.lock asks for Python 3.8 '
    ].join('\n');
    expect(buildWarnings(log)).toEqual([
      'install.R asks for R packages Debian bookworm does not have: x; they are left out',
      'Pipfile.lock asks for Python 3.8'
    ]);
    expect(buildWarnings('Step 1/2 : FROM envhub-base\n')).toEqual([]);
  });
});
