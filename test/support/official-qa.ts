import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The official HotpotQA normalize_answer / EM / F1 (hotpot_evaluate_v1.py, as bench/reward.ts writes it), max
 * over the gold answers, recomputing an eval's predictions.jsonl and its metrics.json: per line, per dataset
 * (mean in file order) and the macro mean over datasets. Prints every disagreement as JSON; none is agreement.
 */
const PYTHON = String.raw`
import json, re, string, sys
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

def em(prediction, ground_truth): return 1 if normalize_answer(prediction) == normalize_answer(ground_truth) else 0

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
  return JSON.parse(execFileSync('python3', [script, join(dir, 'predictions.jsonl'), join(dir, 'metrics.json')], { encoding: 'utf8' })) as unknown[];
}
