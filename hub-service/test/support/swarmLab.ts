import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';

// The swarm of deploy/swarm-lab.sh: node n's engine listens on /run/envsw/n<n>.sock; node 1 is its
// manager.

const socket = (n: number) => `/run/envsw/n${n}.sock`;

/** The engine of the lab's node `n`. */
export const labEngine = (n: number) => new Docker({ socketPath: socket(n) });

/** The engine of the lab's manager (node 1). */
export const labManager = labEngine(1);

/** Drains a node (its tasks stop, nothing new is placed there) or makes it active again. */
export const setAvailability = (node: string, value: 'drain' | 'active') =>
  promisify(execFile)('docker', [
    '-H',
    `unix://${socket(1)}`,
    'node',
    'update',
    '--availability',
    value,
    node
  ]);
