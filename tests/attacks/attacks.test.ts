// The attack suite (docs/attacks.md) through safe-package's default backend: each test
// installs one malicious package twice as the unprivileged fixture user, in the same
// environment full of canaries: with bare npm, where the attack must SUCCEED (otherwise
// the test proves nothing and fails), and through safe-package with its default policy,
// where it must be BLOCKED (could not even read or do it) or CONTAINED (could, but
// nothing got out). Benign controls must work both ways.
//
// Run: npx tsc -p . && node --test dist/tests/attacks/   (as root; needs bwrap and the
// fixture users sp-test and sp-other, as scripts/test sets up).

import { defineAttackSuite } from './harness/define.js';

defineAttackSuite('default backend');
