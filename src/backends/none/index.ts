// The none backend: the program runs as it is, with the environment safe-package
// resolved and nothing else. For comparisons and for programs that must not be jailed.

import type { Backend } from '../backend.js';
import { planNone } from './plan.js';

export const noneBackend: Backend<undefined> = {
  name: 'none',
  stages: () => false,
  needsRunDir: () => false,
  gather: () => undefined,
  prepare: () => undefined,
  describedPaths: () => ({}),
  planStep: (p) => ({ plan: planNone(p) }),
};
