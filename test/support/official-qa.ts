import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const BENCH = join(REPO_ROOT, 'bench');

/**
 * The official HotpotQA normalize_answer / EM / F1 (hotpot_evaluate_v1.py, bench/official_qa.py), max
 * over the gold answers, recomputing an eval's predictions.jsonl and its metrics.json: per line, per dataset
 * (mean in file order) and the macro mean over datasets. Prints every disagreement as JSON; none is agreement.
 */
const PYTHON = String.raw`
import json, sys
sys.path.insert(0, sys.argv[3])
from official_qa import em as official_em, f1_score  # the one copy of the official script (bench/official_qa.py)

def em(prediction, ground_truth): return 1 if official_em(prediction, ground_truth) else 0

rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]
metrics = json.load(open(sys.argv[2], encoding='utf-8'))
bad = []
per = {}
for r in rows:
    e = max(em(r['prediction'], g) for g in r['golden_answers'])
    f = max(f1_score(r['prediction'], g) for g in r['golden_answers'])
    if e != r['em'] or f != r['f1']: bad.append({'id': r['id'], 'em': [e, r['em']], 'f1': [f, r['f1']]})
    per.setdefault(r['dataset'], []).append((e, f))
means = {}
for name, scores in per.items():
    means[name] = (sum(s[0] for s in scores) / len(scores), sum(s[1] for s in scores) / len(scores))
    got = metrics['datasets'][name]
    if [got['em'], got['f1']] != list(means[name]) or got['n'] != len(scores): bad.append({'dataset': name, 'official': means[name], 'got': got})
if list(metrics['datasets']) != list(per): bad.append({'datasets': [list(per), list(metrics['datasets'])]})
macro = (sum(m[0] for m in means.values()) / len(means), sum(m[1] for m in means.values()) / len(means))
if [metrics['mean']['em'], metrics['mean']['f1']] != list(macro): bad.append({'mean': macro, 'got': metrics['mean']})
print(json.dumps(bad))
`;

/** Disagreements between the official scorer and an eval directory's files (empty: they agree exactly). */
export function officialDisagreements(dir: string): unknown[] {
  const script = join(mkdtempSync(join(tmpdir(), 'mtr-official-')), 'official_qa.py');
  writeFileSync(script, PYTHON);
  return JSON.parse(execFileSync('python3', [script, join(dir, 'predictions.jsonl'), join(dir, 'metrics.json'), BENCH], { encoding: 'utf8' })) as unknown[];
}
