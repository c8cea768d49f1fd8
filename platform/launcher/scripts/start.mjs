// `npm start`: builds what the launcher needs, then runs `origo start` in this same process, so the
// signal a supervisor sends to npm's child (npm forwards SIGINT and SIGTERM to it) reaches the
// launcher itself. A shell script would not pass it on: `sh -c "build && node ..."` dies on SIGTERM
// and leaves the launcher and its SFU workers running. Arguments after `npm start --` go to
// `origo start` (e.g. `npm start -- --role=sfu`).
import { spawn } from 'node:child_process';
import process from 'node:process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');

/** Runs the build; resolves with its exit code, or with the signal that stopped this script meanwhile. */
function build() {
  return new Promise((done) => {
    const child = spawn(turbo, ['run', 'build', '--filter=@origo/launcher...', '--output-logs=errors-only'], {
      cwd: root,
      stdio: 'inherit',
    });
    let stoppedBy;
    const forward = (signal) => {
      stoppedBy = signal;
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (err) => {
      process.stderr.write(`npm start: cannot run turbo (${err.message}); run npm ci first\n`);
      done({ code: 1 });
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(stoppedBy ? { signal: stoppedBy } : { code: code ?? (signal ? 1 : 0) });
    });
  });
}

const built = await build();
if (built.signal) {
  // Stopped while building: exit the way the signal would have ended us.
  process.exitCode = built.signal === 'SIGINT' ? 130 : 143;
} else if (built.code !== 0) {
  process.exitCode = built.code;
} else {
  const bin = join(root, 'platform', 'launcher', 'dist', 'bin.js');
  process.argv = [process.argv[0], bin, 'start', ...process.argv.slice(2)];
  await import(pathToFileURL(bin).href);
}
