// The whole attack suite with safe-package itself running under Docker's default
// refusals (tests/support/docker-default.ts: no new namespaces, no mounts), as in a CI
// container, with no backend named: auto must find the jail that works there (the
// landlock backend) and every attack must still be BLOCKED or CONTAINED.

import { defineAttackSuite } from './harness/define.js';

defineAttackSuite('auto under Docker-default conditions', [], true);
