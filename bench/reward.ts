import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { answerScores } from '../src/text/answer.js';

const DATASETS = resolve(process.cwd(), '../shared/datasets');
const PAIRS = 100_000;

/** The official HotpotQA normalisation / EM / F1, verbatim in spirit, timed around the scoring loop only. */
const PYTHON = String.raw`
import json, re, string, sys, time
from collections import Counter

def normalize_answer(s):
    def remove_articles(text): return re.sub(r'\b(a|an|the)\b', ' ', text)
    def white_space_fix(text): return ' '.join(text.split())
    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)
    return white_space_fix(remove_articles(remove_punc(s.lower())))

def f1_score(prediction, ground_truth):
    p, g = normalize_answer(prediction), normalize_answer(ground_truth)
    if p in ['yes', 'no', 'noanswer'] and p != g: return 0
    if g in ['yes', 'no', 'noanswer'] and p != g: return 0
    common = Counter(p.split()) & Counter(g.split())
    same = sum(common.values())
    if same == 0: return 0
    precision = 1.0 * same / len(p.split())
    recall = 1.0 * same / len(g.split())
    return (2 * precision * recall) / (precision + recall)

def em(prediction, ground_truth): return normalize_answer(prediction) == normalize_answer(ground_truth)

pairs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
start = time.perf_counter()
out = [(em(p, g), f1_score(p, g)) for p, g in pairs]
seconds = time.perf_counter() - start
with open(sys.argv[2], 'w', encoding='utf-8') as f:
    for e, f1 in out: f.write('%d %r\n' % (e, f1))
print(json.dumps({'seconds': seconds}))
`;

function golds(): string[] {
  const out: string[] = [];
  for (const dir of ['bamboogle', 'hotpotqa', '2wiki', 'musique']) {
    for (const name of readdirSync(join(DATASETS, dir)).sort()) {
      const text = readFileSync(join(DATASETS, dir, name), 'utf8');
      const rows = (
        name.endsWith('.jsonl')
          ? text
              .split('\n')
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l))
          : JSON.parse(text)
      ) as Record<string, unknown>[];
      for (const r of rows)
        for (const k of ['answer', 'answer_aliases', 'Answer', 'golden_answers']) {
          const v = r[k];
          if (typeof v === 'string') out.push(v);
          else if (Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'));
        }
    }
  }
  return out;
}

/** Deterministic perturbations: case, punctuation, articles, extra words, another gold. */
function buildPairs(all: readonly string[]): [string, string][] {
  const variants = [
    (g: string) => g,
    (g: string) => g.toUpperCase(),
    (g: string) => `${g}.`,
    (g: string) => `The ${g}`,
    (g: string) => `It was ${g}, I think`,
    (g: string) => g.replace(/ /g, ', '),
    (g: string, o: string) => o,
    (g: string, o: string) => `${o} or ${g}`,
    (g: string) => g.split(' ').slice(0, 1).join(' '),
    () => 'yes',
  ];
  const pairs: [string, string][] = [];
  for (let i = 0; pairs.length < PAIRS; i++) {
    const gold = all[i % all.length]!;
    const other = all[(i * 7919 + 17) % all.length]!;
    pairs.push([variants[i % variants.length]!(gold, other), gold]);
  }
  return pairs;
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function benchReward(): Promise<Record<string, number | string>> {
  const pairs = buildPairs(golds());
  const start = performance.now();
  const js = pairs.map(([p, g]) => answerScores(p, [g]));
  const jsMs = performance.now() - start;
  const result: Record<string, number | string> = { pairs: pairs.length, ts_ms: Math.round(jsMs), ts_pairs_per_s: Math.round(pairs.length / (jsMs / 1000)) };
  if (!hasPython()) return { ...result, python: 'python3 not found; skipped' };
  const dir = mkdtempSync(join(tmpdir(), 'mtr-bench-reward-'));
  try {
    writeFileSync(join(dir, 'official.py'), PYTHON);
    writeFileSync(join(dir, 'pairs.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const report = JSON.parse(execFileSync('python3', [join(dir, 'official.py'), join(dir, 'pairs.jsonl'), join(dir, 'out.txt')], { encoding: 'utf8' })) as {
      seconds: number;
    };
    const py = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n');
    let disagreements = 0;
    py.forEach((line, i) => {
      const [em, f1] = line.split(' ');
      if (Number(em) !== js[i]!.em || Number(f1) !== js[i]!.f1) disagreements++;
    });
    const pyMs = report.seconds * 1000;
    return { ...result, python_ms: Math.round(pyMs), python_over_ts: Number((pyMs / jsMs).toFixed(2)), disagreements };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchReward();
  console.log(`reward bench: ${r.pairs} (prediction, gold) pairs`);
  console.log(`  TypeScript: ${r.ts_ms} ms (${r.ts_pairs_per_s} pairs/s)`);
  if (r.python_ms !== undefined)
    console.log(
      `  Python (official normalisation): ${r.python_ms} ms; Python/TypeScript time ratio ${r.python_over_ts}; EM/F1 disagreements: ${r.disagreements}`,
    );
  else console.log(`  Python: ${r.python}`);
}
