import type { Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { foundation } from './001-foundation.js';
import { cas } from './002-cas.js';
import { secondFactor } from './003-second-factor.js';
import { receivedFiles } from './004-received-files.js';
import { ingest } from './005-ingest.js';
import { alarms } from './006-alarms.js';
import { status } from './007-status.js';
import { forensics } from './008-forensics.js';
import { patterns } from './009-patterns.js';
import { ocs } from './010-ocs.js';

/** Every migration, in order. Names never change once released. */
export function migrations(engine: Engine): Record<string, Migration> {
  return {
    '001-foundation': foundation(engine),
    '002-cas': cas(engine),
    '003-second-factor': secondFactor(),
    '004-received-files': receivedFiles(engine),
    '005-ingest': ingest(engine),
    '006-alarms': alarms(engine),
    '007-status': status(engine),
    '008-forensics': forensics(engine),
    '009-patterns': patterns(engine),
    '010-ocs': ocs(engine),
  };
}
