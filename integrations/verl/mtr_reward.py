"""verl reward function that asks `mtr serve reward`, so verl trains on the same reward `mtr score` reports.

In the verl config:
    custom_reward_function.path=integrations/verl/mtr_reward.py
    custom_reward_function.name=compute_score

verl's reward managers call compute_score(data_source=, solution_str=, ground_truth=, extra_info=, ...) once per
response, with the response decoded on its own (skip_special_tokens=True). Environment:
    MTR_REWARD_URL      default http://127.0.0.1:8787
    MTR_REWARD_TOKEN    the server's --token, if it has one (MTR_SERVE_TOKEN is read too)
    MTR_REWARD_TIMEOUT  seconds, default 60
Standard library only. Returns a dict: "score" (the composite reward) plus every component and "error"
(1 when the server could not score the item), the same keys for every item as verl's managers require.
"""

import json
import os
import sys
import urllib.error
import urllib.request

COMPONENTS = ("em", "f1", "precision", "recall", "cover_em", "format", "consistency", "efficiency")
_warned = set()


def _plain(value):
    """numpy arrays / scalars (what parquet rows hold) to JSON values."""
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


def _label(ground_truth):
    """A string, a list of aliases, or Search-R1's {"target": [...]}; numbers become strings."""
    gold = _plain(ground_truth)
    if isinstance(gold, dict) and "target" in gold:
        gold = gold["target"]
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        return str(gold)
    if isinstance(gold, list):
        return [str(g) if isinstance(g, (int, float)) and not isinstance(g, bool) else g for g in gold]
    return gold


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    item = {"query": [solution_str], "labels": [_label(ground_truth)], "data_sources": [str(data_source)]}
    dialect = (extra_info or {}).get("dialect") if isinstance(extra_info, dict) else None
    if dialect:
        item["dialects"] = [dialect]
    answer = _post("/get_reward", item)
    error = (answer.get("errors") or [None])[0]
    if error is not None:
        # A wrong data_source is a configuration error: every row would score 0, so stop. A bad row scores 0.
        if error.startswith("data_source:"):
            raise ValueError("mtr reward: " + error)
        if error not in _warned and len(_warned) < 10:
            _warned.add(error)
            print("mtr reward: scored 0: " + error, file=sys.stderr)
    logs = answer.get("extra_logs", {})
    result = {"score": float(answer["rewards"][0])}
    for key in COMPONENTS + ("error",):
        result[key] = float((logs.get(key) or [0])[0])
    return result
