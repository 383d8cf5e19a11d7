import { rsyncServerArgs } from '../rsync/server-command.js';
import { parseServerArgs } from '../rsync/server-options.js';
import { type SessionIo, sessionIo } from '../rsync/session.js';
import { clientError, type PushDeps, reportFailure, runPush } from './pushes.js';
import type { ExecRequest } from './ssh-door.js';

/**
 * What the SSH doors do with an authenticated appliance's command: it must be
 * `rsync --server … . <GUID>/…`, parsed with rsync's escaping and no shell; anything else is
 * refused with a message the rsync client prints.
 */
export function sshPushHandler(deps: PushDeps): (exec: ExecRequest) => void {
  return (exec) => void receiveOverSsh(deps, exec);
}

async function receiveOverSsh(deps: PushDeps, exec: ExecRequest): Promise<void> {
  const { channel } = exec;
  const io: SessionIo = sessionIo(channel, (message) =>
    exec.log.debug({ code: message.code, text: message.payload.toString('utf8') }, 'client said'),
  );
  let exitCode = 0;
  try {
    const request = parseServerArgs(rsyncServerArgs(exec.command), 'ssh');
    await runPush(
      deps,
      {
        account: exec.account,
        userName: exec.userName,
        peer: exec.peer,
        request,
        destination: request.destination,
        log: exec.log,
      },
      io,
    );
  } catch (caught) {
    const error = clientError(caught, exec.log);
    exec.log.info({ reason: error.message }, 'push refused');
    exitCode = error.exitCode;
    await reportFailure(io, error, (message) => channel.stderr.write(`${message}\n`));
  }
  channel.exit(exitCode);
  channel.end();
}
