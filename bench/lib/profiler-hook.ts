/**
 * Preloaded into the service by `--profile` (node --require), which also gives it an IPC
 * channel: `{profile: 'start'}` starts V8's sampling profiler in the process, `{profile: 'stop',
 * file}` stops it, writes the .cpuprofile and answers `{profiled: file}`; `{memory: true}` answers
 * process.memoryUsage() before and after a full GC, to tell retained heap from garbage and from the rest of the RSS. So the bench profiles
 * one scenario at a time, not start-up or seeding. (Signals would not do: Nest's shutdown hooks
 * end the service on SIGUSR2.)
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import v8 from 'node:v8';
import vm from 'node:vm';

type ProfileMessage = { profile: 'start' } | { profile: 'stop'; file: string } | { memory: true };

/** A full GC on demand, so "after" shows what is retained rather than garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const session = new Session();
session.connect();

function post<T = unknown>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

async function handle(message: ProfileMessage): Promise<void> {
  if ('memory' in message) {
    const before = process.memoryUsage();
    collectGarbage();
    process.send!({ memory: before, afterGc: process.memoryUsage() });
    return;
  }
  if (message.profile === 'start') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    process.send!({ profiling: true });
    return;
  }
  const { profile } = await post<{ profile: object }>('Profiler.stop');
  fs.writeFileSync(message.file, JSON.stringify(profile));
  process.send!({ profiled: message.file });
}

process.on('message', (message: ProfileMessage) => void handle(message).catch((error: unknown) => process.send!({ error: String(error) })));
// The channel must not keep the service alive when it is told to stop.
process.channel?.unref();
