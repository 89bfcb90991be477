"""TRL reward function that asks `mtr serve reward`, so GRPOTrainer trains on the same reward `mtr score` reports.

    from mtr_reward import mtr_reward          # this file, on PYTHONPATH or copied beside the script
    trainer = GRPOTrainer(model=..., reward_funcs=[mtr_reward], train_dataset=dataset, ...)

TRL calls reward functions as f(prompts=, completions=, completion_ids=, **columns) where columns are the
dataset's other columns, one value per completion. Completions are strings (standard format) or lists of
messages (conversational). Gold comes from the first of these columns present: answers, answer,
golden_answers, solution (a string or a list of aliases); data_source and dialect columns are passed on.
Environment:
    MTR_REWARD_URL      default http://127.0.0.1:8787
    MTR_REWARD_TOKEN    the server's --token, if it has one (MTR_SERVE_TOKEN is read too)
    MTR_REWARD_TIMEOUT  seconds, default 60
Standard library only. A row the server cannot score (no gold, unknown data_source) gets 0.0, reason on stderr.
"""

import json
import os
import sys
import urllib.error
import urllib.request

GOLD_COLUMNS = ("answers", "answer", "golden_answers", "solution")
_warned = set()


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _post(path, body):
    url = os.environ.get("MTR_REWARD_URL", "http://127.0.0.1:8787").rstrip("/") + path
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("MTR_REWARD_TOKEN") or os.environ.get("MTR_SERVE_TOKEN")
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=float(os.environ.get("MTR_REWARD_TIMEOUT", "60"))) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise RuntimeError("mtr reward server %s answered %d: %s" % (url, e.code, e.read().decode("utf-8", "replace"))) from None


def _gold(kwargs, i):
    for column in GOLD_COLUMNS:
        values = kwargs.get(column)
        if values is not None and values[i] is not None:
            gold = _plain(values[i])
            if isinstance(gold, dict) and "target" in gold:
                gold = gold["target"]
            gold = gold if isinstance(gold, list) else [gold]
            return [g if isinstance(g, str) else str(g) for g in gold if g is not None]
    return None


def mtr_reward(completions, **kwargs):
    items = []
    for i, completion in enumerate(completions):
        completion = _plain(completion)
        item = {"messages": completion} if isinstance(completion, list) else {"completion": completion}
        gold = _gold(kwargs, i)
        if gold is not None:
            item["answers"] = gold
        for column in ("data_source", "dialect"):
            if kwargs.get(column) is not None and kwargs[column][i] is not None:
                item[column] = kwargs[column][i]
        items.append(item)
    results = _post("/score", {"items": items})["results"]
    for r in results:
        if "error" in r and r["error"] not in _warned and len(_warned) < 10:
            _warned.add(r["error"])
            print("mtr reward: scored 0: " + r["error"], file=sys.stderr)
    return [float(r["reward"]) for r in results]
