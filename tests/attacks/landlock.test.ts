// The whole attack suite again through the landlock backend (the jail for hosts where
// namespaces are refused): every attack must be BLOCKED or CONTAINED there too. What the
// landlock backend cannot promise that the sandbox can is listed in the README.

import { defineAttackSuite } from './harness/define.js';

defineAttackSuite('landlock backend', ['--backend', 'landlock']);
