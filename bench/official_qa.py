"""The official HotpotQA answer normalisation, EM and F1, as the evaluation script defines them (plain Python:
re, string, Counter). mtr's src/text/answer.ts must agree with it exactly: bench/reward.ts times both on the
same pairs, test/text/python-unicode.test.ts checks tricky strings.

python3 official_qa.py pairs.jsonl out.txt  — one [prediction, gold] a line in; "em f1" a line out; prints
{"seconds": …, "cpu_seconds": …} (wall and CPU time of the scoring loop only).
"""
import json
import re
import string
import sys
import time
from collections import Counter


def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def f1_score(prediction, ground_truth):
    p, g = normalize_answer(prediction), normalize_answer(ground_truth)
    if p in ['yes', 'no', 'noanswer'] and p != g:
        return 0
    if g in ['yes', 'no', 'noanswer'] and p != g:
        return 0
    common = Counter(p.split()) & Counter(g.split())
    same = sum(common.values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(p.split())
    recall = 1.0 * same / len(g.split())
    return (2 * precision * recall) / (precision + recall)


def em(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


if __name__ == '__main__':
    pairs = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]
    start, cpu = time.perf_counter(), time.process_time()
    out = [(em(p, g), f1_score(p, g)) for p, g in pairs]
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        for e, f1 in out:
            f.write('%d %r\n' % (e, f1))
    print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu_seconds}))
