// Runtime of a claims VM: the web globals scripts may use, the harness that
// runs getCustomJwtClaims, and the lockdown that freezes every built-in.
//
// The bundle runs once per VM, before any script, and evaluates to the
// harness function, which only the host can reach. The modules are evaluated
// in the order imported here, which is the order the globals are defined in.

import './prelude.js';
import { configure } from './state.js';
import './console.js';
import './settle.js';
import './events.js';
import './timers.js';
import './abort.js';
import './encoding.js';
import './crypto.js';
import './url/url.js';
import './fetch.js';
import { deliver, run } from './run.js';
import { applyLockdown, planLockdown } from './lockdown.js';

export default function harness(op, a, b, c, d, e) {
  switch (op) {
    case 0: // setup(factory, maxOutput, maxLog)
      configure(a, b, c);
      return undefined;
    case 1: // run(tokenJSON, contextJSON, envJSON, jti, trigger)
      run(a, b, c, d, e);
      return undefined;
    case 2: // deliver(id, kind, meta, body)
      deliver(a, b, c, d);
      return undefined;
    case 3: // lockdown
      applyLockdown();
      return undefined;
    case 4: // plan
      return planLockdown();
  }
  throw new Error('harness: unknown operation');
}
