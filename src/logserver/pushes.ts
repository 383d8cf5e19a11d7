import { refuseExec, type ExecRequest } from './ssh-door.js';

/**
 * What the SSH doors do with an authenticated appliance's command. The rsync receiver is not
 * built yet (issue 4), so every push is refused with a message the rsync client prints, and
 * the appliance keeps its files.
 */
export function handlePush(request: ExecRequest): void {
  request.log.info({ command: request.command.slice(0, 200) }, 'push refused: no receiver yet');
  refuseExec(
    request.channel,
    'tmsp: this log server cannot receive files yet; keep them for later',
  );
}
