// The benchmark harness: every row runs our figure and its peers' side by side, interleaved
// over several rounds (this machine is shared and noisy, so only ratios from one run mean
// much), and prints one markdown table: median figures and the median of per-round ratios.
import { spawnSync } from 'node:child_process';

const rows = [];

/**
 * A row: `ours` and each peer are async functions returning a figure (a duration in us per op
 * when lower is better, or ops/s when higher is better, as `unit` says).
 */
export function row(name, { unit, ours, peers, rounds = 5, bar }) {
  rows.push({ name, unit, ours, peers, rounds, bar });
}

export function python(args) {
  const r = spawnSync('python3', [new URL('./peers/cpython_bench.py', import.meta.url).pathname, ...args.map(String)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export async function runAll(filter) {
  const lines = ['| benchmark | ours | peer | peer figure | ratio (peer/ours for time, ours/peer for rate: >1 = we are faster) | bar |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    if (filter && !r.name.includes(filter)) continue;
    const ourFigures = [];
    const peerFigures = Object.fromEntries(Object.keys(r.peers).map((k) => [k, []]));
    const ratios = Object.fromEntries(Object.keys(r.peers).map((k) => [k, []]));
    for (let i = 0; i < r.rounds; i++) {
      const mine = await r.ours();
      ourFigures.push(mine);
      for (const [peer, fn] of Object.entries(r.peers)) {
        const theirs = await fn();
        peerFigures[peer].push(theirs);
        ratios[peer].push(r.unit === 'us' ? theirs / mine : mine / theirs);
      }
    }
    for (const peer of Object.keys(r.peers)) {
      const line = `| ${r.name} | ${fmt(median(ourFigures))} ${r.unit} | ${peer} | ${fmt(median(peerFigures[peer]))} ${r.unit} | ${median(ratios[peer]).toFixed(2)}x | ${r.bar?.[peer] ?? ''} |`;
      lines.push(line);
      console.error(line);
    }
  }
  return lines.join('\n');
}
