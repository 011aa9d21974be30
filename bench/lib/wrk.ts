// Load with wrk (a separate process on loopback): GET requests picked at random from a file of paths, with fixed
// headers; prints and returns req/s and latency percentiles. Used by the portal benchmark.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Paths one per line; the headers as "Name: value" lines in the second file.
const LUA = String.raw`
local reqs = {}
init = function(args)
  local headers = {}
  for line in io.lines(args[2]) do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
  for line in io.lines(args[1]) do
    if #line > 0 then reqs[#reqs + 1] = wrk.format("GET", line, headers) end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
end
request = function()
  return reqs[math.random(#reqs)]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`;

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors, timeouts and answers other than 2xx/3xx. */
  errors: number;
}

export async function wrkAvailable(): Promise<boolean> {
  try {
    await run('wrk', ['--version']);
    return true;
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? '').includes('wrk');
  }
}

/** Drives `origin` with the GET `paths` for `durationS` seconds over `connections` connections. */
export async function wrkGet(opts: {
  work: string;
  name: string;
  origin: string;
  paths: string[];
  headers?: Record<string, string>;
  connections: number;
  threads: number;
  durationS: number;
}): Promise<WrkResult> {
  const script = join(opts.work, 'wrk-get.lua');
  const pathsFile = join(opts.work, `wrk-${opts.name}.paths`);
  const headersFile = join(opts.work, `wrk-${opts.name}.headers`);
  writeFileSync(script, LUA);
  writeFileSync(pathsFile, opts.paths.join('\n') + '\n');
  writeFileSync(
    headersFile,
    Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n') + '\n',
  );
  const threads = Math.max(1, Math.min(opts.threads, opts.connections));
  const { stdout } = await run(
    'wrk',
    [
      `-t${threads}`,
      `-c${opts.connections}`,
      `-d${opts.durationS}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      opts.origin,
      '--',
      pathsFile,
      headersFile,
    ],
    { timeout: (opts.durationS + 120) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk gave no result:\n${stdout}`);
  const r = JSON.parse(line.slice(6)) as Record<string, number>;
  return {
    rps: r['requests']! / (r['duration_us']! / 1e6),
    p50Ms: r['p50_us']! / 1000,
    p99Ms: r['p99_us']! / 1000,
    requests: r['requests']!,
    errors: r['connect']! + r['read']! + r['write']! + r['status']! + r['timeout']!,
  };
}
