// An rsh program for `rsync -e`: instead of a remote shell it connects to a test server on a
// Unix socket, sends the remote command as the first line, then relays the bytes both ways.
// Usage: rsync -e "node rsh-bridge.mjs SOCKET" … host:dest
import net from 'node:net';

const [socketPath, , ...command] = process.argv.slice(2);
// rsync signals its remote shell with SIGUSR1 on an error exit; by default that would start
// Node's inspector instead of ending the bridge.
process.on('SIGUSR1', () => process.exit(0));
const socket = net.connect(socketPath, () => {
  socket.write(`${command.join(' ')}\n`);
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('end', () => process.exit(0));
socket.on('error', (error) => {
  process.stderr.write(`rsh-bridge: ${error.message}\n`);
  process.exit(255);
});
